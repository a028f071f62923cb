package liveview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview/pubsub"
)

// onceServer runs a Hub whose "inc" handler counts its runs per id and
// sends two frames, "peek" is Idempotent, and "big" sends n bytes.
func onceServer(t *testing.T, cfg Config) (*testServer, *sync.Map) {
	runs := &sync.Map{} // id -> *atomic.Int64
	ts := newTestServer(t, cfg, func(h *Hub, _ *echo.Echo) {
		h.Handle("inc", func(c *Context) error {
			n, _ := runs.LoadOrStore(c.EventID(), new(atomic.Int64))
			k := n.(*atomic.Int64).Add(1)
			if err := c.HTML("#a", fmt.Sprint(k)); err != nil {
				return err
			}
			return c.HTML("#b", c.EventID())
		})
		h.Handle("peek", func(c *Context) error {
			n, _ := runs.LoadOrStore("peek:"+c.EventID(), new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			return nil
		}, Idempotent)
		h.Handle("big", func(c *Context) error {
			return c.HTML("#big", strings.Repeat("x", 70<<10))
		})
		h.Handle("fail", func(c *Context) error { return NewError("no") })
		h.Handle("ask", func(c *Context) error { return c.Reply(c.EventID()) })
	})
	return ts, runs
}

func runsOf(m *sync.Map, id string) int64 {
	n, ok := m.Load(id)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func event(fn, id string, ref int) []byte {
	return fmt.Appendf(nil, `{"function":%q,"data":{},"form":{},"ref":%d,"id":%q,"lang":"en","room":"r"}`, fn, ref, id)
}

// A duplicate id does not run again: it gets the first run's frames, the
// answer with its own ref and "once": "replayed"; an error frame and a
// Reply are replayed too; an Idempotent handler runs every time; an
// event without id runs as today.
func TestOnceReplay(t *testing.T) {
	ts, runs := onceServer(t, Config{})
	c := ts.dial(t, "r")
	c.sendRaw(websocket.TextMessage, event("inc", "tab.1", 1))
	equalJSON(t, c.read(), `{"target":"#a","html":"1"}`)
	equalJSON(t, c.read(), `{"target":"#b","html":"tab.1"}`)
	equalJSON(t, c.read(), `{"ref":1}`)

	// Re-sent after a reconnect (another socket), with another ref (a reload).
	c2 := ts.dial(t, "r")
	c2.sendRaw(websocket.TextMessage, event("inc", "tab.1", 9))
	equalJSON(t, c2.read(), `{"target":"#a","html":"1"}`)
	equalJSON(t, c2.read(), `{"target":"#b","html":"tab.1"}`)
	equalJSON(t, c2.read(), `{"ref":9,"once":"replayed"}`)
	if n := runsOf(runs, "tab.1"); n != 1 {
		t.Fatalf("inc ran %d times for one id", n)
	}

	for _, tt := range []struct{ fn, first, again string }{
		{"fail", `{"error":"no","function":"fail","ref":2}`, `{"error":"no","function":"fail","ref":3,"once":"replayed"}`},
		{"ask", `{"ref":2,"reply":"tab.x"}`, `{"ref":3,"reply":"tab.x","once":"replayed"}`},
	} {
		id := "tab.x"
		if tt.fn == "fail" {
			id = "tab.f"
		}
		c.sendRaw(websocket.TextMessage, event(tt.fn, id, 2))
		equalJSON(t, c.read(), tt.first)
		c.sendRaw(websocket.TextMessage, event(tt.fn, id, 3))
		equalJSON(t, c.read(), tt.again)
	}

	for i := 0; i < 3; i++ {
		c.sendRaw(websocket.TextMessage, event("peek", "tab.p", 4))
		equalJSON(t, c.read(), `{"ref":4}`)
	}
	if n := runsOf(runs, "peek:tab.p"); n != 3 {
		t.Errorf("Idempotent handler ran %d times, want 3", n)
	}
	for i := 0; i < 2; i++ {
		c.sendRaw(websocket.TextMessage, []byte(`{"function":"inc","data":{},"form":{},"ref":5}`))
		c.read()
		c.read()
		equalJSON(t, c.read(), `{"ref":5}`)
	}
	if n := runsOf(runs, ""); n != 2 {
		t.Errorf("events without id ran %d times, want 2", n)
	}
}

// Frames over DedupeFrameBytes are not kept: a duplicate is answered
// "processed"; ids that are too long or have other characters are bad
// messages and run nothing; DedupeTTL < 0 turns dedupe off.
func TestOnceBounds(t *testing.T) {
	ts, runs := onceServer(t, Config{})
	c := ts.dial(t, "r")
	c.sendRaw(websocket.TextMessage, event("big", "tab.big", 1))
	c.read()
	equalJSON(t, c.read(), `{"ref":1}`)
	c.sendRaw(websocket.TextMessage, event("big", "tab.big", 2))
	equalJSON(t, c.read(), `{"ref":2,"once":"processed"}`)

	for _, id := range []string{strings.Repeat("a", MaxEventIDLength+1), "a b", "a:b", "é"} {
		c.sendRaw(websocket.TextMessage, event("inc", id, 3))
		equalJSON(t, c.read(), `{"error":"Invalid message","function":"inc","ref":3}`)
	}
	if n := runsOf(runs, "a:b"); n != 0 {
		t.Errorf("an invalid id ran")
	}

	off, offRuns := onceServer(t, Config{DedupeTTL: -1})
	d := off.dial(t, "r")
	for i := 0; i < 2; i++ {
		d.sendRaw(websocket.TextMessage, event("inc", "tab.1", 1))
		d.read()
		d.read()
		equalJSON(t, d.read(), `{"ref":1}`)
	}
	if n := runsOf(offRuns, "tab.1"); n != 2 {
		t.Errorf("with DedupeTTL < 0 the id ran %d times, want 2", n)
	}
}

// The record is keyed by the id alone and keeps the room of its run: a
// page of another room sending a known id (a tab reloaded into a new
// room, or a client that learnt the id) does not run it again and gets
// "processed", never the first page's frames; the first room still gets
// them replayed.
func TestOnceRooms(t *testing.T) {
	ts, runs := onceServer(t, Config{})
	a, b := ts.dial(t, "r1"), ts.dial(t, "r2")
	a.sendRaw(websocket.TextMessage, event("inc", "tab.1", 1))
	a.read()
	a.read()
	a.read()
	b.sendRaw(websocket.TextMessage, event("inc", "tab.1", 1))
	equalJSON(t, b.read(), `{"ref":1,"once":"processed"}`)
	if n := runsOf(runs, "tab.1"); n != 1 {
		t.Errorf("ran %d times, want 1", n)
	}
	a.sendRaw(websocket.TextMessage, event("inc", "tab.1", 2))
	equalJSON(t, a.read(), `{"target":"#a","html":"1"}`)
	equalJSON(t, a.read(), `{"target":"#b","html":"tab.1"}`)
	equalJSON(t, a.read(), `{"ref":2,"once":"replayed"}`)
}

// fakeStore is a DedupeStore that fails when down is set, and can hold a
// claim for ever (a first run still running, or dead).
type fakeStore struct {
	*pubsub.Dedupe
	down atomic.Bool
	held atomic.Value // string: a key claimed by another instance's run
}

func (f *fakeStore) ClaimEvent(ctx context.Context, key string, val []byte, ttl time.Duration) ([]byte, bool, error) {
	if f.down.Load() {
		return nil, false, errors.New("liveview: test: store down")
	}
	if h, _ := f.held.Load().(string); h == key {
		return []byte("pother"), false, nil
	}
	return f.Dedupe.ClaimEvent(ctx, key, val, ttl)
}

// A store that cannot be reached runs no event with an id: each is
// answered "retry" (logged, bounded), Idempotent handlers still run; a
// claim that is still held (the first run running, or its instance dead)
// is answered "retry" until it expires, and then the event runs.
func TestOnceDegraded(t *testing.T) {
	store := &fakeStore{Dedupe: pubsub.NewDedupe(0)}
	var logs bytes.Buffer
	var mu sync.Mutex
	ts, runs := onceServer(t, Config{Dedupe: store, Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	c := ts.dial(t, "r")
	store.down.Store(true)
	for i := 0; i < 50; i++ {
		c.sendRaw(websocket.TextMessage, event("inc", fmt.Sprintf("tab.%d", i), i+1))
		equalJSON(t, c.read(), fmt.Sprintf(`{"ref":%d,"once":"retry"}`, i+1))
	}
	c.sendRaw(websocket.TextMessage, event("peek", "tab.p", 99))
	equalJSON(t, c.read(), `{"ref":99}`)
	mu.Lock()
	lines := strings.Count(logs.String(), "dedupe store unreachable")
	mu.Unlock()
	if lines != 1 {
		t.Errorf("%d log lines for 50 refused events, want 1", lines)
	}
	if n := runsOf(runs, "tab.0"); n != 0 {
		t.Fatalf("an event ran while the store was down")
	}
	store.down.Store(false)
	c.sendRaw(websocket.TextMessage, event("inc", "tab.0", 1))
	equalJSON(t, c.read(), `{"target":"#a","html":"1"}`)
	c.read()
	c.read()

	// A claim held by another instance's run.
	store.held.Store("tab.run")
	c.sendRaw(websocket.TextMessage, event("inc", "tab.run", 7))
	equalJSON(t, c.read(), `{"ref":7,"once":"retry"}`)
	store.held.Store("") // the lease expired
	c.sendRaw(websocket.TextMessage, event("inc", "tab.run", 8))
	equalJSON(t, c.read(), `{"target":"#a","html":"1"}`)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A hostile client sending 10,000 distinct ids, each with frames: the
// connection's recorded bytes stay within DedupeConnBytes, the store
// within its bound.
func TestOnceHostile(t *testing.T) {
	store := pubsub.NewDedupe(1 << 20)
	ts, _ := onceServer(t, Config{Dedupe: store, DedupeConnBytes: 64 << 10, RateLimit: -1})
	c := ts.dial(t, "r")
	const n = 10000
	go func() {
		for i := 0; i < n; i++ {
			c.sendRaw(websocket.TextMessage, event("inc", fmt.Sprintf("h%d.%d", i, i), i+1))
		}
	}()
	for i := 0; i < n; i++ {
		c.read()
		c.read()
		c.read()
	}
	if store.Bytes() > 1<<20 {
		t.Errorf("store holds %d bytes, over its bound", store.Bytes())
	}
	// Records past the connection's budget keep no frames: 10,000 records
	// of about 100 bytes of key and overhead, and at most 64 KiB of frames.
	if max := n*(64+16+2) + 64<<10; store.Bytes() > max {
		t.Errorf("store holds %d bytes for one connection, want at most %d", store.Bytes(), max)
	}
	t.Logf("10000 ids: %d records, %d bytes", store.Len(), store.Bytes())
}

// A flood of events from one visitor fills the in-process store, which
// then evicts its oldest records instead of refusing claims: another
// visitor's events keep running (not answered "retry", as when a full
// store refused claims and so stopped every event with an id), and its
// fresh records are there for a re-send.
func TestOnceFloodDoesNotStopOthers(t *testing.T) {
	const bound = 256 << 10
	store := pubsub.NewDedupe(bound)
	ts, runs := onceServer(t, Config{Dedupe: store, RateLimit: -1})
	flood := ts.dial(t, "r")
	const n = 8000
	go func() {
		for i := range n {
			flood.sendRaw(websocket.TextMessage, event("inc", fmt.Sprintf("f.%d", i), i+1))
		}
	}()
	for range 3 * n {
		flood.read()
	}
	if store.Evicted() == 0 || store.Bytes() > bound {
		t.Fatalf("the flood evicted %d records, store %d bytes (bound %d)", store.Evicted(), store.Bytes(), bound)
	}
	victim := ts.dial(t, "r")
	for i := 1; i <= 20; i++ {
		id := fmt.Sprintf("v.%d", i)
		victim.sendRaw(websocket.TextMessage, event("inc", id, i))
		equalJSON(t, victim.read(), `{"target":"#a","html":"1"}`)
		equalJSON(t, victim.read(), fmt.Sprintf(`{"target":"#b","html":%q}`, id))
		equalJSON(t, victim.read(), fmt.Sprintf(`{"ref":%d}`, i))
	}
	again := ts.dial(t, "r")
	again.sendRaw(websocket.TextMessage, event("inc", "v.20", 7))
	equalJSON(t, again.read(), `{"target":"#a","html":"1"}`)
	equalJSON(t, again.read(), `{"target":"#b","html":"v.20"}`)
	equalJSON(t, again.read(), `{"ref":7,"once":"replayed"}`)
	if r := runsOf(runs, "v.20"); r != 1 {
		t.Errorf("v.20 ran %d times", r)
	}
	t.Logf("%d flood events: %d records held, %d evicted, %d bytes", n, store.Len(), store.Evicted(), store.Bytes())
}

// A run that outlasts its lease does not overwrite the record of the run
// that claimed its id after the lease expired (the record is stored only
// while the claim holds): a later duplicate is answered from the second
// run's record, and the overrun is logged.
func TestOnceLeaseOverrun(t *testing.T) {
	store := pubsub.NewDedupe(0)
	var logs bytes.Buffer
	var mu sync.Mutex
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	var runs atomic.Int64
	started := make(chan struct{})
	ts := newTestServer(t, Config{Dedupe: store, DedupeLease: time.Millisecond, Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))}, func(h *Hub, _ *echo.Echo) {
		h.Handle("slow", func(c *Context) error {
			n := runs.Add(1)
			if n == 1 {
				close(started)
				<-release // the first run outlasts its lease
			}
			return c.HTML("#a", fmt.Sprint(n))
		})
	})
	t.Cleanup(unblock) // before the server's Close
	first, second := ts.dial(t, "r"), ts.dial(t, "r")
	first.sendRaw(websocket.TextMessage, event("slow", "tab.1", 1))
	<-started
	for ref := 1; ; ref++ { // re-sent until the first claim's lease expired
		second.sendRaw(websocket.TextMessage, event("slow", "tab.1", ref))
		f := second.read()
		if f["once"] != "retry" {
			equalJSON(t, f, `{"target":"#a","html":"2"}`)
			equalJSON(t, second.read(), fmt.Sprintf(`{"ref":%d}`, ref))
			break
		}
	}
	unblock()
	equalJSON(t, first.read(), `{"target":"#a","html":"1"}`)
	equalJSON(t, first.read(), `{"ref":1}`)
	third := ts.dial(t, "r")
	third.sendRaw(websocket.TextMessage, event("slow", "tab.1", 5))
	equalJSON(t, third.read(), `{"target":"#a","html":"2"}`) // the second run's record
	equalJSON(t, third.read(), `{"ref":5,"once":"replayed"}`)
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "longer than Config.DedupeLease") {
		t.Errorf("the overrun was not logged:\n%s", logs.String())
	}
}

// A frame a recorded run sends after its connection closed is still kept:
// Send returns nil (the handler is not failed halfway by a dropped
// socket) and the re-send on a new connection gets every frame.
func TestOnceSendAfterDrop(t *testing.T) {
	errs := make(chan error, 2)
	closed := make(chan struct{})
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("two", func(c *Context) error {
			if err := c.HTML("#a", "1"); err != nil {
				return err
			}
			<-closed
			c.conn.closeWith(websocket.CloseServiceRestart, "") // as a drain does
			err := c.HTML("#b", "2")
			errs <- err
			return err
		})
		h.Handle("plain", func(c *Context) error {
			c.conn.closeWith(websocket.CloseServiceRestart, "")
			err := c.HTML("#b", "2")
			errs <- err
			return nil
		}, Idempotent)
	})
	c := ts.dial(t, "r")
	c.sendRaw(websocket.TextMessage, event("two", "tab.1", 1))
	equalJSON(t, c.read(), `{"target":"#a","html":"1"}`)
	close(closed)
	if err := <-errs; err != nil {
		t.Fatalf("Send after the drop: %v, want nil (recorded)", err)
	}
	again := ts.dial(t, "r")
	for {
		again.sendRaw(websocket.TextMessage, event("two", "tab.1", 1))
		if f := again.read(); f["once"] != "retry" { // the run's record is stored after its answer
			equalJSON(t, f, `{"target":"#a","html":"1"}`)
			break
		}
	}
	equalJSON(t, again.read(), `{"target":"#b","html":"2"}`)
	equalJSON(t, again.read(), `{"ref":1,"once":"replayed"}`)

	// Unrecorded (Idempotent), Send still reports the closed connection.
	d := ts.dial(t, "r")
	d.sendRaw(websocket.TextMessage, event("plain", "tab.2", 1))
	if err := <-errs; !errors.Is(err, ErrConnClosed) {
		t.Errorf("unrecorded Send after the drop: %v, want ErrConnClosed", err)
	}
}

// The record key is the Hub's own copy of the event id, not a string
// aliasing the frame (decodeFast): a frame buffer reused after the event,
// here overwritten with another id of the same length, leaves the record
// of the first id intact, so its re-send is a duplicate and does not run.
// With the alias, the store's key changed with the buffer (BenchmarkOnce,
// which reuses its frames, saw about 1% of events answered from another
// event's record); in production it kept each whole frame, up to
// MaxMessageSize, alive for DedupeTTL while counting a few bytes.
func TestOnceKeyOwnsItsBytes(t *testing.T) {
	h := New(Config{Logger: discardLogger(), RateLimit: -1})
	defer h.Close()
	var ran atomic.Int64
	h.Handle("inc", func(c *Context) error { ran.Add(1); return nil })
	c := newConn(h, echo.New(), httptest.NewRequest(http.MethodGet, "/ws/liveview/r/", nil), "r")
	defer c.cancel()
	frame := event("inc", "tab.1", 1)
	h.handleFrame(c, frame)
	copy(frame[bytes.Index(frame, []byte("tab.1")):], "tab.2")
	h.handleFrame(c, frame)                    // tab.2: runs
	h.handleFrame(c, event("inc", "tab.1", 3)) // a duplicate: does not
	c.discardQueued()
	if n := ran.Load(); n != 2 {
		t.Errorf("%d runs for ids tab.1, tab.2, tab.1, want 2", n)
	}
}
