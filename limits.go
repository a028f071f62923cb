package liveview

import (
	"context"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// Limits that keep one client from flooding the log, the other clients or
// the server: strings a client chose are clipped before they reach a log
// line or a frame, repeated rejections are summarised, and connections and
// events are counted per client address.

// Lengths, in bytes, to which client-supplied strings are clipped.
const (
	// MaxClientStringLog is the longest client-supplied string (a function
	// name, an Origin header, a room segment) written to a log line or
	// echoed in an error frame; longer ones are cut at a UTF-8 boundary
	// and end with "...".
	MaxClientStringLog = 64
	// maxErrorLog bounds the text of an error that may carry client input
	// (a value that did not convert) in a log line.
	maxErrorLog = 256
)

// clip returns s cut to at most n bytes, at a rune boundary, marked with
// "..." when cut. Invalid UTF-8 is replaced, so a log line stays valid.
func clip(s string, n int) string {
	if len(s) <= n && utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, min(len(s), n)+3)
	for _, r := range s {
		if len(b)+utf8.RuneLen(r) > n {
			return string(append(b, "..."...))
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// logEvery is the interval of the log summaries: after a line of one kind,
// further lines of that kind (per connection, or per Hub for handshake
// refusals) wait for the next interval and carry the count of those left
// out.
const logEvery = 10 * time.Second

// throttle lets one log line of a kind through per logEvery and counts the
// ones it holds back.
type throttle struct {
	last       time.Time
	suppressed int
}

// pass reports whether a line may be logged at now, and how many were held
// back since the last one that was.
func (t *throttle) pass(now time.Time) (ok bool, suppressed int) {
	if !t.last.IsZero() && now.Sub(t.last) < logEvery {
		t.suppressed++
		return false, 0
	}
	suppressed, t.last, t.suppressed = t.suppressed, now, 0
	return true, suppressed
}

// logKind is a kind of log line that a client can cause repeatedly.
type logKind uint8

const (
	// per connection (events)
	logBadMessage logKind = iota
	logUnknownFunction
	logRateLimited
	logUserError
	logBindError
	logHandlerFailed
	logHandlerPanicked
	logSessionExpired
	logUploadRefused
	numConnKinds
)

const (
	// per Hub (handshakes)
	logOriginRefused logKind = iota
	logIPLimit
	logRoomRefused
	logSignedRoom
	logSubscribeFailed
	logTooManyHandshakes
	logEventLinesDropped
	logDedupeDown
	logKeptValues
	numHubKinds
)

// Lines about rejected events, for the whole Hub: each connection logs a
// kind at most once per logEvery, and all connections together at most
// eventLinesPerSecond lines per second (bursts of eventLinesBurst), so that
// many connections, from many addresses, cannot flood the log either. Lines
// over the Hub's budget are counted and reported by one summary line per
// logEvery.
const (
	eventLinesPerSecond = 20
	eventLinesBurst     = 100
)

var connKindNames = [numConnKinds]string{"bad_message", "unknown_function", "rate_limited", "user_error", "bind_error", "handler_failed", "handler_panicked", "session_expired", "upload_refused"}

// lineLogger is where a logLimiter writes: an *slog.Logger, or the Hub's
// budgeted eventLineLogger.
type lineLogger interface {
	Log(ctx context.Context, level slog.Level, msg string, args ...any)
}

// logLimiter summarises the log lines of one connection or one Hub. Its
// zero value is ready and holds no memory until a line is logged.
type logLimiter struct {
	mu    sync.Mutex
	kinds []throttle
}

// log writes the line unless a line of its kind was written less than
// logEvery ago, in which case it is counted. A line that follows held-back
// ones says how many with the attribute "suppressed".
func (l *logLimiter) log(lg lineLogger, kind logKind, n int, level slog.Level, msg string, args ...any) {
	l.mu.Lock()
	if l.kinds == nil {
		l.kinds = make([]throttle, n)
	}
	ok, suppressed := l.kinds[kind].pass(time.Now())
	l.mu.Unlock()
	if !ok {
		return
	}
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	lg.Log(context.Background(), level, msg, args...)
}

// held returns the lines held back and not yet reported, per kind, and
// forgets them.
func (l *logLimiter) held() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for i := range l.kinds {
		if n := l.kinds[i].suppressed; n > 0 {
			if out == nil {
				out = make([]int, len(l.kinds))
			}
			out[i], l.kinds[i].suppressed = n, 0
		}
	}
	return out
}

// logEvent logs a line about one of c's events, summarised per kind per
// connection, within the Hub's budget of such lines.
func (h *Hub) logEvent(c *conn, kind logKind, level slog.Level, msg string, args ...any) {
	args = c.logAttrs(args...) // logattrs.go
	c.logs.log(h.eventLines, kind, int(numConnKinds), level, msg, args...)
}

// eventLineLogger is the logger of logEvent: h.log, unless the Hub's budget
// of lines about rejected events is spent.
type eventLineLogger struct {
	h       *Hub
	limiter *rate.Limiter
}

func (l *eventLineLogger) Log(ctx context.Context, level slog.Level, msg string, args ...any) {
	if !l.limiter.Allow() {
		l.h.logHandshake(logEventLinesDropped, slog.LevelWarn,
			"liveview: lines about rejected events left out: over the Hub's budget of 20 per second")
		return
	}
	l.h.log.Log(ctx, level, msg, args...)
}

// hubLogs summarises the Hub's lines about refused handshakes, per kind:
// the first line of a kind after a quiet interval is logged at once; the
// ones that follow within logEvery are counted, and when the interval ends
// one line with the same message says how many ("refused"), so a count is
// never lost however the refusals stop. Its zero value is ready.
type hubLogs struct {
	mu    sync.Mutex
	kinds [numHubKinds]hubKind
	every time.Duration // logEvery when 0; tests shorten it, or turn summaries off with a negative value
}

type hubKind struct {
	timer *time.Timer // the pending summary; nil while quiet
	count int         // lines held back since the last one
	level slog.Level
	msg   string
}

// logHandshake logs a refused handshake, summarised per kind for the Hub
// (hubLogs).
func (h *Hub) logHandshake(kind logKind, level slog.Level, msg string, args ...any) {
	l := &h.handshakeLogs
	l.mu.Lock()
	if l.every < 0 {
		l.mu.Unlock()
		h.log.Log(context.Background(), level, msg, args...)
		return
	}
	k := &l.kinds[kind]
	if k.timer != nil {
		k.count++
		k.level, k.msg = level, msg
		l.mu.Unlock()
		return
	}
	every := l.every
	if every <= 0 {
		every = logEvery
	}
	k.timer = time.AfterFunc(every, func() { h.summariseHandshakes(kind, every) })
	l.mu.Unlock()
	h.log.Log(context.Background(), level, msg, args...)
}

// summariseHandshakes logs the lines of kind held back in the interval
// that just ended and, if there were any, watches one more interval.
func (h *Hub) summariseHandshakes(kind logKind, every time.Duration) {
	l := &h.handshakeLogs
	l.mu.Lock()
	k := &l.kinds[kind]
	n, level, msg := k.count, k.level, k.msg
	k.count = 0
	if n == 0 {
		k.timer = nil
		l.mu.Unlock()
		return
	}
	k.timer = time.AfterFunc(every, func() { h.summariseHandshakes(kind, every) })
	l.mu.Unlock()
	h.log.Log(context.Background(), level, msg, "refused", n, "interval", every)
}

// stopHandshakeLogs stops the pending summaries (Hub.Shutdown), logging
// what they held.
func (h *Hub) stopHandshakeLogs() {
	l := &h.handshakeLogs
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.kinds {
		k := &l.kinds[i]
		if k.timer != nil {
			k.timer.Stop()
			k.timer = nil
		}
		if k.count > 0 {
			h.log.Log(context.Background(), k.level, k.msg, "refused", k.count)
			k.count = 0
		}
	}
}

// logHeld writes one line for the lines of c held back and not yet
// reported, when it closes.
func (h *Hub) logHeld(c *conn) {
	held := c.logs.held()
	if held == nil {
		return
	}
	args := c.logAttrs()
	total := 0
	for i, n := range held {
		if n > 0 {
			args = append(args, connKindNames[i], n)
			total += n
		}
	}
	h.eventLines.Log(context.Background(), slog.LevelWarn, "liveview: connection closed; lines about its rejected events were left out", append(args, "suppressed", total)...)
}

// clientIP is the address Config.MaxConnsPerIP and IPRateLimit count:
// echo.Context.RealIP, as Echo's own rate limiter does. Without an
// e.IPExtractor, Echo's RealIP believes the X-Forwarded-For and X-Real-IP
// headers of any client, so a client could dodge the limits; the first
// time such a header meets a Hub whose Echo has no IPExtractor, one warning
// says so.
func (h *Hub) clientIP(c echo.Context) string {
	if c.Echo().IPExtractor == nil {
		hdr := c.Request().Header
		if hdr.Get(echo.HeaderXForwardedFor) != "" || hdr.Get(echo.HeaderXRealIP) != "" {
			h.ipWarnOnce.Do(func() {
				h.log.Warn("liveview: e.IPExtractor is not set, so the client address (Config.MaxConnsPerIP, IPRateLimit) comes from X-Forwarded-For/X-Real-IP headers any client can send; set e.IPExtractor = echo.ExtractIPFromXFFHeader(...) behind a proxy, echo.ExtractIPDirect() without one")
			})
		}
	}
	return c.RealIP()
}

// ipState counts one client address's connections and, when
// Config.IPRateLimit is set, the events they may send together.
type ipState struct {
	conns   int
	limiter *rate.Limiter
}

// ipLimits is the Hub's table of client addresses with live connections.
// An address leaves it with its last connection, so it never grows beyond
// the connections the Hub serves.
type ipLimits struct {
	mu    sync.Mutex
	addrs map[string]*ipState
}

// acquireIP counts a new connection from addr and returns its state, or nil
// when addr already has max connections.
func (h *Hub) acquireIP(addr string) *ipState {
	l := &h.ips
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.addrs[addr]
	if st == nil {
		if l.addrs == nil {
			l.addrs = make(map[string]*ipState)
		}
		st = &ipState{}
		if h.cfg.IPRateLimit > 0 {
			st.limiter = rate.NewLimiter(rate.Limit(h.cfg.IPRateLimit), h.cfg.IPRateBurst)
		}
		l.addrs[addr] = st
	}
	if h.cfg.MaxConnsPerIP > 0 && st.conns >= h.cfg.MaxConnsPerIP {
		if st.conns == 0 {
			delete(l.addrs, addr)
		}
		return nil
	}
	st.conns++
	return st
}

// releaseIP forgets one connection of addr.
func (h *Hub) releaseIP(addr string, st *ipState) {
	l := &h.ips
	l.mu.Lock()
	defer l.mu.Unlock()
	st.conns--
	if st.conns <= 0 && l.addrs[addr] == st {
		delete(l.addrs, addr)
	}
}
