package liveview

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// attrLog is a slog.Handler recording each line's message and attribute
// names.
type attrLog struct {
	mu    *sync.Mutex
	lines *[]logLine
	attrs []string // from WithAttrs
}

type logLine struct {
	msg   string
	attrs []string
}

func newAttrLog() *attrLog { return &attrLog{mu: &sync.Mutex{}, lines: &[]logLine{}} }

func (l *attrLog) Enabled(context.Context, slog.Level) bool { return true }

func (l *attrLog) Handle(_ context.Context, r slog.Record) error {
	names := slices.Clone(l.attrs)
	r.Attrs(func(a slog.Attr) bool { names = append(names, a.Key); return true })
	l.mu.Lock()
	*l.lines = append(*l.lines, logLine{r.Message, names})
	l.mu.Unlock()
	return nil
}

func (l *attrLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *l
	c.attrs = slices.Clone(l.attrs)
	for _, a := range as {
		c.attrs = append(c.attrs, a.Key)
	}
	return &c
}

func (l *attrLog) WithGroup(string) slog.Handler { return l }

func (l *attrLog) all() []logLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(*l.lines)
}

// lineAttrs are the attributes the lines about a connection or a handshake
// carry, by the start of their message. A line that matches none must be
// about the Hub as a whole (hubLines), or the test fails: a new line is
// classified here.
var lineAttrs = []struct {
	prefix string
	want   []string
}{
	// Handshakes refused before a room was accepted.
	{"liveview: handshake refused: origin not allowed", []string{"remote"}},
	{"liveview: handshake refused: too many connections from one address", []string{"remote"}},
	{"liveview: handshake refused by Config.Room", []string{"remote"}},
	{"liveview: handshake refused: invalid room segment", []string{"remote"}},
	{"liveview: handshake refused: too many handshakes", []string{"remote"}},
	// Handshakes refused once the connection had a room and an id.
	{"liveview: handshake refused by Config.OnConnect", []string{"room", "remote", "conn"}},
	{"liveview: handshake refused: Config.HandshakeTimeout exceeded", []string{"room", "remote", "conn"}},
	{"liveview: subscribing failed, handshake refused", []string{"room", "remote", "conn"}},
	{"liveview: upgrade failed", []string{"room", "remote", "conn"}},
	{"liveview: handshake refused: ", []string{"remote"}}, // the other refusals of a signed room (after the longer prefixes)
	// A connection's events.
	{"liveview: bad message", []string{"room", "remote", "conn"}},
	{"liveview: unknown function", []string{"room", "remote", "conn", "function"}},
	{"liveview: rate limit exceeded", []string{"room", "remote", "conn", "function"}},
	{"liveview: event's upload is not complete", []string{"room", "remote", "conn", "function"}},
	{"liveview: handler returned a user error", []string{"room", "remote", "conn", "function"}},
	{"liveview: form values did not convert", []string{"room", "remote", "conn", "function"}},
	{"liveview: handler panicked", []string{"room", "remote", "conn", "function"}},
	{"liveview: handler failed", []string{"room", "remote", "conn", "function"}},
	{"liveview: session expired", []string{"room", "remote", "conn", "function"}},
	{"liveview: upload refused", []string{"room", "remote", "conn", "function"}},
	{"liveview: Data found no", []string{"room", "remote", "conn", "function"}},
	{"liveview: dedupe store unreachable", []string{"room", "remote", "conn", "function"}},
	{"liveview: sending ref answer failed", []string{"room", "remote", "conn", "function"}},
	{"liveview: sending error frame failed", []string{"room", "remote", "conn", "function"}},
	{"liveview: sending once answer failed", []string{"room", "remote", "conn", "function"}},
	{"liveview: writing an upload's temporary file failed", []string{"room", "remote", "conn", "function"}},
	{"liveview: deleting an upload's temporary file failed", []string{"room", "remote", "conn", "function"}},
	// A connection's life.
	{"liveview: sending an upload frame failed", []string{"room", "remote", "conn"}},
	{"liveview: closing slow connection", []string{"room", "remote", "conn"}},
	{"liveview: connection closed; lines about its rejected events were left out", []string{"room", "remote", "conn"}},
	{"liveview: OnDisconnect panicked", []string{"room", "remote", "conn"}},
	{"liveview: unsubscribe failed", []string{"room", "remote", "conn"}},
	{"liveview: untracking a closed connection", []string{"room", "remote", "conn"}},
	{"liveview: a WatchPresence function panicked", []string{"room", "remote", "conn"}},
}

// hubLines are lines about the Hub, not one connection.
var hubLines = []string{
	"liveview: handlers registered",
	"liveview: e.IPExtractor is not set",
	"liveview: e.Renderer is not set",
}

// TestLogAttrs runs a scripted session through Hubs that refuse
// handshakes in each way and connections whose events fail in each way,
// and checks that every line about a connection or a handshake carries
// the attribute names of its kind (room, remote, conn, function), and that
// the script produced each kind it means to.
func TestLogAttrs(t *testing.T) {
	rec := newAttrLog()
	logger := slog.New(rec)
	quiet := func(h *Hub) { h.handshakeLogs.every = -1 } // every line, no summaries
	refuse := func(ts *testServer, room string, hdr http.Header) {
		t.Helper()
		if hdr == nil {
			hdr = http.Header{}
		}
		if hdr.Get("Origin") == "" {
			hdr.Set("Origin", ts.srv.URL)
		}
		if ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL(room), hdr); err == nil {
			ws.Close()
			t.Fatalf("handshake to %s accepted", room)
		}
	}

	// Events, and a connection's end.
	type form struct {
		Age int `form:"age"`
	}
	ts := newTestServer(t, Config{
		Logger: logger, Debug: true,
		OnConnect: func(ec echo.Context, _ *Context) error {
			if ec.Request().Header.Get("X-Refuse") != "" {
				return errors.New("not you")
			}
			return nil
		},
		OnDisconnect: func(*Context) { panic("OnDisconnect bug") },
	}, func(h *Hub, _ *echo.Echo) {
		quiet(h)
		h.Handle("ok", func(c *Context) error { return c.HTML("#x", "ok") })
		h.Handle("fail", func(*Context) error { return errors.New("db down") })
		h.Handle("boom", func(*Context) error { panic("bug") })
		h.Handle("user", func(*Context) error { return NewError("name required") })
		h.Handle("bind", func(c *Context) error { var f form; return c.Bind(&f) })
		h.Handle("hint", func(c *Context) error { _ = c.Data("coment_id"); return c.HTML("#x", "hint") })
		h.Handle("expire", func(*Context) error { return ErrSessionExpired })
	})
	c := ts.dial(t, "lobby")
	for _, fn := range []string{"ok", "fail", "boom", "user", "no_such_function"} {
		c.send(fn, nil, nil)
		c.read()
	}
	c.send("bind", nil, map[string]any{"age": "old"})
	c.read()
	c.send("hint", map[string]any{"dataCommentId": "1"}, nil)
	c.read()
	c.sendRaw(websocket.TextMessage, []byte(`{"function":`))
	c.read()
	c.sendRaw(websocket.TextMessage, []byte(`{"function":"ok","upload":5}`))
	c.read()
	c2 := ts.dial(t, "lobby") // the incomplete upload's line would hold back the refusal's on c
	c2.sendRaw(websocket.TextMessage, []byte(`{"upload":{"id":1,"function":"nobody","files":[{"field":"f","name":"a.txt","size":1}]}}`))
	c2.read()
	c.send("expire", nil, nil)
	for {
		if _, err := c.tryRead(); err != nil {
			break // closed with 4401
		}
	}
	refuse(ts, "lobby", http.Header{"Origin": {"https://evil.example"}})
	refuse(ts, "lobby", http.Header{"X-Refuse": {"1"}})
	refuse(ts, "bad room!", nil)
	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/ws/liveview/lobby/", nil)
	req.Header = http.Header{"Origin": {ts.srv.URL}, "Connection": {"Upgrade"}, "Upgrade": {"websocket"}} // no key: the upgrade fails
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}

	// Config.Room, a signed room, the per-address cap, the handshake cap.
	roomTS := newTestServer(t, Config{Logger: logger, Room: func(echo.Context) (string, error) { return "", errors.New("no room for you") }},
		func(h *Hub, _ *echo.Echo) { quiet(h) })
	refuse(roomTS, "lobby", nil)
	signedTS := newTestServer(t, Config{Logger: logger, RoomSecret: []byte("0123456789abcdef0123456789abcdef")}, func(h *Hub, _ *echo.Echo) { quiet(h) })
	refuse(signedTS, "forged", nil)
	// A handshake held in OnConnect counts against both caps: another is
	// refused, by one cap per Hub.
	var capped []*Hub
	for _, cfg := range []Config{{MaxConnsPerIP: 1}, {MaxConnsPerIP: -1, MaxHandshakes: 1}} {
		release, entered := make(chan struct{}), make(chan struct{}, 1)
		cfg.Logger = logger
		cfg.OnConnect = func(ec echo.Context, _ *Context) error {
			if ec.Request().Header.Get("X-Hold") != "" {
				entered <- struct{}{}
				<-release
			}
			return nil
		}
		capTS := newTestServer(t, cfg, func(h *Hub, _ *echo.Echo) { quiet(h) })
		held := make(chan error, 1)
		go func() {
			ws, _, err := websocket.DefaultDialer.Dial(capTS.wsURL("lobby"), http.Header{"Origin": {capTS.srv.URL}, "X-Hold": {"1"}})
			if err == nil {
				ws.Close()
			}
			held <- err
		}()
		<-entered
		refuse(capTS, "lobby", nil)
		close(release)
		if err := <-held; err != nil {
			t.Fatal(err)
		}
		capped = append(capped, capTS.hub)
	}

	for _, h := range append(capped, ts.hub, roomTS.hub, signedTS.hub) {
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
	}

	seen := map[string]bool{}
	for _, l := range rec.all() {
		if slices.ContainsFunc(hubLines, func(p string) bool { return strings.HasPrefix(l.msg, p) }) {
			continue
		}
		i := slices.IndexFunc(lineAttrs, func(k struct {
			prefix string
			want   []string
		}) bool {
			return strings.HasPrefix(l.msg, k.prefix)
		})
		if i < 0 {
			t.Errorf("line %q %v: not classified in lineAttrs or hubLines", l.msg, l.attrs)
			continue
		}
		seen[lineAttrs[i].prefix] = true
		for _, name := range lineAttrs[i].want {
			if n := countOf(l.attrs, name); n != 1 {
				t.Errorf("line %q %v: %d %q attributes, want 1", l.msg, l.attrs, n, name)
			}
		}
	}
	for _, k := range lineAttrs {
		switch {
		case seen[k.prefix]:
		case strings.Contains(k.prefix, "failed") && !strings.Contains(k.prefix, "upgrade"),
			strings.Contains(k.prefix, "slow"), strings.Contains(k.prefix, "dedupe"), strings.Contains(k.prefix, "rate limit"),
			strings.Contains(k.prefix, "left out"), strings.Contains(k.prefix, "HandshakeTimeout"), strings.Contains(k.prefix, "subscribing"),
			strings.Contains(k.prefix, "unsubscribe"), strings.Contains(k.prefix, "untracking"), strings.Contains(k.prefix, "WatchPresence"),
			strings.Contains(k.prefix, "deleting"):
			// Not scripted here: Redis or the disk failing, floods; each
			// has its test elsewhere. Their attributes come from
			// conn.logAttrs like the scripted ones.
		default:
			t.Errorf("no line %q: the script should produce one", k.prefix)
		}
	}
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
