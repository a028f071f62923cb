package liveview

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/echo-liveview/liveview/pubsub"
)

// tryDial tries a handshake to path with header h and returns the
// connection (nil when refused) and the HTTP status.
func (ts *testServer) tryDial(t *testing.T, path string, h http.Header) (*websocket.Conn, int) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: readTimeout}
	ws, resp, err := d.Dial("ws"+strings.TrimPrefix(ts.srv.URL, "http")+path, h)
	if err == nil {
		t.Cleanup(func() { ws.Close() })
		return ws, http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	return nil, resp.StatusCode
}

// TestOriginScheme: the origin check compares scheme, host and port, the
// scheme as Echo sees it (X-Forwarded-Proto only from a proxy Echo trusts).
func TestOriginScheme(t *testing.T) {
	allowed := []string{"https://app.example.com", "http://plain.example.com:8080/"}
	ts := newTestServer(t, Config{AllowedOrigins: allowed}, nil)
	direct := newTestServer(t, Config{}, func(_ *Hub, e *echo.Echo) { e.SchemeExtractor = echo.ExtractSchemeDirect() })
	host := strings.TrimPrefix(ts.srv.URL, "http://")
	_, port, _ := net.SplitHostPort(host)
	tests := []struct {
		name   string
		ts     *testServer
		origin string
		proto  string // X-Forwarded-Proto sent by the client (which is on loopback: trusted by Echo's default)
		status int
	}{
		{"same origin", ts, "http://" + host, "", 101},
		{"same origin, upper case", ts, "HTTP://" + strings.ToUpper(host), "", 101},
		{"https origin for an http endpoint", ts, "https://" + host, "", 403},
		{"ws origin", ts, "ws://" + host, "", 403},
		{"wss origin", ts, "wss://" + host, "", 403},
		{"other port", ts, "http://127.0.0.1:1", "", 403},
		{"no port means 80", ts, "http://127.0.0.1", "", 403},
		{"other host, same port", ts, "http://localhost:" + port, "", 403},
		{"origin with a path", ts, "http://" + host + "/x", "", 403},
		{"null origin", ts, "null", "", 403},
		{"allowed origin", ts, "https://app.example.com", "", 101},
		{"allowed origin, default port spelled out", ts, "https://app.example.com:443", "", 101},
		{"allowed origin with another scheme", ts, "http://app.example.com", "", 403},
		{"allowed origin with a port", ts, "http://plain.example.com:8080", "", 101},
		{"allowed origin, other port", ts, "http://plain.example.com", "", 403},
		{"https behind a trusted proxy", ts, "https://" + host, "https", 101},
		{"http origin behind a trusted https proxy", ts, "http://" + host, "https", 403},
		{"forwarded proto from an untrusted peer", direct, "https://" + strings.TrimPrefix(direct.srv.URL, "http://"), "https", 403},
		{"direct, plain http", direct, direct.srv.URL, "", 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Origin": {tt.origin}}
			if tt.proto != "" {
				h.Set("X-Forwarded-Proto", tt.proto)
			}
			if _, got := tt.ts.tryDial(t, "/ws/liveview/lobby/", h); got != tt.status {
				t.Fatalf("status %d, want %d", got, tt.status)
			}
		})
	}
}

func TestAllowedOriginsInvalidPanics(t *testing.T) {
	for _, o := range []string{"app.example.com", "ftp://x", "https://", "https://a/b"} {
		func() {
			defer func() {
				if v := recover(); v == nil || !strings.Contains(v.(string), "liveview: Config.AllowedOrigins") {
					t.Errorf("%q: panic %v", o, v)
				}
			}()
			New(Config{AllowedOrigins: []string{o}})
		}()
	}
}

// TestClientStringsClipped: an unknown function name is echoed and logged
// clipped, never whole.
func TestClientStringsClipped(t *testing.T) {
	logs := &logRecorder{}
	ts := newTestServer(t, Config{Logger: logs.logger()}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
	c := ts.dial(t, "lobby")
	long := strings.Repeat("é", 30000) // 60 KB
	c.send(long, nil, nil)
	m := c.read()
	msg, _ := m["error"].(string)
	if len(msg) > len("Unknown function: ")+MaxClientStringLog+3 || !strings.HasPrefix(msg, "Unknown function: éé") || !strings.HasSuffix(msg, "...") {
		t.Fatalf("error frame %d bytes: %.100q", len(msg), msg)
	}
	c.ping("alive")
	if l := len(logs.String()); l > 2000 {
		t.Fatalf("log is %d bytes for one unknown function", l)
	}
	if strings.Contains(logs.String(), strings.Repeat("é", MaxClientStringLog)) {
		t.Fatal("the name was logged whole")
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"short", "short"},
		{strings.Repeat("a", 10), "aaaaaaaa..."},
		{"ééééé", "éééé..."},       // 10 bytes: cut at a rune boundary
		{"ab\xffcd", "ab\uFFFDcd"}, // invalid UTF-8 replaced
	} {
		if got := clip(tt.in, 8); got != tt.want {
			t.Errorf("clip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRejectionsSummarised: a client that sends a thousand rejected frames
// gets an error frame for each, but the log gets a bounded number of lines
// per kind, and one line with the counts when it leaves.
func TestRejectionsSummarised(t *testing.T) {
	logs := &logRecorder{}
	ts := newTestServer(t, Config{Logger: logs.logger(), RateLimit: 1, RateBurst: 10}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
	})
	c := ts.dial(t, "lobby")
	const n = 1000
	for i := range n {
		switch i % 3 {
		case 0:
			c.sendRaw(websocket.TextMessage, []byte(`{"function":"nope-`+strconv.Itoa(i)+`"}`))
		case 1:
			c.sendRaw(websocket.TextMessage, []byte(`{not json`))
		default:
			c.sendRaw(websocket.BinaryMessage, []byte(`x`))
		}
	}
	errs := map[string]int{}
	for range n {
		errs[c.read()["error"].(string)]++
	}
	// The burst of 10 passed the rate limit (unknown functions, invalid
	// and binary frames alike); every later frame was refused by it.
	if errs["Rate limit exceeded"] != n-10 {
		t.Errorf("error frames: %v; want %d rate limited", errs, n-10)
	}
	c.ws.Close()
	waitFor(t, func() bool {
		return strings.Contains(logs.String(), "connection closed; lines about its rejected events were left out")
	})
	out := logs.String()
	lines := strings.Count(out, "\n")
	if lines > 10 {
		t.Fatalf("%d log lines for %d rejected frames:\n%s", lines, n, out)
	}
	if !strings.Contains(out, "rate_limited="+strconv.Itoa(n-10-1)) {
		t.Errorf("summary does not count the rate-limited frames left out:\n%s", out)
	}
}

// TestMalformedFramesCountAgainstRateLimit: invalid and binary frames use
// the rate limit like good ones.
func TestMalformedFramesCountAgainstRateLimit(t *testing.T) {
	ts := newTestServer(t, Config{RateLimit: 0.001, RateBurst: 4}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
	c := ts.dial(t, "lobby")
	c.sendRaw(websocket.TextMessage, []byte(`garbage`))
	c.sendRaw(websocket.BinaryMessage, []byte(`x`))
	c.sendRaw(websocket.TextMessage, []byte(`{"function":`))
	for range 3 {
		c.read() // "Invalid message"
	}
	c.ping("last of the burst")
	c.send("ping", map[string]any{"n": "1"}, nil)
	if m := c.read(); m["error"] != "Rate limit exceeded" {
		t.Fatalf("after the burst: %v", m)
	}
}

// TestConnsPerIP: one address gets MaxConnsPerIP connections; the next
// handshake gets 429 and one log line, and a slot frees when one closes.
func TestConnsPerIP(t *testing.T) {
	logs := &logRecorder{}
	ts := newTestServer(t, Config{Logger: logs.logger(), MaxConnsPerIP: 3}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
	origin := http.Header{"Origin": {ts.srv.URL}}
	var open []*websocket.Conn
	for range 3 {
		ws, status := ts.tryDial(t, "/ws/liveview/lobby/", origin)
		if status != 101 {
			t.Fatalf("status %d", status)
		}
		open = append(open, ws)
	}
	for range 20 {
		if _, status := ts.tryDial(t, "/ws/liveview/lobby/", origin); status != http.StatusTooManyRequests {
			t.Fatalf("over the limit: status %d", status)
		}
	}
	if n := strings.Count(logs.String(), "too many connections from one address"); n != 1 {
		t.Errorf("%d lines for 20 refusals, want 1:\n%s", n, logs.String())
	}
	// Another address (X-Forwarded-For, which Echo's default RealIP reads)
	// is not affected.
	other := http.Header{"Origin": {ts.srv.URL}, "X-Forwarded-For": {"203.0.113.9"}}
	if _, status := ts.tryDial(t, "/ws/liveview/lobby/", other); status != 101 {
		t.Fatalf("other address: %d", status)
	}
	open[0].Close()
	waitFor(t, func() bool {
		ws, status := ts.tryDial(t, "/ws/liveview/lobby/", origin)
		if ws != nil {
			ws.Close()
		}
		return status == 101
	})
}

// TestIPRateLimit: connections of one address share IPRateLimit; another
// address has its own.
func TestIPRateLimit(t *testing.T) {
	ts := newTestServer(t, Config{IPRateLimit: 0.001, IPRateBurst: 6}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
	a, b := ts.dial(t, "lobby"), ts.dial(t, "lobby")
	for i := range 3 {
		a.ping("a" + strconv.Itoa(i))
		b.ping("b" + strconv.Itoa(i))
	}
	for _, c := range []*client{a, b} {
		c.send("ping", map[string]any{"n": "x"}, nil)
		if m := c.read(); m["error"] != "Rate limit exceeded" {
			t.Fatalf("the address's budget is spent: %v", m)
		}
	}
	ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL("lobby"), http.Header{"Origin": {ts.srv.URL}, "X-Forwarded-For": {"198.51.100.7"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	(&client{t: t, ws: ws}).ping("other address")
}

// slowBroker is a Broker whose Subscribe waits for its context: a Redis
// that accepts the connection and never answers.
type slowBroker struct{ pubsub.Broker }

func (b slowBroker) Subscribe(ctx context.Context, topic string, fn func([]byte)) (pubsub.Subscription, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestHandshakeTimeout: a handshake whose subscriptions hang, or whose
// OnConnect takes too long, is refused with 503 after HandshakeTimeout.
func TestHandshakeTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	block := make(chan struct{})
	defer close(block)
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"broker hangs", Config{Broker: slowBroker{pubsub.NewMemory()}}},
		{"OnConnect too slow", Config{OnConnect: func(echo.Context, *Context) error {
			select {
			case <-block:
			case <-time.After(2 * timeout):
			}
			return nil
		}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.HandshakeTimeout = timeout
			ts := newTestServer(t, tt.cfg, nil)
			start := time.Now()
			if _, status := ts.tryDial(t, "/ws/liveview/lobby/", http.Header{"Origin": {ts.srv.URL}}); status != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503", status)
			}
			if d := time.Since(start); d < timeout || d > 10*timeout {
				t.Fatalf("answered after %v, want about %v", d, timeout)
			}
		})
	}
}

// TestOnConnectPanicReachesEcho: a panic in the app's OnConnect (which runs
// on a goroutine of its own) surfaces on the request's goroutine, where
// Echo's Recover middleware answers 500; the server lives on.
func TestOnConnectPanicReachesEcho(t *testing.T) {
	h := New(Config{Logger: discardLogger(), OnConnect: func(c echo.Context, _ *Context) error {
		if c.QueryParam("boom") != "" {
			panic("onconnect boom")
		}
		return nil
	}})
	h.Handle("ping", echoHandler)
	e := echo.New()
	e.Logger.SetOutput(discardWriter{})
	e.Use(middleware.Recover())
	e.Use(h.Middleware())
	srv := httptest.NewServer(e)
	defer srv.Close()
	defer h.Close()
	ts := &testServer{hub: h, srv: srv, e: e}
	if _, status := ts.tryDial(t, "/ws/liveview/lobby/?boom=1", nil); status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", status)
	}
	ws, status := ts.tryDial(t, "/ws/liveview/lobby/", nil)
	if status != 101 {
		t.Fatalf("after the panic: %d", status)
	}
	(&client{t: t, ws: ws}).ping("alive")
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// waitFor polls cond for up to readTimeout.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(readTimeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met in time")
}

// TestEventLinesHubBudget: many connections, each logging every kind of
// rejection once, cannot flood the log either: the Hub writes at most its
// budget of such lines, then one summary with the count left out.
func TestEventLinesHubBudget(t *testing.T) {
	logs := &logRecorder{}
	ts := newTestServer(t, Config{Logger: logs.logger(), RateLimit: 0.001, RateBurst: 3}, func(h *Hub, _ *echo.Echo) {
		h.handshakeLogs.every = 200 * time.Millisecond
	})
	const conns = 60
	start := time.Now()
	for range conns {
		c := ts.dial(t, "lobby")
		c.sendRaw(websocket.TextMessage, []byte(`{"function":"nope"}`))
		c.sendRaw(websocket.TextMessage, []byte(`{bad`))
		c.sendRaw(websocket.BinaryMessage, []byte(`x`))
		c.sendRaw(websocket.TextMessage, []byte(`{"function":"nope"}`)) // over the rate limit
		for range 4 {
			c.read()
		}
	}
	elapsed := time.Since(start)
	waitFor(t, func() bool { return strings.Contains(logs.String(), "over the Hub's budget") })
	time.Sleep(500 * time.Millisecond) // the summary of the interval
	out := logs.String()
	lines := strings.Count(out, "\n")
	if most := eventLinesBurst + int(eventLinesPerSecond*elapsed.Seconds()) + 10; lines > most {
		t.Fatalf("%d lines for %d connections x 4 rejections in %v, want at most %d", lines, conns, elapsed, most)
	}
	if !strings.Contains(out, "refused=") {
		t.Errorf("no summary with the count of lines left out:\n%s", out)
	}
	t.Logf("%d connections x 4 kinds of rejection in %v: %d log lines", conns, elapsed, lines)
}

// TestHandshakeSlotFreedWhenHooksReplaceTheRequest: an OnConnect that
// replaces the request (c.SetRequest, as middleware-like code may) and
// refuses does not leak its slot of Config.MaxHandshakes.
func TestHandshakeSlotFreedWhenHooksReplaceTheRequest(t *testing.T) {
	ts := newTestServer(t, Config{MaxHandshakes: 1, OnConnect: func(c echo.Context, _ *Context) error {
		c.SetRequest(c.Request().Clone(c.Request().Context()))
		return echo.NewHTTPError(http.StatusForbidden, "no")
	}}, nil)
	for i := range 5 {
		if _, status := ts.tryDial(t, "/ws/liveview/lobby/", nil); status != http.StatusForbidden {
			t.Fatalf("handshake %d: status %d, want 403 (503 means a leaked slot)", i, status)
		}
	}
}

// TestSpoofableClientIPWarnsOnce: without e.IPExtractor, a forwarded-for
// header decides the client address; the Hub says so, once.
func TestSpoofableClientIPWarnsOnce(t *testing.T) {
	logs := &logRecorder{}
	ts := newTestServer(t, Config{Logger: logs.logger()}, nil)
	direct := newTestServer(t, Config{Logger: logs.logger()}, func(_ *Hub, e *echo.Echo) { e.IPExtractor = echo.ExtractIPDirect() })
	for range 3 {
		for _, s := range []*testServer{ts, direct} {
			if _, status := s.tryDial(t, "/ws/liveview/lobby/", http.Header{"X-Forwarded-For": {"198.51.100.1"}}); status != 101 {
				t.Fatalf("status %d", status)
			}
		}
	}
	if n := strings.Count(logs.String(), "e.IPExtractor is not set"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
	}
}

// TestShutdownWakesBlockedHandler: a handler that waits on its
// connection's Context (it runs on the read loop, which therefore cannot
// see the socket close) wakes when the Hub shuts down, and Close returns.
func TestShutdownWakesBlockedHandler(t *testing.T) {
	started, woke := make(chan struct{}), make(chan struct{})
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("wait", func(c *Context) error {
			close(started)
			<-c.Context().Done()
			close(woke)
			return nil
		})
	})
	c := ts.dial(t, "lobby")
	c.send("wait", nil, nil)
	<-started
	closed := make(chan error, 1)
	go func() { closed <- ts.hub.Close() }()
	select {
	case <-woke:
	case <-time.After(readTimeout):
		t.Fatal("the handler still waits on c.Context() after Close")
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(readTimeout):
		t.Fatal("Close did not return")
	}
}
