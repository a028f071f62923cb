package redis_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// instance is one liveview app with its own Redis client and broker,
// served over real TCP.
type instance struct {
	hub    *liveview.Hub
	broker *redis.Broker
	srv    *httptest.Server
}

func newInstance(t *testing.T, addr string, opts ...redis.Option) *instance {
	t.Helper()
	broker := redis.New(newClient(t, addr, 3), append(opts, redis.WithLogger(quietLogger()))...)
	hub := liveview.New(liveview.Config{Broker: broker, Logger: quietLogger()})
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(hub.Middleware())
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		_ = hub.Close()
		srv.Close()
		_ = broker.Close()
	})
	return &instance{hub: hub, broker: broker, srv: srv}
}

// dial opens a WebSocket to room.
func (in *instance) dial(t *testing.T, room string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(in.srv.URL, "http")+"/ws/liveview/"+room+"/", nil)
	if err != nil {
		t.Fatalf("dial %s: %v", room, err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// readHTML reads the next frame and returns its html.
func readHTML(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	_, html := readFrame(t, ws)
	return html
}

// commands returns the commands counted since the last CONFIG RESETSTAT,
// without the CONFIG and INFO calls of the measurement itself.
func commands(srv *redisserver.Server) map[string]int {
	calls := srv.CommandCalls()
	maps.DeleteFunc(calls, func(name string, _ int) bool {
		return strings.HasPrefix(name, "config") || strings.HasPrefix(name, "info")
	})
	return calls
}

// TestHubCommandCost measures the Redis commands that liveview operations
// cost with two instances sharing Redis (INFO commandstats): one Broadcast
// or Publish is one PUBLISH, however many instances and connections receive
// it; a room's first connection on an instance costs SUBSCRIBE and PING, a
// further one nothing, and the last one leaving UNSUBSCRIBE.
func TestHubCommandCost(t *testing.T) {
	srv := redisserver.Start(t)
	a, b := newInstance(t, srv.Addr()), newInstance(t, srv.Addr())
	var all []*websocket.Conn
	for _, in := range []*instance{a, b} {
		for _, room := range []string{"r1", "r1", "r2"} {
			all = append(all, in.dial(t, room))
		}
	}
	// A handshake returns once the subscriptions are confirmed. Warm up
	// each instance's connection pool: opening a pool connection costs a
	// HELLO once, not per publish.
	for _, in := range []*instance{a, b} {
		if err := in.hub.Broadcast(t.Context(), liveview.Message{Target: "#t", HTML: "warm"}); err != nil {
			t.Fatal(err)
		}
		for _, ws := range all {
			if got := readHTML(t, ws); got != "warm" {
				t.Fatalf("got %q, want %q", got, "warm")
			}
		}
	}
	step := func(name string, want map[string]int, do func()) {
		t.Helper()
		srv.Do("CONFIG", "RESETSTAT")
		do()
		got := commands(srv)
		delete(got, "ping") // also the broker's health check, after each idle second
		delete(want, "ping")
		if !maps.Equal(got, want) {
			t.Errorf("%s: Redis commands %v, want %v", name, got, want)
		}
		t.Logf("%s: %v", name, got)
	}
	step("Broadcast to 6 connections on 2 instances", map[string]int{"publish": 1}, func() {
		if err := a.hub.Broadcast(t.Context(), liveview.Message{Target: "#t", HTML: "all"}); err != nil {
			t.Fatal(err)
		}
		for _, ws := range all {
			if got := readHTML(t, ws); got != "all" {
				t.Fatalf("got %q, want %q", got, "all")
			}
		}
	})
	step("Publish to a room with 4 connections on 2 instances", map[string]int{"publish": 1}, func() {
		if err := b.hub.Publish(t.Context(), "r1", liveview.Message{Target: "#t", HTML: "r1"}); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 1, 3, 4} {
			if got := readHTML(t, all[i]); got != "r1" {
				t.Fatalf("connection %d got %q, want %q", i, got, "r1")
			}
		}
	})
	step("first connection of a room on an instance", map[string]int{"subscribe": 1}, func() {
		a.dial(t, "r3")
	})
	step("second connection of that room", map[string]int{}, func() {
		a.dial(t, "r3")
	})
	// The first connection of a room also sends a PING (deleted above,
	// as health checks may add some); check it separately.
	srv.Do("CONFIG", "RESETSTAT")
	ws := a.dial(t, "r4")
	if got := srv.CommandCalls()["ping"]; got < 1 {
		t.Errorf("first connection of a room: %d PING, want 1", got)
	}
	// The last connection of a room leaving unsubscribes (once the Hub has
	// seen the close).
	srv.Do("CONFIG", "RESETSTAT")
	ws.Close()
	waitFor(t, "UNSUBSCRIBE", func() bool { return commands(srv)["unsubscribe"] == 1 })
	got := commands(srv)
	delete(got, "ping")
	if want := map[string]int{"unsubscribe": 1}; !maps.Equal(got, want) {
		t.Errorf("last connection of a room leaving: Redis commands %v, want %v", got, want)
	}
}

// TestHubFaults: while Redis is down, Broadcast and Publish fail with an
// error wrapping ErrUnavailable and never hang; after a restart, the
// connections made before the outage receive again, with no reconnect of
// their own.
func TestHubFaults(t *testing.T) {
	srv := redisserver.Start(t)
	a, b := newInstance(t, srv.Addr()), newInstance(t, srv.Addr())
	wa, wb := a.dial(t, "room"), b.dial(t, "room")

	srv.Kill()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := a.hub.Broadcast(ctx, liveview.Message{Target: "#t", HTML: "lost"}); !errors.Is(err, redis.ErrUnavailable) {
		t.Errorf("Broadcast with Redis down: %v, want ErrUnavailable", err)
	}
	if err := b.hub.Publish(ctx, "room", liveview.Message{Target: "#t", HTML: "lost"}); !errors.Is(err, redis.ErrUnavailable) {
		t.Errorf("Publish with Redis down: %v, want ErrUnavailable", err)
	}
	// A new connection is refused while its room cannot be subscribed.
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.srv.URL, "http")+"/ws/liveview/other/", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("handshake with Redis down: %v, want 503", err)
	}

	srv.Restart()
	waitFor(t, "both brokers to resubscribe", func() bool {
		sa, sb := a.broker.Stats(), b.broker.Stats()
		return sa.Gaps == 1 && sb.Gaps == 1 && sa.GapSince.IsZero() && sb.GapSince.IsZero()
	})
	if err := a.hub.Publish(ctx, "room", liveview.Message{Target: "#t", HTML: "back"}); err != nil {
		t.Fatalf("Publish after the restart: %v", err)
	}
	for _, ws := range []*websocket.Conn{wa, wb} {
		if got := readHTML(t, ws); got != "back" {
			t.Errorf("after the restart got %q, want %q", got, "back")
		}
	}
}

// event sends one liveview event on ws.
func event(t *testing.T, ws *websocket.Conn, function string, data map[string]any) {
	t.Helper()
	_ = ws.SetWriteDeadline(time.Now().Add(waitTimeout))
	if err := ws.WriteJSON(map[string]any{"function": function, "data": data}); err != nil {
		t.Fatalf("send %s: %v", function, err)
	}
}

// readFrame reads the next frame and returns its target and html.
func readFrame(t *testing.T, ws *websocket.Conn) (target, html string) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("frame %q: %v", b, err)
	}
	target, _ = m["target"].(string)
	html, _ = m["html"].(string)
	return target, html
}

// TestHubFrozenRedis freezes the redis-server two instances share (SIGSTOP:
// alive, silent): a handler's c.Publish gets its error within the publish
// bound, the connection that sent the event keeps answering events, and a
// handshake to a new room is refused with 503 within the bound, then at
// once once the hang is detected. After SIGCONT, a handler's publishes
// reach the other instance again, with no reconnect of the connections.
func TestHubFrozenRedis(t *testing.T) {
	srv := redisserver.Start(t)
	a, b := newInstance(t, srv.Addr()), newInstance(t, srv.Addr())
	for _, in := range []*instance{a, b} {
		in.hub.Handle("announce", func(c *liveview.Context) error {
			err := c.Publish("room", liveview.Message{Target: "#news", HTML: c.Data("text")})
			switch {
			case errors.Is(err, redis.ErrUnavailable):
				return c.HTML("#result", "unavailable")
			case err != nil:
				return c.HTML("#result", err.Error())
			}
			return c.HTML("#result", "ok")
		})
		in.hub.Handle("ping", func(c *liveview.Context) error { return c.HTML("#pong", "pong") })
	}
	sender, receiver := a.dial(t, "lobby"), b.dial(t, "room")
	announce := func(text string) (result string, took time.Duration) {
		t.Helper()
		start := time.Now()
		event(t, sender, "announce", map[string]any{"text": text})
		target, html := readFrame(t, sender)
		if target != "#result" {
			t.Fatalf("announce %q: got a frame for %q (%q), want #result", text, target, html)
		}
		return html, time.Since(start)
	}
	ping := func(when string) {
		t.Helper()
		var target, html string
		d := timed(func() {
			event(t, sender, "ping", nil)
			target, html = readFrame(t, sender)
		})
		if target != "#pong" || html != "pong" || d > atOnce {
			t.Errorf("ping %s: %q %q after %v, want pong under %v", when, target, html, d, atOnce)
		}
	}
	handshake := func(room string) (status int, took time.Duration) {
		t.Helper()
		start := time.Now()
		ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.srv.URL, "http")+"/ws/liveview/"+room+"/", nil)
		took = time.Since(start)
		if err == nil {
			ws.Close()
			return http.StatusSwitchingProtocols, took
		}
		if resp == nil {
			t.Fatalf("handshake to %s: %v", room, err)
		}
		return resp.StatusCode, took
	}

	if got, _ := announce("before"); got != "ok" {
		t.Fatalf("announce before the freeze: %q", got)
	}
	if _, html := readFrame(t, receiver); html != "before" {
		t.Fatalf("receiver got %q, want before", html)
	}

	srv.Pause()
	paused := time.Now()
	resumed := false
	defer func() {
		if !resumed {
			srv.Resume()
		}
	}()
	got, d := announce("frozen-1")
	t.Logf("handler's c.Publish during the freeze: %q after %v", got, d)
	if got != "unavailable" || d > boundedWait {
		t.Errorf("announce during the freeze: %q after %v, want unavailable under %v", got, d, boundedWait)
	}
	ping("after a publish into the freeze")
	status, d := handshake("new-1")
	t.Logf("handshake to a new room during the freeze: %d after %v", status, d)
	if status != http.StatusServiceUnavailable || d > boundedWait {
		t.Errorf("handshake to a new room during the freeze: %d after %v, want 503 under %v", status, d, boundedWait)
	}

	waitFor(t, "both brokers to detect the hang", func() bool {
		return !a.broker.Stats().Connected && !b.broker.Stats().Connected
	})
	t.Logf("hang detected %v after SIGSTOP", time.Since(paused))
	for i := range 3 {
		got, d := announce("frozen-" + strconv.Itoa(i+2))
		if got != "unavailable" || d > atOnce {
			t.Errorf("announce after detection: %q after %v, want unavailable under %v", got, d, atOnce)
		}
		ping("after detection")
	}
	status, d = handshake("new-2")
	t.Logf("handshake to a new room after detection: %d after %v", status, d)
	if status != http.StatusServiceUnavailable || d > atOnce {
		t.Errorf("handshake to a new room after detection: %d after %v, want 503 under %v", status, d, atOnce)
	}

	srv.Resume()
	resumed = true
	waitFor(t, "both brokers to resubscribe", func() bool {
		sa, sb := a.broker.Stats(), b.broker.Stats()
		return sa.Gaps == 1 && sb.Gaps == 1 && sa.GapSince.IsZero() && sb.GapSince.IsZero()
	})
	// A publish that timed out may still be delivered once Redis wakes
	// up (it was never retried, so at most once): skip it.
	waitFor(t, "publishing to work again", func() bool {
		got, _ := announce("back")
		return got == "ok"
	})
	for i := 0; ; i++ {
		_, html := readFrame(t, receiver)
		if html == "back" {
			break
		}
		if html != "frozen-1" || i > 0 {
			t.Fatalf("receiver got %q, want back (or once the timed-out frozen-1 before it)", html)
		}
	}
	ping("after the resume")
	if status, _ := handshake("new-3"); status != http.StatusSwitchingProtocols {
		t.Errorf("handshake after the resume: %d, want 101", status)
	}
}
