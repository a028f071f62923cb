package liveview

import (
	"context"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"html/template"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
)

// BenchmarkIdleConnMemory measures the memory one idle WebSocket costs,
// server and client together (the client side is the same in both cases,
// so the difference is the server's), for raw melody with its defaults and
// for our Hub, in the same run:
//
//	go test -run '^$' -bench IdleConnMemory -benchtime 1x .
func BenchmarkIdleConnMemory(b *testing.B) {
	const conns = 500
	run := func(b *testing.B, handler http.Handler, path string) {
		srv := httptest.NewServer(handler)
		defer srv.Close()
		url := "ws" + strings.TrimPrefix(srv.URL, "http") + path
		dialer := websocket.Dialer{ReadBufferSize: 256, WriteBufferSize: 256}
		before := heapAndStacks()
		wss := make([]*websocket.Conn, 0, conns)
		for range conns {
			ws, _, err := dialer.Dial(url, nil)
			if err != nil {
				b.Fatal(err)
			}
			wss = append(wss, ws)
		}
		time.Sleep(200 * time.Millisecond) // let every server goroutine reach its idle state
		after := heapAndStacks()
		b.ReportMetric(float64(after-before)/conns, "B/conn")
		for _, ws := range wss {
			ws.Close()
		}
	}
	b.Run("melody-defaults", func(b *testing.B) {
		m := melody.New()
		defer m.Close()
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = m.HandleRequest(w, r) }), "/")
	})
	b.Run("hub", func(b *testing.B) {
		h := New(Config{Logger: discardLogger(), MaxConnsPerIP: -1}) // every client is on 127.0.0.1
		defer h.Close()
		e := echo.New()
		e.Use(h.Middleware())
		run(b, e, "/ws/liveview/lobby/")
	})
}

// discardQueued empties the send queue of a conn that has no socket
// (benchmarks), keeping its memory.
func (c *conn) discardQueued() {
	c.sendMu.Lock()
	clear(c.out.buf)
	c.out.buf, c.out.head, c.backlog = c.out.buf[:0], 0, 0
	c.sendMu.Unlock()
}

func heapAndStacks() uint64 {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); runtime.GC(); runtime.GC() }()
	wg.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}

// BenchmarkDispatch measures the server's work for one click event without
// the network: decode, snake_case, lookup, middleware, a handler that
// renders a template through the Echo renderer, encode, queue.
//
//	go test -run '^$' -bench 'Dispatch|RoundTrip' -benchmem .
func BenchmarkDispatch(b *testing.B) {
	h := New(Config{Logger: discardLogger(), RateLimit: -1})
	defer h.Close()
	h.Use(func(next HandlerFunc) HandlerFunc { return next })
	h.Handle("click", func(c *Context) error {
		return c.Render("#item-"+c.Data("id"), "item.html", c.FormValue("name"))
	})
	e := echo.New()
	e.Renderer = testTemplates
	req := httptest.NewRequest(http.MethodGet, "/ws/liveview/lobby/", nil)
	c := newConn(h, e, req, "lobby")
	defer c.cancel()
	frame := []byte(`{"function":"click","data":{"id":"7","dataCount":"3"},"form":{"name":"Ada"},"lang":"en","room":"lobby"}`)
	b.ReportAllocs()
	for b.Loop() {
		h.handleFrame(c, frame)
		c.discardQueued() // no socket: frames are queued, drop them
	}
	if c.dropped.Load() {
		b.Fatal("frames were not all queued")
	}
}

// BenchmarkRoundTrip is one click event and its rendered answer over a
// real WebSocket on loopback (client and server in this process).
func BenchmarkRoundTrip(b *testing.B) {
	ts := newTestServer(b, Config{RateLimit: -1}, func(h *Hub, _ *echo.Echo) {
		h.Handle("click", func(c *Context) error {
			return c.Render("#item-"+c.Data("id"), "item.html", c.FormValue("name"))
		})
	})
	c := ts.dial(b, "lobby")
	frame := []byte(`{"function":"click","data":{"id":"7"},"form":{"name":"Ada"},"lang":"en","room":"lobby"}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ws.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatchTemplates is BenchmarkDispatch with the translating
// renderer (Templates) and a handshake Accept-Language.
func BenchmarkDispatchTemplates(b *testing.B) {
	h := New(Config{Logger: discardLogger(), RateLimit: -1})
	defer h.Close()
	h.Handle("click", func(c *Context) error {
		return c.Render("#item-"+c.Data("id"), "item.html", c.FormValue("name"))
	})
	base := template.Must(template.New("").Funcs(TemplateFuncs()).Parse(`{{define "item.html"}}<li>{{t "Hello"}} {{.}}</li>{{end}}`))
	bundle := i18n.NewBundle(language.English)
	bundle.MustAddMessages(language.English, &i18n.Message{ID: "Hello", Other: "Hello"})
	bundle.MustAddMessages(language.Spanish, &i18n.Message{ID: "Hello", Other: "Hola"})
	r, err := NewTemplates(base, bundle, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	e := echo.New()
	e.Renderer = r
	req := httptest.NewRequest(http.MethodGet, "/ws/liveview/lobby/", nil)
	req.Header.Set("Accept-Language", "es-ES,es;q=0.9,en;q=0.8")
	c := newConn(h, e, req, "lobby")
	defer c.cancel()
	frame := []byte(`{"function":"click","data":{"id":"7"},"form":{"name":"Ada"},"lang":"es","room":"lobby"}`)
	b.ReportAllocs()
	for b.Loop() {
		h.handleFrame(c, frame)
		c.discardQueued()
	}
}

// BenchmarkDispatchHooks is BenchmarkDispatch with Config.Hooks unset
// (the cost must be BenchmarkDispatch's: no allocation), with every hook
// set to a function that does nothing (the core's own cost of calling
// them: the clock, the outcome, the capped name), and with
// Config.ProfileLabels (pprof.Do per event):
//
//	go test -run '^$' -bench DispatchHooks -benchmem .
func BenchmarkDispatchHooks(b *testing.B) {
	noop := &Hooks{
		ConnOpened: func(ConnInfo) {}, ConnClosed: func(ConnInfo, CloseReason) {},
		EventStart: func(ctx context.Context, _ EventInfo) context.Context { return nil },
		EventEnd:   func(context.Context, EventDone) {}, FrameSent: func(ConnInfo, int) {},
		QueueHighWater: func(QueueLevel) {}, BrokerPublish: func(BrokerPublish) {},
	}
	for _, bc := range []struct {
		name   string
		hooks  *Hooks
		labels bool
	}{{"nil", nil, false}, {"noop", noop, false}, {"profile-labels", nil, true}} {
		b.Run(bc.name, func(b *testing.B) {
			h := New(Config{Logger: discardLogger(), RateLimit: -1, Hooks: bc.hooks, ProfileLabels: bc.labels})
			defer h.Close()
			h.Use(func(next HandlerFunc) HandlerFunc { return next })
			h.Handle("click", func(c *Context) error {
				return c.Render("#item-"+c.Data("id"), "item.html", c.FormValue("name"))
			})
			e := echo.New()
			e.Renderer = testTemplates
			req := httptest.NewRequest(http.MethodGet, "/ws/liveview/lobby/", nil)
			c := newConn(h, e, req, "lobby")
			defer c.cancel()
			frame := []byte(`{"function":"click","data":{"id":"7","dataCount":"3"},"form":{"name":"Ada"},"lang":"en","room":"lobby"}`)
			b.ReportAllocs()
			for b.Loop() {
				h.handleFrame(c, frame)
				c.discardQueued()
			}
		})
	}
}
