package liveview

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// hookLog records what the hooks saw.
type hookLog struct {
	mu      sync.Mutex
	opened  int
	closed  []CloseReason
	events  []EventDone
	refused []CloseReason
	done    chan CloseReason
}

func newHookLog() *hookLog { return &hookLog{done: make(chan CloseReason, 16)} }

func (l *hookLog) hooks() *Hooks {
	return &Hooks{
		ConnOpened: func(ConnInfo) { l.mu.Lock(); l.opened++; l.mu.Unlock() },
		ConnClosed: func(_ ConnInfo, r CloseReason) {
			l.mu.Lock()
			l.closed = append(l.closed, r)
			l.mu.Unlock()
			l.done <- r
		},
		HandshakeRefused: func(_ *http.Request, r CloseReason) { l.mu.Lock(); l.refused = append(l.refused, r); l.mu.Unlock() },
		EventEnd:         func(_ context.Context, ev EventDone) { l.mu.Lock(); l.events = append(l.events, ev); l.mu.Unlock() },
	}
}

func (l *hookLog) wait(t *testing.T) CloseReason {
	t.Helper()
	select {
	case r := <-l.done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no ConnClosed")
		return 0
	}
}

// TestHooksCloseReasons: each way a connection ends gives its reason,
// once, after one ConnOpened.
func TestHooksCloseReasons(t *testing.T) {
	for _, tt := range []struct {
		name  string
		close func(ts *testServer, c *client)
		want  CloseReason
	}{
		{"client close frame", func(_ *testServer, c *client) {
			_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""))
		}, ReasonClientClose},
		{"socket cut", func(_ *testServer, c *client) { _ = c.ws.UnderlyingConn().Close() }, ReasonError},
		{"Hub.Disconnect", func(ts *testServer, _ *client) {
			if err := ts.hub.Disconnect(context.Background(), "lobby", "banned"); err != nil {
				t.Error(err)
			}
		}, ReasonDisconnected},
		{"session expired", func(_ *testServer, c *client) { c.send("expire", nil, nil) }, ReasonExpired},
		{"shutdown", func(ts *testServer, _ *client) { _ = ts.hub.Close() }, ReasonShutdown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newHookLog()
			ts := newTestServer(t, Config{Hooks: l.hooks()}, func(h *Hub, _ *echo.Echo) {
				h.Handle("expire", func(*Context) error { return ErrSessionExpired })
			})
			c := ts.dial(t, "lobby")
			c.send("nope", nil, nil)
			c.read() // connected, and one event seen
			tt.close(ts, c)
			if got := l.wait(t); got != tt.want {
				t.Errorf("reason %v, want %v", got, tt.want)
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.opened != 1 || len(l.closed) != 1 {
				t.Errorf("opened %d, closed %v", l.opened, l.closed)
			}
			if ev := l.events[0]; ev.Function != UnknownFunction || ev.Outcome != OutcomeRejected || ev.ErrorKind != "unknown_function" || !ev.Started {
				t.Errorf("first event %+v", ev)
			}
		})
	}
}

// TestHooksOutcomes: each kind of result is classified, with the function
// label a registered string (never the frame's).
func TestHooksOutcomes(t *testing.T) {
	for _, tt := range []struct {
		err     error
		outcome Outcome
		kind    string
	}{
		{nil, OutcomeOK, ""},
		{errors.New("db"), OutcomeError, "handler_failed"},
		{&panicError{value: 1}, OutcomePanic, "handler_panicked"},
		{NewError("name required"), OutcomeRejected, "user_error"},
		{&BindError{}, OutcomeRejected, "bind_error"},
		{ErrRateLimited, OutcomeRateLimited, "rate_limited"},
		{ErrUnknownFunction, OutcomeRejected, "unknown_function"},
		{ErrBadMessage, OutcomeRejected, "bad_message"},
		{ErrSessionExpired, OutcomeRejected, "session_expired"},
	} {
		if o, k := classify(tt.err); o != tt.outcome || k != tt.kind {
			t.Errorf("classify(%v) = %v, %q; want %v, %q", tt.err, o, k, tt.outcome, tt.kind)
		}
	}
	h := New(Config{Logger: discardLogger()})
	defer h.Close()
	h.Handle("click", func(*Context) error { return nil })
	frame := []byte(`{"function":"click"}`)
	name := string(frame[13:18])
	if got := h.functionLabel(name); got != "click" || unsafe.StringData(got) == unsafe.StringData(name) {
		t.Errorf("label %q", got)
	}
	if got := h.functionLabel("clack"); got != UnknownFunction {
		t.Errorf("label of an unregistered name: %q", got)
	}
}

// TestHooksRefused: a refused origin is a HandshakeRefused, no ConnOpened.
func TestHooksRefused(t *testing.T) {
	l := newHookLog()
	ts := newTestServer(t, Config{Hooks: l.hooks()}, nil)
	if _, _, err := websocket.DefaultDialer.Dial(ts.wsURL("lobby"), http.Header{"Origin": {"https://evil.example"}}); err == nil {
		t.Fatal("dial succeeded")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.refused) != 1 || l.refused[0] != ReasonOriginRefused || l.opened != 0 {
		t.Errorf("refused %v, opened %d", l.refused, l.opened)
	}
}

// TestMultiHooks: every hook of each runs; EventStart threads contexts.
func TestMultiHooks(t *testing.T) {
	type key struct{}
	var calls []string
	a := &Hooks{
		EventStart: func(ctx context.Context, _ EventInfo) context.Context { return context.WithValue(ctx, key{}, "a") },
		ConnOpened: func(ConnInfo) { calls = append(calls, "a") },
	}
	b := &Hooks{
		EventStart: func(ctx context.Context, _ EventInfo) context.Context {
			calls = append(calls, "b saw "+ctx.Value(key{}).(string))
			return nil
		},
		ConnOpened: func(ConnInfo) { calls = append(calls, "b") },
	}
	if MultiHooks(nil, nil) != nil || MultiHooks(a, nil) != a {
		t.Error("MultiHooks of nothing or one")
	}
	m := MultiHooks(a, b)
	m.ConnOpened(ConnInfo{})
	ctx := m.EventStart(context.Background(), EventInfo{})
	if ctx.Value(key{}) != "a" || m.FrameSent != nil {
		t.Error("context not threaded, or a hook nobody set is set")
	}
	if want := []string{"a", "b", "b saw a"}; len(calls) != 3 || calls[0] != want[0] || calls[1] != want[1] || calls[2] != want[2] {
		t.Errorf("calls %v, want %v", calls, want)
	}
}

// TestStats: the snapshot counts connections, topics with their members
// and events; the JSON handler serves it.
func TestStats(t *testing.T) {
	ts := newTestServer(t, Config{}, func(h *Hub, e *echo.Echo) {
		h.Handle("join", func(c *Context) error {
			if err := c.Join("news"); err != nil {
				return err
			}
			return c.HTML("#x", "joined")
		})
		stats := h.StatsHandler("/debug/liveview")
		e.GET("/debug/liveview", stats)
		e.GET("/debug/liveview/*", stats)
	})
	a, b := ts.dial(t, "red"), ts.dial(t, "red")
	ts.dial(t, "blue")
	a.send("join", nil, nil)
	a.read()
	b.send("join", nil, nil)
	b.read()
	// The client's dial returns with the 101; the Hub counts the
	// connection once its connect handler ran, just after.
	st := ts.hub.Stats()
	for deadline := time.Now().Add(5 * time.Second); st.Connections != 3 && time.Now().Before(deadline); st = ts.hub.Stats() {
		time.Sleep(time.Millisecond)
	}
	if st.Connections != 3 || st.Events != 2 || st.Topics != 3 || st.Closed {
		t.Errorf("stats %+v", st)
	}
	want := []TopicStats{{"news", 2}, {"red", 2}, {"blue", 1}}
	if len(st.TopTopics) != 3 || st.TopTopics[0] != want[0] || st.TopTopics[1] != want[1] || st.TopTopics[2] != want[2] {
		t.Errorf("top topics %v, want %v", st.TopTopics, want)
	}
	resp, err := http.Get(ts.srv.URL + "/debug/liveview/json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var got Stats
	if err := json.Unmarshal(body, &got); err != nil || got.Connections != 3 {
		t.Errorf("JSON %s: %v", body, err)
	}
	page, err := http.Get(ts.srv.URL + "/debug/liveview")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK || page.Header.Get("Content-Type") != "text/html; charset=UTF-8" {
		t.Errorf("page: %d %s", page.StatusCode, page.Header.Get("Content-Type"))
	}
}

// TestStatsBrokerFields: the page shows a Broker's stats struct in field
// order, with words for names and readable values.
func TestStatsBrokerFields(t *testing.T) {
	type brokerStats struct {
		Connected     bool
		GapTime       time.Duration
		GapSince      time.Time
		PublishErrors int64
		hidden        int
	}
	got := brokerFields(brokerStats{Connected: true, GapTime: 1500*time.Microsecond + 3, PublishErrors: 2, hidden: 1})
	want := []statField{{"Connected", "yes", "ok"}, {"Gap time", "2ms", ""}, {"Gap since", "none", "mute"}, {"Publish errors", "2", ""}}
	if len(got) != len(want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if m := brokerFields(map[string]any{"b": 1.5, "a": false}); len(m) != 2 || m[0] != (statField{"a", "no", "bad"}) || m[1] != (statField{"b", "1.5", ""}) {
		t.Errorf("map fields %v", m)
	}
}
