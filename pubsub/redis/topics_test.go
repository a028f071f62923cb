package redis_test

import (
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// newTopicInstance is newInstance with cfg (Broker and Logger set here)
// and the handlers join and leave (data topic; they answer #r with "ok"
// or the error) and burst (n Joins and Leaves of its topics).
func newTopicInstance(t *testing.T, addr string, cfg liveview.Config) *instance {
	t.Helper()
	broker := redis.New(newClient(t, addr, 3), redis.WithLogger(quietLogger()))
	cfg.Broker, cfg.Logger = broker, quietLogger()
	hub := liveview.New(cfg)
	answer := func(c *liveview.Context, err error) error {
		if err != nil {
			return c.HTML("#r", err.Error())
		}
		return c.HTML("#r", "ok")
	}
	hub.Handle("join", func(c *liveview.Context) error { return answer(c, c.Join(c.Data("topic"))) })
	hub.Handle("leave", func(c *liveview.Context) error { return answer(c, c.Leave(c.Data("topic"))) })
	hub.Handle("burst", func(c *liveview.Context) error {
		for i := range 500 {
			topic := "burst:" + strconv.Itoa(i%40)
			if err := c.Join(topic); err != nil && !errors.Is(err, liveview.ErrTooManyTopics) {
				return err
			}
			if i%2 == 0 {
				_ = c.Leave("burst:" + strconv.Itoa((i*7)%40))
			}
		}
		return c.HTML("#r", "ok")
	})
	hub.Handle("ping", func(c *liveview.Context) error { return c.HTML("#pong", c.Data("n")) })
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

// call sends function with topic on ws and returns the answer of #r.
func call(t *testing.T, ws *websocket.Conn, function, topic string) string {
	t.Helper()
	event(t, ws, function, map[string]any{"topic": topic})
	return answerOf(t, ws)
}

// answerOf reads frames up to the next answer of #r and returns its html.
func answerOf(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	for {
		target, html := readFrame(t, ws)
		if target == "#r" {
			return html
		}
	}
}

// channels returns the Redis channels anyone subscribes to.
func channels(srv *redisserver.Server) []string {
	return strings.Fields(srv.Do("PUBSUB", "CHANNELS", "*"))
}

// TestHubTopics: a connection in three topics gets each one's frames
// once, in the order of each publisher (publishers on the other
// instance), and none of a topic after Leave; the topics cost one Redis
// channel each per instance and are unsubscribed when the connection
// leaves them or ends.
func TestHubTopics(t *testing.T) {
	srv := redisserver.Start(t)
	a := newTopicInstance(t, srv.Addr(), liveview.Config{})
	b := newTopicInstance(t, srv.Addr(), liveview.Config{})
	ws := a.dial(t, "home")
	for _, topic := range []string{"t1", "t2", "t3"} {
		if got := call(t, ws, "join", topic); got != "ok" {
			t.Fatalf("join %s: %s", topic, got)
		}
	}
	if got := a.broker.Stats().Channels; got != 5 { // broadcast, home, t1-t3
		t.Errorf("Redis channels of instance a: %d, want 5", got)
	}
	const n = 50
	var wg sync.WaitGroup
	for _, topic := range []string{"t1", "t2", "t3"} {
		wg.Go(func() {
			for i := range n {
				if err := b.hub.Publish(t.Context(), topic, liveview.Message{Target: "#" + topic, HTML: strconv.Itoa(i)}); err != nil {
					t.Errorf("publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	next := map[string]int{}
	for range 3 * n {
		target, html := readFrame(t, ws)
		if html != strconv.Itoa(next[target]) {
			t.Fatalf("%s: got frame %s, want %d", target, html, next[target])
		}
		next[target]++
	}
	if got := call(t, ws, "leave", "t2"); got != "ok" {
		t.Fatal(got)
	}
	_ = b.hub.Publish(t.Context(), "t2", liveview.Message{Target: "#t2", HTML: "after leave"})
	_ = b.hub.Publish(t.Context(), "t1", liveview.Message{Target: "#t1", HTML: "marker"})
	if target, html := readFrame(t, ws); html != "marker" {
		t.Fatalf("after Leave: got %s %s, want the marker", target, html)
	}
	ws.Close()
	// The broadcast topic's too: the instances have no connection left.
	waitFor(t, "the topics to be unsubscribed", func() bool { return a.broker.Stats().Channels == 0 })
	if got := channels(srv); len(got) != 0 {
		t.Errorf("Redis channels left subscribed: %v", got)
	}
}

// TestHubDisconnectRedis: Hub.Disconnect on one instance closes the
// topic's connections on both (room and joined) with 4403 and the reason,
// OnDisconnect runs for each, the others stay, and no channel of the
// topic remains.
func TestHubDisconnectRedis(t *testing.T) {
	srv := redisserver.Start(t)
	var mu sync.Mutex
	var gone []string
	cfg := liveview.Config{OnDisconnect: func(lc *liveview.Context) {
		mu.Lock()
		gone = append(gone, lc.Room())
		mu.Unlock()
	}}
	a, b := newTopicInstance(t, srv.Addr(), cfg), newTopicInstance(t, srv.Addr(), cfg)
	members := []*websocket.Conn{a.dial(t, "user-1"), b.dial(t, "user-1"), a.dial(t, "tab-a"), b.dial(t, "tab-b")}
	for _, ws := range members[2:] {
		if got := call(t, ws, "join", "user-1"); got != "ok" {
			t.Fatal(got)
		}
	}
	others := []*websocket.Conn{a.dial(t, "user-2"), b.dial(t, "user-2"), b.dial(t, "tab-c")}
	if got := call(t, others[2], "join", "user-2"); got != "ok" {
		t.Fatal(got)
	}
	if err := b.hub.Disconnect(t.Context(), "user-1", "Signed out on another device"); err != nil {
		t.Fatal(err)
	}
	for i, ws := range members {
		_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
		_, _, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != liveview.CloseDisconnected || ce.Text != "liveview:disconnected:Signed out on another device" {
			t.Fatalf("member %d: %v, want close 4403 with the reason", i, err)
		}
	}
	waitFor(t, "OnDisconnect of the four", func() bool { mu.Lock(); defer mu.Unlock(); return len(gone) == 4 })
	for i, ws := range others {
		event(t, ws, "ping", map[string]any{"n": "alive"})
		if target, html := readFrame(t, ws); target != "#pong" || html != "alive" {
			t.Fatalf("other %d: %s %s", i, target, html)
		}
	}
	mu.Lock()
	if strings.Join(gone, ",") == "" || len(gone) != 4 {
		t.Errorf("OnDisconnect ran for %v", gone)
	}
	mu.Unlock()
	waitFor(t, "user-1 to be unsubscribed", func() bool {
		return srv.Do("PUBSUB", "NUMSUB", "liveview:room:user-1") == "liveview:room:user-1\n0"
	})
}

// TestHubTopicsHostileBurst: a client's handler joining and leaving topics
// in a loop (beyond MaxTopics) on Redis disturbs no other connection, and
// once everyone left no channel remains (PUBSUB CHANNELS).
func TestHubTopicsHostileBurst(t *testing.T) {
	srv := redisserver.Start(t)
	a := newTopicInstance(t, srv.Addr(), liveview.Config{MaxTopics: 8})
	b := newTopicInstance(t, srv.Addr(), liveview.Config{MaxTopics: 8})
	hostile := a.dial(t, "hostile")
	quiet := []*websocket.Conn{a.dial(t, "q"), b.dial(t, "q")}
	for _, ws := range quiet {
		if got := call(t, ws, "join", "burst:1"); got != "ok" {
			t.Fatal(got)
		}
	}
	event(t, hostile, "burst", nil)
	event(t, hostile, "burst", nil)
	for i := range 40 {
		_ = b.hub.Publish(t.Context(), "burst:1", liveview.Message{Target: "#q", HTML: strconv.Itoa(i)})
	}
	for qi, ws := range quiet {
		for want := range 40 {
			if target, html := readFrame(t, ws); target != "#q" || html != strconv.Itoa(want) {
				t.Fatalf("quiet %d: got %s %s, want frame %d", qi, target, html, want)
			}
		}
	}
	for range 2 {
		if got := answerOf(t, hostile); got != "ok" {
			t.Fatalf("burst: %s", got)
		}
	}
	hostile.Close()
	for _, ws := range quiet {
		ws.Close()
	}
	waitFor(t, "every topic to be unsubscribed", func() bool {
		return a.broker.Stats().Channels == 0 && b.broker.Stats().Channels == 0
	})
	if got := channels(srv); len(got) != 0 {
		t.Errorf("Redis channels after everyone left: %v", got)
	}
}
