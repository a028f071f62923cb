package liveview

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// TestStreamEncoding: the "stream" key's exact bytes, as MarshalJSON and
// every send write it.
func TestStreamEncoding(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Message
		want string
	}{
		{"one insert", Message{Stream: &Stream{Target: "#rows", Items: []StreamItem{{ID: "row-1", HTML: "<tr><td>1</td></tr>"}}}},
			`{"stream":{"target":"#rows","items":[{"id":"row-1","html":"<tr><td>1</td></tr>"}]}}`},
		{"every field", Message{Stream: &Stream{Target: "#rows", Limit: 100, Reset: true, Items: []StreamItem{
			{ID: "row-5", HTML: `<tr class="a&b"><td>"5"</td></tr>`, At: StreamStart},
			{ID: "row-3", Delete: true},
			{ID: "row-9", HTML: "<tr></tr>", Before: "row-2"},
			{ID: "row-8", HTML: "<tr></tr>", After: "row-2", At: StreamEnd},
		}}},
			`{"stream":{"target":"#rows","items":[{"id":"row-5","html":"<tr class=\"a&b\"><td>\"5\"</td></tr>","at":"start"},{"id":"row-3","delete":true},{"id":"row-9","html":"<tr></tr>","before":"row-2"},{"id":"row-8","html":"<tr></tr>","at":"end","after":"row-2"}],"limit":100,"reset":true}}`},
		{"no items", Message{Stream: &Stream{Target: "#rows", Reset: true}}, `{"stream":{"target":"#rows","items":[],"reset":true}}`},
		{"with a target and a ref", Message{Target: "#count", HTML: "3", Ref: 7, Stream: &Stream{Target: "#l", Items: []StreamItem{{ID: "é", HTML: "<li>\u2028</li>"}}}},
			`{"target":"#count","html":"3","ref":7,"stream":{"target":"#l","items":[{"id":"é","html":"<li>\u2028</li>"}]}}`},
		{"a Content rendered", Message{Stream: &Stream{Target: "#l", Items: []StreamItem{
			{ID: "a", Content: ComponentFunc(func(_ context.Context, w io.Writer) error { _, err := io.WriteString(w, "<li>A</li>"); return err })},
			{ID: "b", HTML: "<li>B</li>"},
			{ID: "c", Content: ComponentFunc(func(_ context.Context, w io.Writer) error { _, err := io.WriteString(w, "<li>C</li>"); return err })},
		}}}, `{"stream":{"target":"#l","items":[{"id":"a","html":"<li>A</li>"},{"id":"b","html":"<li>B</li>"},{"id":"c","html":"<li>C</li>"}]}}`},
		{"StreamInsert with options", func() Message {
			m := StreamInsert("#l", "x", "item.html", 1, StreamBefore("y"), StreamLimit(5), nil)
			m.Stream.Items[0].Content = nil
			m.Stream.Items[0].HTML = "<li>x</li>"
			return m
		}(), `{"stream":{"target":"#l","items":[{"id":"x","html":"<li>x</li>","before":"y"}],"limit":5}}`},
		{"StreamDelete", StreamDelete("#l", "x"), `{"stream":{"target":"#l","items":[{"id":"x","delete":true}]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.m.MarshalJSON() // json.Marshal would escape <, > and &
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
			// What liveviewtest and encoding/json read back is the same.
			var back struct{ Stream *Stream }
			if err := json.Unmarshal(b, &back); err != nil || back.Stream == nil || back.Stream.Target != tc.m.Stream.Target || len(back.Stream.Items) != len(tc.m.Stream.Items) {
				t.Errorf("decoded %+v, %v", back.Stream, err)
			}
		})
	}
	// The options of StreamInsert.
	m := StreamInsert("#l", "x", "item.html", 1, StreamAtStart(), StreamAfter("y"))
	if it := m.Stream.Items[0]; it.At != StreamStart || it.After != "y" || it.Content == nil || m.Stream.Limit != 0 {
		t.Errorf("StreamInsert options: %+v", it)
	}
}

// TestStreamValidation: what cannot be sent is an error wrapping
// ErrBadStream that says which item and why.
func TestStreamValidation(t *testing.T) {
	li := "<li>x</li>"
	comp := ComponentFunc(func(_ context.Context, w io.Writer) error { _, err := io.WriteString(w, "just text"); return err })
	empty := ComponentFunc(func(context.Context, io.Writer) error { return nil })
	for _, tc := range []struct {
		name string
		s    Stream
		want string
	}{
		{"empty target", Stream{Items: []StreamItem{{ID: "a", HTML: li}}}, "liveview: bad stream: empty Target"},
		{"negative limit", Stream{Target: "#l", Limit: -1}, "negative Limit -1"},
		{"empty id", Stream{Target: "#l", Items: []StreamItem{{ID: "a", HTML: li}, {HTML: li}}}, `item 1 (ID ""): empty ID`},
		{"space in id", Stream{Target: "#l", Items: []StreamItem{{ID: "row 1", HTML: li}}}, `item 0 (ID "row 1"): the ID has a space`},
		{"tab in id", Stream{Target: "#l", Items: []StreamItem{{ID: "row\t1", Delete: true}}}, `the ID has a space`},
		{"control character", Stream{Target: "#l", Items: []StreamItem{{ID: "row\x001", HTML: li}}}, `the ID has a control character`},
		{"invalid UTF-8", Stream{Target: "#l", Items: []StreamItem{{ID: "row\xff", HTML: li}}}, `the ID is not valid UTF-8`},
		{"bad before", Stream{Target: "#l", Items: []StreamItem{{ID: "a", HTML: li, Before: "b c"}}}, `Before "b c" has a space`},
		{"bad after", Stream{Target: "#l", Items: []StreamItem{{ID: "a", HTML: li, After: "\n"}}}, `After "\n" has a space`},
		{"before and after", Stream{Target: "#l", Items: []StreamItem{{ID: "a", HTML: li, Before: "b", After: "c"}}}, "both Before and After"},
		{"unknown at", Stream{Target: "#l", Items: []StreamItem{{ID: "a", HTML: li, At: "top"}}}, `At "top" is neither "start" nor "end"`},
		{"no html", Stream{Target: "#l", Items: []StreamItem{{ID: "a"}}}, "no HTML"},
		{"html without an element", Stream{Target: "#l", Items: []StreamItem{{ID: "a", HTML: "text"}}}, `the HTML has no element (no tag): "text"`},
		{"html and content", Stream{Target: "#l", Items: []StreamItem{{ID: "a", HTML: li, Content: comp}}}, "both HTML and Content"},
		{"a delete with html", Stream{Target: "#l", Items: []StreamItem{{ID: "a", HTML: li, Delete: true}}}, "a Delete has no HTML"},
		{"a delete with a position", Stream{Target: "#l", Items: []StreamItem{{ID: "a", At: StreamStart, Delete: true}}}, "a Delete has no HTML"},
		{"content without an element", Stream{Target: "#l", Items: []StreamItem{{ID: "a", Content: comp}}}, `item 0 (ID "a"): the HTML has no element (no tag): "just text"`},
		{"content rendering nothing", Stream{Target: "#l", Items: []StreamItem{{ID: "a", HTML: li}, {ID: "b", Content: empty}}}, `item 1 (ID "b"): no HTML`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := json.Marshal(Message{Stream: &tc.s})
			if !errors.Is(err, ErrBadStream) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "liveview: bad stream: ") {
				t.Errorf("error %v, want ErrBadStream with %q", err, tc.want)
			}
		})
	}
	// Valid ids: anything without spaces and control characters.
	for _, id := range []string{"row-1", "a:b.c", "ünï", "#x", `q"uote`, "<>&"} {
		if _, err := json.Marshal(Message{Stream: &Stream{Target: "#l", Items: []StreamItem{{ID: id, Delete: true}}}}); err != nil {
			t.Errorf("id %q: %v", id, err)
		}
	}
	// Extra cannot repeat the key.
	m := Message{Stream: &Stream{Target: "#l"}, Extra: map[string]any{"stream": 1}}
	if _, err := json.Marshal(m); err == nil || !strings.Contains(err.Error(), `"stream" collides`) {
		t.Errorf("Extra stream with Stream set: %v", err)
	}
	if b, err := json.Marshal(Message{Extra: map[string]any{"stream": 1}}); err != nil || string(b) != `{"stream":1}` {
		t.Errorf("Extra stream without Stream: %s, %v", b, err)
	}
	// A Template has no renderer outside a send.
	if _, err := json.Marshal(StreamInsert("#l", "a", "item.html", 1)); !errors.Is(err, ErrNoRenderer) {
		t.Errorf("MarshalJSON of a Template item: %v", err)
	}
}

// TestStreamSends: the Context helpers render in the event's locale and
// send one frame; Publish and Broadcast render each item once per send;
// a bad stream or a failing item sends nothing; the caller's Stream is
// never changed.
func TestStreamSends(t *testing.T) {
	var renders atomic.Int32
	counted := ComponentFunc(func(ctx context.Context, w io.Writer) error {
		renders.Add(1)
		_, err := io.WriteString(w, `<li lang="`+Locale(ctx).String()+`">counted</li>`)
		return err
	})
	shared := Stream{Target: "#l", Items: []StreamItem{
		{ID: "t", Content: Template("hello.html", "Ada")},
		{ID: "c", Content: counted, At: StreamStart},
		{ID: "h", HTML: "<li>h</li>"},
	}}
	ts := newTestServer(t, Config{I18n: testBundle()}, func(h *Hub, e *echo.Echo) {
		e.Renderer = i18nTemplates(t)
		h.Handle("ping", echoHandler)
		h.Handle("insert", func(c *Context) error {
			return c.StreamInsert("#l", "row-"+c.FormValue("n"), "hello.html", c.FormValue("n"), StreamAtStart(), StreamLimit(3))
		})
		h.Handle("delete", func(c *Context) error { return c.StreamDelete("#l", "row-1") })
		h.Handle("batch", func(c *Context) error { return c.SendStream(shared) })
		h.Handle("publish", func(c *Context) error { return c.Publish(c.Room(), Message{Stream: &shared}) })
		h.Handle("broadcast", func(c *Context) error { return c.Broadcast(Message{Stream: &shared, Target: "#n", HTML: "1"}) })
		h.Handle("bad", func(c *Context) error { return c.StreamInsert("#l", "row 1", "hello.html", nil) })
		h.Handle("missing", func(c *Context) error { return c.StreamInsert("#l", "x", "nope.html", nil) })
		h.Handle("failing", func(c *Context) error {
			err := c.SendStream(Stream{Target: "#l", Items: []StreamItem{{ID: "ok", HTML: "<li></li>"}, {ID: "bad", Content: ComponentFunc(func(context.Context, io.Writer) error { return errComponent })}}})
			if errors.Is(err, errComponent) && strings.Contains(err.Error(), `stream item "bad"`) {
				return NewError("wrapped")
			}
			return NewError("not wrapped: " + err.Error())
		})
	})
	a, a2, b := ts.dial(t, "room-a"), ts.dial(t, "room-a"), ts.dial(t, "room-b")

	a.sendEvent("insert", "es", nil, map[string]any{"n": "1"}, false)
	equalJSON(t, a.read(), `{"stream":{"target":"#l","items":[{"id":"row-1","html":"<p lang=\"es\">Hola, 1</p>","at":"start"}],"limit":3}}`)
	a.sendEvent("delete", "es", nil, nil, false)
	equalJSON(t, a.read(), `{"stream":{"target":"#l","items":[{"id":"row-1","delete":true}]}}`)

	const batch = `{"stream":{"target":"#l","items":[{"id":"t","html":"<p lang=\"fr\">Bonjour, Ada</p>"},{"id":"c","html":"<li lang=\"fr\">counted</li>","at":"start"},{"id":"h","html":"<li>h</li>"}]}}`
	a.sendEvent("batch", "fr", nil, nil, false)
	equalJSON(t, a.read(), batch)
	a2.ping("a2 got nothing from batch")

	renders.Store(0)
	a.sendEvent("publish", "fr", nil, nil, false)
	for _, c := range []*client{a, a2} {
		equalJSON(t, c.read(), batch)
	}
	b.ping("b got nothing from publish")
	a.sendEvent("broadcast", "fr", nil, nil, false)
	for _, c := range []*client{a, a2, b} {
		equalJSON(t, c.read(), `{"target":"#n","html":"1","stream":`+strings.TrimSuffix(strings.TrimPrefix(batch, `{"stream":`), "}")+`}`)
	}
	if n := renders.Load(); n != 2 {
		t.Errorf("a Publish and a Broadcast to 2 and 3 pages rendered the item %d times, want 2", n)
	}

	// From outside a handler: WithLocale's language, rendered once.
	if err := ts.hub.Publish(WithLocale(context.Background(), "es"), "room-b", Message{Stream: &shared}); err != nil {
		t.Fatal(err)
	}
	equalJSON(t, b.read(), `{"stream":{"target":"#l","items":[{"id":"t","html":"<p lang=\"es\">Hola, Ada</p>"},{"id":"c","html":"<li lang=\"es\">counted</li>","at":"start"},{"id":"h","html":"<li>h</li>"}]}}`)
	if err := ts.hub.Broadcast(context.Background(), Message{Stream: &Stream{Target: "#l", Items: []StreamItem{{ID: "x"}}}}); !errors.Is(err, ErrBadStream) {
		t.Errorf("Hub.Broadcast of a bad stream: %v", err)
	}

	// The shared Stream is as it was.
	if shared.Items[0].HTML != "" || shared.Items[0].Content == nil || shared.Items[1].HTML != "" {
		t.Errorf("a send changed the caller's Stream: %+v", shared.Items)
	}

	// Mistakes: an error to the handler, nothing sent.
	for _, fn := range []string{"bad", "missing"} {
		a.sendEvent(fn, "en", nil, nil, false)
		equalJSON(t, a.read(), `{"error":"Handler error","function":"`+fn+`"}`)
	}
	a.sendEvent("failing", "en", nil, nil, false)
	equalJSON(t, a.read(), `{"error":"wrapped","function":"failing"}`)
	a.ping("a still works")
}

// TestStreamConcurrentSends: one Stream value sent from several
// goroutines at once (the race detector watches the shared items).
func TestStreamConcurrentSends(t *testing.T) {
	s := Stream{Target: "#l", Items: []StreamItem{{ID: "a", Content: Template("item.html", "A")}, {ID: "b", HTML: "<li>B</li>"}}}
	done := make(chan error, 8)
	ts := newTestServer(t, Config{}, func(h *Hub, e *echo.Echo) {
		h.Handle("go", func(c *Context) error {
			for range 8 {
				go func() { done <- c.SendStream(s) }()
			}
			return nil
		})
	})
	a := ts.dial(t, "r")
	a.send("go", nil, nil)
	for range 8 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(readTimeout):
			t.Fatal("a send did not return")
		}
	}
	for range 8 {
		equalJSON(t, a.read(), `{"stream":{"target":"#l","items":[{"id":"a","html":"<li>A</li>"},{"id":"b","html":"<li>B</li>"}]}}`)
	}
}

// BenchmarkSendStream is a handler sending 500 stream items, each a
// Template rendered when sent, in one frame (what examples/demo's "Add
// 10,000 rows" does 20 times); the metric is per item.
//
//	go test -run '^$' -bench SendStream -benchmem .
func BenchmarkSendStream(b *testing.B) {
	const n = 500
	h := New(Config{Logger: discardLogger(), RateLimit: -1})
	defer h.Close()
	items := make([]StreamItem, n)
	h.Handle("add", func(c *Context) error {
		for i := range items {
			items[i] = StreamItem{ID: "row-" + strconv.Itoa(i), Content: Template("item.html", i)}
		}
		return c.SendStream(Stream{Target: "#rows", Items: items})
	})
	e := echo.New()
	e.Renderer = testTemplates
	c := newConn(h, e, httptest.NewRequest(http.MethodGet, "/ws/liveview/lobby/", nil), "lobby")
	defer c.cancel()
	frame := []byte(`{"function":"add","lang":"en"}`)
	b.ReportAllocs()
	for b.Loop() {
		h.handleFrame(c, frame)
		c.discardQueued()
	}
	if c.dropped.Load() {
		b.Fatal("frames were not all queued")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/item")
}
