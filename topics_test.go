package liveview

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview/pubsub"
)

// topicHandlers registers "join", "leave" and "topics" on h: each answers
// {"target": "#r", "html": <result>}, the result "ok", the sentinel
// error's name, or the topics joined (comma-separated).
func topicHandlers(h *Hub) {
	h.Handle("ping", echoHandler)
	h.Handle("join", func(c *Context) error { return c.HTML("#r", topicResult(c.Join(c.Data("topic")))) })
	h.Handle("leave", func(c *Context) error { return c.HTML("#r", topicResult(c.Leave(c.Data("topic")))) })
	h.Handle("topics", func(c *Context) error { return c.HTML("#r", strings.Join(c.Topics(), ",")) })
}

func topicResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrInvalidTopic):
		return "invalid"
	case errors.Is(err, ErrTooManyTopics):
		return "toomany"
	case errors.Is(err, ErrConnClosed):
		return "closed"
	}
	return err.Error()
}

// do sends function with the topic and returns the answer's html.
func (c *client) do(function, topic string) string {
	c.t.Helper()
	c.send(function, map[string]any{"topic": topic}, nil)
	m := c.read()
	if m["target"] != "#r" {
		c.t.Fatalf("%s %q: got %v", function, topic, m)
	}
	s, _ := m["html"].(string)
	return s
}

// hubTopics returns the Broker topics the Hub is subscribed to.
func (h *Hub) hubTopics() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for name := range h.topics {
		out = append(out, name)
	}
	return out
}

// TestTopicsDelivery: a connection in its room and three joined topics
// gets each topic's frames once, in the order of each publisher, from
// Hub.Publish and from another connection's Context.Publish; none of a
// topic after it left it. A room is a topic: a connection whose room is
// one of them receives the same frames.
func TestTopicsDelivery(t *testing.T) {
	ts := newTestServer(t, Config{PublishLimit: -1}, func(h *Hub, _ *echo.Echo) {
		topicHandlers(h)
		h.Handle("pub", func(c *Context) error {
			return c.Publish(c.Data("topic"), Message{Target: "#" + c.Data("topic"), HTML: c.Data("n")})
		})
	})
	a := ts.dial(t, "home")
	for _, topic := range []string{"t1", "t2", "news:t3"} {
		if got := a.do("join", topic); got != "ok" {
			t.Fatalf("join %s: %s", topic, got)
		}
	}
	if got := a.do("topics", ""); got != "news:t3,t1,t2" {
		t.Fatalf("Topics() = %q", got)
	}
	inRoom := ts.dial(t, "t2") // room t2: the same topic
	inRoom.ping("ready")
	pubConn := ts.dial(t, "elsewhere")
	pubConn.ping("ready")

	const n = 60
	var wg sync.WaitGroup
	for _, topic := range []string{"t1", "t2"} {
		wg.Go(func() {
			for i := range n {
				if err := ts.hub.Publish(context.Background(), topic, Message{Target: "#" + topic, HTML: strconv.Itoa(i)}); err != nil {
					t.Errorf("publish: %v", err)
					return
				}
			}
		})
	}
	for i := range n { // a third publisher: another connection's events
		pubConn.send("pub", map[string]any{"topic": "news:t3", "n": strconv.Itoa(i)}, nil)
	}
	wg.Wait()
	next := map[string]int{}
	for range 3 * n {
		m := a.read()
		target, _ := m["target"].(string)
		i, err := strconv.Atoi(fmt.Sprint(m["html"]))
		if err != nil || next[target] != i {
			t.Fatalf("frame %v: want %s number %d", m, target, next[target])
		}
		next[target]++
	}
	for i := range n {
		m := inRoom.read()
		if m["target"] != "#t2" || m["html"] != strconv.Itoa(i) {
			t.Fatalf("room t2's connection: frame %v, want #t2 %d", m, i)
		}
	}

	if got := a.do("leave", "t2"); got != "ok" {
		t.Fatalf("leave: %s", got)
	}
	if got := a.do("leave", "t2"); got != "ok" { // not joined: a no-op
		t.Fatalf("leave again: %s", got)
	}
	_ = ts.hub.Publish(context.Background(), "t2", Message{Target: "#t2", HTML: "after leave"})
	_ = ts.hub.Publish(context.Background(), "t1", Message{Target: "#t1", HTML: "marker"})
	if m := a.read(); m["html"] != "marker" {
		t.Fatalf("after Leave: got %v, want the marker of t1", m)
	}
	if m := inRoom.read(); m["html"] != "after leave" {
		t.Fatalf("room t2 after a's Leave: got %v", m)
	}
	if got := a.do("topics", ""); got != "news:t3,t1" {
		t.Fatalf("Topics() after Leave = %q", got)
	}
}

// TestTopicsRefusals: names Config.ValidTopic refuses, Config.MaxTopics,
// the own room, joining twice.
func TestTopicsRefusals(t *testing.T) {
	type step struct{ function, topic, want string }
	cases := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"default names", Config{}, []step{
			{"join", "", "invalid"},
			{"join", "a b", "invalid"},
			{"join", "é", "invalid"},
			{"join", "x\x00y", "invalid"},
			{"join", strings.Repeat("a", 201), "invalid"},
			{"join", strings.Repeat("a", 200), "ok"},
			{"join", "user:42/tab@host_1.x-y", "ok"},
			{"topics", "", strings.Repeat("a", 200) + ",user:42/tab@host_1.x-y"},
		}},
		{"own room", Config{}, []step{
			{"join", "room1", "ok"}, // a no-op
			{"topics", "", ""},
			{"leave", "room1", "invalid"},
			{"leave", "never-joined", "ok"},
		}},
		{"max topics", Config{MaxTopics: 2}, []step{
			{"join", "a", "ok"},
			{"join", "b", "ok"},
			{"join", "a", "ok"}, // already in: no-op, not counted
			{"join", "c", "toomany"},
			{"join", "room1", "ok"}, // the room is not counted
			{"leave", "a", "ok"},
			{"join", "c", "ok"},
			{"topics", "", "b,c"},
		}},
		{"unlimited", Config{MaxTopics: -1}, func() []step {
			var s []step
			for i := range 40 {
				s = append(s, step{"join", "t" + strconv.Itoa(i), "ok"})
			}
			return s
		}()},
		{"custom ValidTopic", Config{ValidTopic: func(s string) bool { return strings.HasPrefix(s, "app.") }}, []step{
			{"join", "user:1", "invalid"},
			{"join", "app.news", "ok"},
			{"join", "room1", "ok"}, // the room always is
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, tc.cfg, func(h *Hub, _ *echo.Echo) { topicHandlers(h) })
			c := ts.dial(t, "room1")
			for _, s := range tc.steps {
				if got := c.do(s.function, s.topic); got != s.want {
					t.Fatalf("%s %.20q: got %q, want %q", s.function, s.topic, got, s.want)
				}
			}
		})
	}
}

// TestTopicsErrorText: the errors name the topic, clipped.
func TestTopicsErrorText(t *testing.T) {
	h := New(Config{MaxTopics: 1, Logger: discardLogger()})
	defer h.Close()
	cn := newConn(h, nil, httptest.NewRequest("GET", "/", nil), "r")
	lc := &Context{conn: cn}
	defer h.leaveAll(cn)
	long := strings.Repeat("x", 300) + " "
	err := lc.Join(long)
	if !errors.Is(err, ErrInvalidTopic) || !strings.Contains(err.Error(), "xxx...") || len(err.Error()) > 120 {
		t.Fatalf("Join(long invalid) = %v", err)
	}
	if err := lc.Join("a"); err != nil {
		t.Fatal(err)
	}
	err = lc.Join("b")
	if !errors.Is(err, ErrTooManyTopics) || !strings.Contains(err.Error(), `"b"`) || !strings.Contains(err.Error(), "MaxTopics") {
		t.Fatalf("Join beyond MaxTopics = %v", err)
	}
}

// TestTopicsJoinFromOnConnect: OnConnect joins a topic before the upgrade;
// a frame published to it meanwhile arrives first once the socket opens.
// An OnConnect that joined and then refused leaves nothing subscribed.
func TestTopicsJoinFromOnConnect(t *testing.T) {
	var refused atomic.Bool
	var ts *testServer
	ts = newTestServer(t, Config{
		OnConnect: func(c echo.Context, lc *Context) error {
			if err := lc.Join("user:" + c.QueryParam("u")); err != nil {
				return err
			}
			if c.QueryParam("refuse") != "" {
				refused.Store(true)
				return errors.New("no")
			}
			return ts.hub.Publish(context.Background(), "user:"+c.QueryParam("u"), Message{Target: "#early", HTML: "before the upgrade"})
		},
	}, func(h *Hub, _ *echo.Echo) { topicHandlers(h) })
	ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL("r")+"?u=7", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	if m := c.read(); m["target"] != "#early" {
		t.Fatalf("first frame %v, want the one published during OnConnect", m)
	}
	if got := c.do("topics", ""); got != "user:7" {
		t.Fatalf("Topics() = %q", got)
	}
	_ = ts.hub.Publish(context.Background(), "user:7", Message{Target: "#late", HTML: "x"})
	if m := c.read(); m["target"] != "#late" {
		t.Fatalf("got %v", m)
	}

	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL("r")+"?u=8&refuse=1", nil)
	if err == nil || resp == nil || resp.StatusCode != 403 || !refused.Load() {
		t.Fatalf("refused handshake: err %v, resp %v", err, resp)
	}
	for _, name := range ts.hub.hubTopics() {
		if name == roomTopicPrefix+"user:8" {
			t.Fatalf("the refused connection's topic is still subscribed: %v", ts.hub.hubTopics())
		}
	}
}

// TestTopicsJoinRacesClose: Joins and Leaves racing with the end of the
// connection (leaveAll, as onDisconnect runs it) leave no membership and
// no subscription behind; a Join after it fails with ErrConnClosed.
func TestTopicsJoinRacesClose(t *testing.T) {
	h := New(Config{Logger: discardLogger(), MaxTopics: -1})
	defer h.Close()
	other := newConn(h, nil, httptest.NewRequest("GET", "/", nil), "keep")
	if err := h.joinAll(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	otherCtx := &Context{conn: other}
	if err := otherCtx.Join("t1"); err != nil { // shared with the racing ones
		t.Fatal(err)
	}
	for i := range 200 {
		cn := newConn(h, nil, httptest.NewRequest("GET", "/", nil), "r"+strconv.Itoa(i%3))
		if err := h.joinAll(context.Background(), cn); err != nil {
			t.Fatal(err)
		}
		lc := &Context{conn: cn}
		var wg sync.WaitGroup
		for g := range 3 {
			wg.Go(func() {
				for j := 0; ; j++ {
					topic := "t" + strconv.Itoa((j+g)%4)
					err := lc.Join(topic)
					if errors.Is(err, ErrConnClosed) {
						return
					}
					if err != nil {
						t.Errorf("Join: %v", err)
						return
					}
					if j%2 == 1 {
						_ = lc.Leave(topic)
					}
				}
			})
		}
		if i%2 == 0 {
			wg.Go(func() { h.leaveAll(cn) })
		} else {
			h.leaveAll(cn)
		}
		wg.Wait()
		if err := lc.Join("late"); !errors.Is(err, ErrConnClosed) {
			t.Fatalf("Join after the end: %v", err)
		}
	}
	got := h.hubTopics()
	want := map[string]bool{broadcastTopic: true, roomTopicPrefix + "keep": true, roomTopicPrefix + "t1": true}
	if len(got) != len(want) {
		t.Fatalf("subscribed topics after every racing connection ended: %v, want only the other connection's", got)
	}
	for _, name := range got {
		if !want[name] {
			t.Fatalf("left over: %s (all: %v)", name, got)
		}
		h.mu.RLock()
		members := len(h.topics[name].members)
		h.mu.RUnlock()
		if members != 1 {
			t.Fatalf("%s has %d members, want 1", name, members)
		}
	}
	h.leaveAll(other)
	if got := h.hubTopics(); len(got) != 0 {
		t.Fatalf("after everyone left: %v", got)
	}
}

// TestTopicsJoinMeetsLeaveAll: the connection ends (leaveAll) right in the
// middle of a Join, after the topic was marked joined and before the Hub
// made it a member: Join returns ErrConnClosed and the topic is not left
// subscribed (leaveAll found no membership to end; Join ends it).
func TestTopicsJoinMeetsLeaveAll(t *testing.T) {
	h := New(Config{Logger: discardLogger()})
	defer h.Close()
	cn := newConn(h, nil, httptest.NewRequest("GET", "/", nil), "r")
	if err := h.joinAll(context.Background(), cn); err != nil {
		t.Fatal(err)
	}
	testHookJoining = func(c *conn) { h.leaveAll(c) }
	defer func() { testHookJoining = nil }()
	if err := (&Context{conn: cn}).Join("t"); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("Join during the end: %v, want ErrConnClosed", err)
	}
	if got := h.hubTopics(); len(got) != 0 {
		t.Fatalf("subscribed after the end: %v", got)
	}
}

// closeOf reads until the connection closes and returns the close code
// and reason.
func closeOf(t *testing.T, c *client) (int, string) {
	t.Helper()
	err := c.readError()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("connection ended without a close frame: %v", err)
	}
	return ce.Code, ce.Text
}

// TestHubDisconnect: two Hubs sharing a Broker. Disconnect closes every
// connection in the topic (its room, or joined) on both, with 4403 and
// the reason, after the frames published before; the others stay;
// OnDisconnect runs.
func TestHubDisconnect(t *testing.T) {
	broker := pubsub.NewMemory()
	defer broker.Close()
	var mu sync.Mutex
	gone := map[string]int{}
	done := make(chan struct{}, 16)
	cfg := Config{Broker: broker, OnDisconnect: func(lc *Context) {
		mu.Lock()
		gone[lc.Room()]++
		mu.Unlock()
		done <- struct{}{}
	}}
	one := newTestServer(t, cfg, func(h *Hub, _ *echo.Echo) { topicHandlers(h) })
	two := newTestServer(t, cfg, func(h *Hub, _ *echo.Echo) { topicHandlers(h) })

	roomMember := one.dial(t, "user-1")
	joined := two.dial(t, "page-a")
	if got := joined.do("join", "user-1"); got != "ok" {
		t.Fatal(got)
	}
	joinedHere := one.dial(t, "page-b")
	if got := joinedHere.do("join", "user-1"); got != "ok" {
		t.Fatal(got)
	}
	others := []*client{one.dial(t, "user-2"), two.dial(t, "user-2"), two.dial(t, "page-c")}
	if got := others[2].do("join", "user-12"); got != "ok" {
		t.Fatal(got)
	}

	ctx := context.Background()
	if err := two.hub.Publish(ctx, "user-1", Message{Target: "#bye", HTML: "last words"}); err != nil {
		t.Fatal(err)
	}
	if err := two.hub.Disconnect(ctx, "user-1", "You signed out."); err != nil {
		t.Fatal(err)
	}
	for i, c := range []*client{roomMember, joined, joinedHere} {
		if m := c.read(); m["target"] != "#bye" {
			t.Fatalf("member %d: first %v, want the frame published before Disconnect", i, m)
		}
		code, reason := closeOf(t, c)
		if code != CloseDisconnected || reason != "liveview:disconnected:You signed out." {
			t.Fatalf("member %d: close %d %q", i, code, reason)
		}
	}
	for range 3 {
		<-done
	}
	for i, c := range others {
		c.ping("still here " + strconv.Itoa(i))
	}
	mu.Lock()
	if gone["user-1"] != 1 || gone["page-a"] != 1 || gone["page-b"] != 1 || len(gone) != 3 {
		t.Errorf("OnDisconnect ran for %v", gone)
	}
	mu.Unlock()
	for _, h := range []*Hub{one.hub, two.hub} {
		for _, name := range h.hubTopics() {
			if name == roomTopicPrefix+"user-1" {
				t.Errorf("user-1 still subscribed after its members closed")
			}
		}
	}
}

// TestHubDisconnectReasons: the close reason for reasons of every size,
// and the refusals.
func TestHubDisconnectReasons(t *testing.T) {
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) { topicHandlers(h) })
	cases := []struct{ reason, want string }{
		{"", "liveview:disconnected"},
		{"Session revoked", "liveview:disconnected:Session revoked"},
		{strings.Repeat("é", 80), "liveview:disconnected:" + strings.Repeat("é", 49) + "..."},
		{strings.Repeat("a", 101), "liveview:disconnected:" + strings.Repeat("a", 101)},
		{strings.Repeat("a", 102), "liveview:disconnected:" + strings.Repeat("a", 98) + "..."},
		{"bad \xff byte", "liveview:disconnected:bad \uFFFD byte"},
	}
	for i, tc := range cases {
		c := ts.dial(t, "r"+strconv.Itoa(i))
		c.ping("up")
		if err := ts.hub.Disconnect(context.Background(), "r"+strconv.Itoa(i), tc.reason); err != nil {
			t.Fatal(err)
		}
		code, reason := closeOf(t, c)
		if code != CloseDisconnected || reason != tc.want || len(reason) > maxCloseReason || !utf8.ValidString(reason) {
			t.Errorf("reason %.20q: close %d %q (%d bytes), want %q", tc.reason, code, reason, len(reason), tc.want)
		}
	}
	if err := ts.hub.Disconnect(context.Background(), "", ""); !errors.Is(err, ErrInvalidTopic) {
		t.Errorf("Disconnect of \"\": %v", err)
	}
	if err := ts.hub.Disconnect(context.Background(), "nobody-here", "x"); err != nil {
		t.Errorf("Disconnect of a topic without members: %v", err)
	}
	_ = ts.hub.Close()
	if err := ts.hub.Disconnect(context.Background(), "r0", ""); !errors.Is(err, ErrHubClosed) {
		t.Errorf("Disconnect after Close: %v", err)
	}
}

// TestHubDisconnectDuringHandshake: a connection that joined the topic in
// OnConnect and is disconnected before its socket opens is closed with
// 4403 as soon as it opens.
func TestHubDisconnectDuringHandshake(t *testing.T) {
	var ts *testServer
	ts = newTestServer(t, Config{OnConnect: func(c echo.Context, lc *Context) error {
		if err := lc.Join("doomed"); err != nil {
			return err
		}
		if err := ts.hub.Disconnect(context.Background(), "doomed", "early"); err != nil {
			return err
		}
		// The control payload reaches this instance's subscription
		// before the upgrade: wait until this connection is marked.
		for range 10_000_000 {
			lc.conn.sendMu.Lock()
			kicked := lc.conn.kicked
			lc.conn.sendMu.Unlock()
			if kicked {
				return nil
			}
			runtime.Gosched()
		}
		return errors.New("the control payload never arrived")
	}}, nil)
	c := ts.dial(t, "r")
	if code, reason := closeOf(t, c); code != CloseDisconnected || reason != "liveview:disconnected:early" {
		t.Fatalf("close %d %q", code, reason)
	}
}

// TestTopicsHostileBurst: one client's handler joins and leaves topics in
// a tight loop, far beyond MaxTopics; the other connections keep getting
// their frames in order and answers to their events, and once everyone
// left no subscription remains.
func TestTopicsHostileBurst(t *testing.T) {
	done := make(chan struct{}, 16)
	ts := newTestServer(t, Config{MaxTopics: 8, OnDisconnect: func(*Context) { done <- struct{}{} }}, func(h *Hub, _ *echo.Echo) {
		topicHandlers(h)
		h.Handle("burst", func(c *Context) error {
			refused := 0
			for i := range 2000 {
				topic := "burst:" + strconv.Itoa(i%50)
				if err := c.Join(topic); errors.Is(err, ErrTooManyTopics) {
					refused++
				} else if err != nil {
					return err
				}
				if i%3 == 0 {
					_ = c.Leave("burst:" + strconv.Itoa((i*7)%50))
				}
			}
			return c.HTML("#r", strconv.Itoa(refused))
		})
	})
	hostile := ts.dial(t, "hostile")
	var quiet []*client
	for i := range 4 {
		c := ts.dial(t, "quiet"+strconv.Itoa(i))
		if got := c.do("join", "burst:"+strconv.Itoa(i)); got != "ok" { // shares topics with the hostile one
			t.Fatal(got)
		}
		quiet = append(quiet, c)
	}
	for range 3 {
		hostile.send("burst", nil, nil)
	}
	for i := range 100 {
		_ = ts.hub.Publish(context.Background(), "burst:"+strconv.Itoa(i%4), Message{Target: "#q", HTML: strconv.Itoa(i / 4)})
	}
	for qi, c := range quiet {
		for want := range 25 {
			if m := c.read(); m["target"] != "#q" || m["html"] != strconv.Itoa(want) {
				t.Fatalf("quiet %d: got %v, want frame %d", qi, m, want)
			}
		}
		c.ping("alive")
	}
	for answers := 0; answers < 3; {
		m := hostile.read()
		switch {
		case m["target"] == "#q": // it was in a published topic for a while
		case m["target"] != "#r":
			t.Fatalf("hostile: %v", m)
		case m["html"] == "0":
			t.Fatalf("hostile: no Join refused beyond MaxTopics")
		default:
			answers++
		}
	}
	hostile.ws.Close()
	for _, c := range quiet {
		c.ws.Close()
	}
	for range 5 {
		<-done
	}
	if got := ts.hub.hubTopics(); len(got) != 0 {
		t.Fatalf("subscriptions left after everyone left: %v", got)
	}
}
