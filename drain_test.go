package liveview

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// waitUntil polls cond until it holds, failing after readTimeout.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(readTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closeCode reads from c until the server closes it and returns the close
// frame's code and reason.
func closeCode(t testing.TB, c *client) (int, string) {
	t.Helper()
	err := c.readError()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("want a close frame, got %v", err)
	}
	return ce.Code, ce.Text
}

func TestShutdownClosesWithRestart(t *testing.T) {
	tests := []struct {
		name   string
		window time.Duration
		reason string
	}{
		{"default window", 0, "liveview:restart:5000"},
		{"custom window", 1500 * time.Millisecond, "liveview:restart:1500"},
		{"sub-millisecond rounds down", 2*time.Second + 700*time.Microsecond, "liveview:restart:2000"},
		{"negative: reconnect at once", -1, "liveview:restart:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, Config{DrainWindow: tt.window}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
			cs := []*client{ts.dial(t, "a"), ts.dial(t, "a"), ts.dial(t, "b")}
			cs[0].ping("1")
			ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
			defer cancel()
			if err := ts.hub.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			for i, c := range cs {
				code, reason := closeCode(t, c)
				if code != websocket.CloseServiceRestart || reason != tt.reason {
					t.Errorf("client %d: close %d %q, want %d %q", i, code, reason, websocket.CloseServiceRestart, tt.reason)
				}
				if len(reason) > 123 {
					t.Errorf("reason is %d bytes, more than a close frame allows", len(reason))
				}
			}
			// A second Shutdown waits again and succeeds.
			if err := ts.hub.Shutdown(ctx); err != nil {
				t.Fatalf("second shutdown: %v", err)
			}
		})
	}
}

// probe sends a plain GET (no Upgrade) to the endpoint of room, as the
// client does after a failed handshake.
func (ts *testServer) probe(t testing.TB, room string) *http.Response {
	t.Helper()
	resp, err := http.Get(ts.srv.URL + "/ws/liveview/" + room + "/")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// dialStatus attempts a handshake and returns the HTTP status (101 when
// accepted: the socket is closed when the test ends) and the response.
func (ts *testServer) dialStatus(t testing.TB, room string) (int, *http.Response) {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(room), http.Header{"Origin": {ts.srv.URL}})
	if err == nil {
		t.Cleanup(func() { ws.Close() })
		return http.StatusSwitchingProtocols, resp
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", room, err)
	}
	return resp.StatusCode, resp
}

func TestHandshakeCap(t *testing.T) {
	const limit = 2
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	ts := newTestServer(t, Config{
		MaxHandshakes: limit,
		OnConnect: func(c echo.Context, _ *Context) error {
			if c.Param("room") == "slow" {
				<-release
			}
			return nil
		},
	}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })

	if resp := ts.probe(t, "lobby"); resp.StatusCode != http.StatusUpgradeRequired ||
		!strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") || resp.Header.Get("Retry-After") != "" {
		t.Fatalf("probe when idle: %d %v, want 426 with Upgrade: websocket", resp.StatusCode, resp.Header)
	}

	// More handshakes than the cap, one after the other: each slot is given
	// back when its upgrade completes, not when the connection ends.
	for range 3 * limit {
		ts.dial(t, "lobby").ping("x")
	}

	// Fill the cap with handshakes stuck in OnConnect.
	slow := make(chan *websocket.Conn, limit)
	for range limit {
		go func() {
			ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL("slow"), http.Header{"Origin": {ts.srv.URL}})
			if err != nil {
				t.Errorf("slow handshake: %v", err)
			}
			slow <- ws
		}()
	}
	waitUntil(t, "the slow handshakes to fill the cap", func() bool { return ts.hub.drain.inflight.Load() == limit })

	status, resp := ts.dialStatus(t, "lobby")
	if status != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("handshake over the cap: %d Retry-After %q, want 503 with Retry-After: 1", status, resp.Header.Get("Retry-After"))
	}
	if resp := ts.probe(t, "lobby"); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("probe over the cap: %d %v, want 503 with Retry-After: 1", resp.StatusCode, resp.Header)
	}

	unblock()
	for range limit {
		if ws := <-slow; ws != nil {
			c := &client{t: t, ws: ws}
			c.ping("slow")
			ws.Close()
		}
	}
	waitUntil(t, "the admission count to drop to 0", func() bool { return ts.hub.drain.inflight.Load() == 0 })
	// Below the cap again: accepted, even while the probe still reports the
	// recent refusal.
	ts.dial(t, "lobby").ping("after")

	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if err := ts.hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if resp := ts.probe(t, "lobby"); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("probe after shutdown: %d %v, want 503 with Retry-After: 1", resp.StatusCode, resp.Header)
	}
	if status, resp := ts.dialStatus(t, "lobby"); status != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("handshake after shutdown: %d, want 503 with Retry-After: 1", status)
	}
}

// TestProbeRunsNoHooks: a plain GET on the endpoint never reaches Room or
// OnConnect, whatever the room segment, and the probe memory is off
// without a cap.
func TestProbeRunsNoHooks(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	count := func() {
		mu.Lock()
		calls++
		mu.Unlock()
	}
	ts := newTestServer(t, Config{
		MaxHandshakes: -1,
		Room:          func(c echo.Context) (string, error) { count(); return c.Param("room"), nil },
		OnConnect:     func(echo.Context, *Context) error { count(); return nil },
	}, nil)
	for _, room := range []string{"lobby", "a%20b", strings.Repeat("x", 200)} {
		if resp := ts.probe(t, room); resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("probe %.20s: %d %v, want 426, no-store", room, resp.StatusCode, resp.Header)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 0 {
		t.Fatalf("the probe ran Room or OnConnect %d times", calls)
	}
}

func TestHandshakeRefusalsLogBounded(t *testing.T) {
	var logs logRecorder
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	ts := newTestServer(t, Config{
		MaxHandshakes: 1,
		Logger:        logs.logger(),
		OnConnect: func(c echo.Context, _ *Context) error {
			if c.Param("room") == "slow" {
				<-release
			}
			return nil
		},
	}, func(h *Hub, _ *echo.Echo) { h.handshakeLogs.every = 200 * time.Millisecond })

	done := make(chan struct{})
	go func() {
		defer close(done)
		ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL("slow"), nil)
		if err != nil {
			t.Errorf("slow handshake: %v", err)
			return
		}
		ws.Close()
	}()
	waitUntil(t, "the slow handshake", func() bool { return ts.hub.drain.inflight.Load() == 1 })

	const refusals = 50
	start := time.Now()
	for i := range refusals {
		if status, _ := ts.dialStatus(t, "lobby"); status != http.StatusServiceUnavailable {
			t.Fatalf("handshake %d: status %d, want 503", i, status)
		}
	}
	elapsed := time.Since(start)
	// Every refusal is counted once: 1 for the first line, refused=N for
	// each summary line.
	counted := func() (lines, total int, text string) {
		for _, l := range strings.Split(logs.String(), "\n") {
			if !strings.Contains(l, "refused: too many handshakes") {
				continue
			}
			lines++
			text += l + "\n"
			if _, n, ok := strings.Cut(l, "refused="); ok {
				v, _ := strconv.Atoi(strings.Fields(n)[0])
				total += v
			} else {
				total++
			}
		}
		return lines, total, text
	}
	waitUntil(t, "the summary of every refusal", func() bool { _, total, _ := counted(); return total == refusals })
	time.Sleep(500 * time.Millisecond) // more intervals: nothing more to say
	lines, total, text := counted()
	// One line at once, then at most one per interval while refusals came,
	// plus the last summary.
	if most := 2 + int(elapsed/(200*time.Millisecond)); lines > most || total != refusals {
		t.Fatalf("%d refusals in %v logged %d lines counting %d, want at most %d lines counting %d:\n%s",
			refusals, elapsed, lines, total, most, refusals, text)
	}
	t.Logf("%d refusals in %v: %d log lines", refusals, elapsed, lines)
	unblock()
	<-done
}

// TestServerShutdownDrains: the Hub registers itself with the http.Server
// that serves it, so that server's Shutdown alone closes the sockets with
// 1012; Hub.Shutdown then waits for the drain.
func TestServerShutdownDrains(t *testing.T) {
	tests := []struct {
		name  string
		start func(e *echo.Echo, ln net.Listener) (shutdown func(context.Context) error)
	}{
		{"http.Server", func(e *echo.Echo, ln net.Listener) func(context.Context) error {
			srv := &http.Server{Handler: e, ReadHeaderTimeout: readTimeout}
			go func() { _ = srv.Serve(ln) }()
			return srv.Shutdown
		}},
		{"echo.Start: e.Shutdown", func(e *echo.Echo, ln net.Listener) func(context.Context) error {
			e.Listener = ln
			go func() { _ = e.Start("") }()
			return e.Shutdown
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := echo.New()
			e.HideBanner, e.HidePort = true, true
			h := New(Config{Logger: discardLogger(), DrainWindow: 750 * time.Millisecond})
			h.Handle("ping", echoHandler)
			e.Use(h.Middleware())
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			shutdown := tt.start(e, ln)
			url := "ws://" + ln.Addr().String() + "/ws/liveview/lobby/"
			var cs []*client
			for range 3 {
				ws, _, err := websocket.DefaultDialer.Dial(url, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ws.Close() })
				cs = append(cs, &client{t: t, ws: ws})
				cs[len(cs)-1].ping("x")
			}
			n := 0
			h.drain.servers.Range(func(any, any) bool { n++; return true })
			if n != 1 {
				t.Fatalf("registered with %d servers, want 1", n)
			}
			ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
			defer cancel()
			if err := shutdown(ctx); err != nil {
				t.Fatalf("server shutdown: %v", err)
			}
			for i, c := range cs {
				if code, reason := closeCode(t, c); code != websocket.CloseServiceRestart || reason != "liveview:restart:750" {
					t.Errorf("client %d: close %d %q, want 1012 liveview:restart:750", i, code, reason)
				}
			}
			if err := h.Shutdown(ctx); err != nil {
				t.Fatalf("hub shutdown after the server's: %v", err)
			}
		})
	}
}

// TestShutdownWithStuckClients: clients that stopped reading (their socket
// takes no more data) cost closeTimeout each to close; Shutdown closes
// several at a time, so they do not delay each other's close, nor the 1012
// of the healthy clients, by closeTimeout apiece.
func TestShutdownWithStuckClients(t *testing.T) {
	const stuck = 6
	big := strings.Repeat("x", 512<<10)
	ts := newTestServer(t, Config{SendQueueBytes: 64 << 20, WriteTimeout: time.Minute}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
	})
	for range stuck {
		ts.dial(t, "stuck").ping("x") // and never read again (closed at cleanup)
	}
	healthy := ts.dial(t, "healthy")
	// 48 frames of 512 KiB (24 MiB) per stuck client: more than loopback
	// socket buffers hold, fewer than its queue, so its writer blocks.
	for range 48 {
		if err := ts.hub.Publish(context.Background(), "stuck", Message{Target: "#big", HTML: big}); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "every stuck client's writer to block", func() bool {
		ts.hub.mu.RLock()
		defer ts.hub.mu.RUnlock()
		blocked := 0
		for c := range ts.hub.conns {
			if c.room == "stuck" && c.queuedBytes() > 8*len(big) {
				blocked++
			}
		}
		return blocked == stuck
	})
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if err := ts.hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	// One after the other they would take stuck * closeTimeout (6 s); at
	// once, about one closeTimeout.
	if limit := stuck * closeTimeout / 2; took >= limit {
		t.Errorf("Shutdown with %d stuck clients took %v, want well under %v", stuck, took, stuck*closeTimeout)
	}
	t.Logf("Shutdown with %d stuck clients took %v", stuck, took)
	if code, _ := closeCode(t, healthy); code != websocket.CloseServiceRestart {
		t.Errorf("healthy client: close %d, want 1012", code)
	}
}
