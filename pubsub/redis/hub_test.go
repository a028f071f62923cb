package redis_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
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
	_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("frame %q: %v", b, err)
	}
	s, _ := m["html"].(string)
	return s
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
		delete(got, "ping") // also the broker's health check, when idle for 5s
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
