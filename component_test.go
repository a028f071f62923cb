package liveview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
)

// i18nTemplates is a Templates renderer over testBundle (en, es, fr).
func i18nTemplates(t testing.TB) *Templates {
	t.Helper()
	base := template.Must(template.New("").Funcs(TemplateFuncs()).Parse(`
{{define "hello.html"}}<p lang="{{locale}}">{{t "hello"}}{{with .}}, {{.}}{{end}}</p>{{end}}
{{define "item.html"}}<li>{{.}}</li>{{end}}`))
	r, err := NewTemplates(base, testBundle(), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Trap 4: rendered HTML to other pages in one call, from a handler and
// from outside one, in an explicit language.
func TestTrapRenderedSends(t *testing.T) {
	ts := newTestServer(t, Config{I18n: testBundle()}, func(h *Hub, e *echo.Echo) {
		e.Renderer = i18nTemplates(t)
		h.Handle("ping", echoHandler)
		h.Handle("say", func(c *Context) error {
			return c.Publish(c.Room(), Append("#chat", "item.html", c.FormValue("text")))
		})
		h.Handle("greet_all", func(c *Context) error { return c.Broadcast(Render("#greeting", "hello.html", "")) })
		h.Handle("greet_me", func(c *Context) error {
			m := Render("#greeting", "hello.html", "Ada")
			m.Morph = true
			return c.Send(m)
		})
		h.Handle("both", func(c *Context) error {
			m := Render("#x", "item.html", "x")
			m.HTML = "<b>x</b>"
			return c.Send(m)
		})
		h.Handle("missing", func(c *Context) error { return c.Publish(c.Room(), Render("#x", "nope.html", nil)) })
	})
	a1, a2, b := ts.dial(t, "room-a"), ts.dial(t, "room-a"), ts.dial(t, "room-b")

	// A handler: Publish to its room, rendered once, to both pages.
	a1.sendEvent("say", "en", nil, map[string]any{"text": "<hi>"}, false)
	for _, c := range []*client{a1, a2} {
		equalJSON(t, c.read(), `{"target":"#chat","html":"<li>&lt;hi&gt;</li>","append":true}`)
	}
	b.ping("b saw nothing")

	// A handler's Broadcast renders in the sender's language.
	a2.sendEvent("greet_all", "es", nil, nil, false)
	for _, c := range []*client{a1, a2, b} {
		equalJSON(t, c.read(), `{"target":"#greeting","html":"<p lang=\"es\">Hola</p>"}`)
	}
	a1.sendEvent("greet_me", "fr", nil, nil, true)
	equalJSON(t, a1.read(), `{"target":"#greeting","html":"<p lang=\"fr\">Bonjour, Ada</p>","morph":true}`)

	// Outside any handler: the default language, or WithLocale's.
	ctx := context.Background()
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"default language", ctx, `<p lang=\"en\">Hello</p>`},
		{"WithLocale", WithLocale(ctx, "es-MX"), `<p lang=\"es\">Hola</p>`},
		{"WithLocale, no such language", WithLocale(ctx, "ja"), `<p lang=\"en\">Hello</p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ts.hub.Publish(tt.ctx, "room-b", Render("#greeting", "hello.html", nil)); err != nil {
				t.Fatal(err)
			}
			b.t = t
			equalJSON(t, b.read(), `{"target":"#greeting","html":"`+tt.want+`"}`)
			html, err := ts.hub.Fragment(tt.ctx, "hello.html", nil)
			if want := strings.ReplaceAll(tt.want, `\"`, `"`); err != nil || html != want {
				t.Fatalf("Fragment = %q, %v; want %s", html, err, tt.want)
			}
		})
	}
	b.t = t
	if err := ts.hub.Broadcast(WithLocale(ctx, "fr"), Append("#log", "hello.html", "tous")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a1, a2, b} {
		equalJSON(t, c.read(), `{"target":"#log","html":"<p lang=\"fr\">Bonjour, tous</p>","append":true}`)
	}

	// Mistakes are errors to the sender, and nothing is sent.
	a1.sendEvent("both", "en", nil, nil, false)
	equalJSON(t, a1.read(), `{"error":"Handler error","function":"both"}`)
	a1.sendEvent("missing", "en", nil, nil, false)
	equalJSON(t, a1.read(), `{"error":"Handler error","function":"missing"}`)
	a2.ping("a2 saw nothing")
	if err := ts.hub.Publish(ctx, "room-b", Render("#x", "nope.html", nil)); err == nil {
		t.Fatal("Publish of a template that does not exist: no error")
	}
	b.ping("b saw nothing either")
}

func TestTrapHubRenderWithoutEcho(t *testing.T) {
	h := New(Config{Logger: discardLogger()})
	defer h.Close()
	// No request has reached the Hub yet: it knows no Echo.
	if _, err := h.Fragment(context.Background(), "item.html", 1); !errors.Is(err, ErrNoRenderer) {
		t.Fatalf("Fragment: %v", err)
	}
	if err := h.Publish(context.Background(), "r", Render("#x", "item.html", 1)); !errors.Is(err, ErrNoRenderer) {
		t.Fatalf("Publish: %v", err)
	}
	// A Template outside a send, and MarshalJSON, have no renderer either.
	var sb strings.Builder
	if err := Template("item.html", 1).Render(context.Background(), &sb); !errors.Is(err, ErrNoRenderer) {
		t.Fatalf("Template.Render: %v", err)
	}
	if _, err := json.Marshal(Render("#x", "item.html", 1)); !errors.Is(err, ErrNoRenderer) {
		t.Fatalf("MarshalJSON: %v", err)
	}
}

// card is a component of templ's shape, as generated code would be: it
// writes escaped HTML and translates through its ctx.
type card struct{ name string }

func (k card) Render(ctx context.Context, w io.Writer) error {
	_, err := fmt.Fprintf(w, `<div class="card" lang="%s">%s, %s</div>`, Locale(ctx), T(ctx, "hello"), template.HTMLEscapeString(k.name))
	return err
}

// countingComponent counts its renders.
type countingComponent struct{ n *atomic.Int32 }

func (k countingComponent) Render(_ context.Context, w io.Writer) error {
	k.n.Add(1)
	_, err := io.WriteString(w, "<i>counted</i>")
	return err
}

var errComponent = errors.New("component failed")

// Trap 7: components with templ's Render(ctx, io.Writer) go wherever a
// template does, without importing templ.
func TestTrapComponents(t *testing.T) {
	var renders atomic.Int32
	layout := ComponentFunc(func(ctx context.Context, w io.Writer) error {
		// A component that embeds an app template and another component.
		if _, err := io.WriteString(w, "<section>"); err != nil {
			return err
		}
		if err := Template("item.html", "from a template").Render(ctx, w); err != nil {
			return err
		}
		if err := (card{"Ada"}).Render(ctx, w); err != nil {
			return err
		}
		_, err := io.WriteString(w, "</section>")
		return err
	})
	var sawCancel atomic.Bool
	ts := newTestServer(t, Config{I18n: testBundle()}, func(h *Hub, e *echo.Echo) {
		h.Handle("ping", echoHandler)
		h.Handle("card", func(c *Context) error {
			return c.Send(Message{Target: "#card", Content: card{c.FormValue("name")}})
		})
		h.Handle("layout", func(c *Context) error {
			return c.Send(Message{Target: "#main", Content: layout, URL: "/p", Title: "P"})
		})
		h.Handle("count", func(c *Context) error {
			return c.Publish(c.Room(), Message{Target: "#n", Content: countingComponent{&renders}})
		})
		h.Handle("fail", func(c *Context) error {
			return c.Send(Message{Target: "#x", Content: ComponentFunc(func(ctx context.Context, w io.Writer) error {
				sawCancel.Store(ctx.Done() != nil)
				return errComponent
			})})
		})
		h.Handle("fail_is", func(c *Context) error {
			err := c.Send(Message{Target: "#x", Content: ComponentFunc(func(context.Context, io.Writer) error { return errComponent })})
			if !errors.Is(err, errComponent) {
				return NewError("not wrapped: " + fmt.Sprint(err))
			}
			return NewError("wrapped")
		})
	})
	a, a2 := ts.dial(t, "room-a"), ts.dial(t, "room-a")

	tests := []struct {
		name, function, lang string
		form                 map[string]any
		want                 string
	}{
		{"templ-shaped component", "card", "es", map[string]any{"name": "<Ada>"}, `{"target":"#card","html":"<div class=\"card\" lang=\"es\">Hola, &lt;Ada&gt;</div>"}`},
		{"the page's language", "card", "fr", map[string]any{"name": "Bo"}, `{"target":"#card","html":"<div class=\"card\" lang=\"fr\">Bonjour, Bo</div>"}`},
		{"nested template and component, with navigation", "layout", "en", nil, `{"target":"#main","html":"<section><li>from a template</li><div class=\"card\" lang=\"en\">Hello, Ada</div></section>","url":"/p","title":"P"}`},
		{"a failing component is a handler error", "fail", "en", nil, `{"error":"Handler error","function":"fail"}`},
		{"its error wrapped", "fail_is", "en", nil, `{"error":"wrapped","function":"fail_is"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.t = t
			a.sendEvent(tt.function, tt.lang, nil, tt.form, false)
			equalJSON(t, a.read(), tt.want)
		})
	}
	a.t = t
	if !sawCancel.Load() {
		t.Error("a component's ctx is not the connection's")
	}

	// A component published to a room is rendered once, not per page.
	a.sendEvent("count", "en", nil, nil, false)
	for _, c := range []*client{a, a2} {
		equalJSON(t, c.read(), `{"target":"#n","html":"<i>counted</i>"}`)
	}
	if err := ts.hub.Broadcast(WithLocale(context.Background(), "es"), Message{Target: "#c", Content: card{"todos"}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a, a2} {
		equalJSON(t, c.read(), `{"target":"#c","html":"<div class=\"card\" lang=\"es\">Hola, todos</div>"}`)
	}
	if err := ts.hub.Publish(context.Background(), "room-a", Message{Target: "#n", Content: countingComponent{&renders}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a, a2} {
		equalJSON(t, c.read(), `{"target":"#n","html":"<i>counted</i>"}`)
	}
	if n := renders.Load(); n != 2 {
		t.Fatalf("two sends to two pages rendered %d times, want 2", n)
	}
	// Outside a send: no locale but WithLocale's, and T gives the ID.
	var sb strings.Builder
	if err := (card{"x"}).Render(WithLocale(context.Background(), "pt-BR"), &sb); err != nil || sb.String() != `<div class="card" lang="pt-BR">hello, x</div>` {
		t.Fatalf("outside a send: %q, %v", sb.String(), err)
	}
	if b, err := (Message{Target: "#k", Content: card{"y"}}).MarshalJSON(); err != nil || string(b) != `{"target":"#k","html":"<div class=\"card\" lang=\"und\">hello, y</div>"}` {
		t.Fatalf("MarshalJSON: %s, %v", b, err)
	}
}

// BenchmarkPublishRendered compares a handler publishing a rendered
// template the old way (Fragment, error check, Message) and in one call
// (Append): the one call costs no more.
//
//	go test -run '^$' -bench PublishRendered -benchmem .
func BenchmarkPublishRendered(b *testing.B) {
	for _, tt := range []struct {
		name string
		fn   HandlerFunc
	}{
		{"fragment", func(c *Context) error {
			html, err := c.Fragment("item.html", c.FormValue("name"))
			if err != nil {
				return err
			}
			return c.Publish("lobby", Message{Target: "#list", HTML: html, Append: true})
		}},
		{"append", func(c *Context) error {
			return c.Publish("lobby", Append("#list", "item.html", c.FormValue("name")))
		}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			h := New(Config{Logger: discardLogger(), RateLimit: -1, PublishLimit: -1})
			defer h.Close()
			h.Handle("click", tt.fn)
			e := echo.New()
			e.Renderer = testTemplates
			req := httptest.NewRequest(http.MethodGet, "/ws/liveview/lobby/", nil)
			c := newConn(h, e, req, "lobby")
			defer c.cancel()
			frame := []byte(`{"function":"click","data":{"id":"7"},"form":{"name":"Ada"},"lang":"en","room":"lobby"}`)
			b.ReportAllocs()
			for b.Loop() {
				h.handleFrame(c, frame)
			}
		})
	}
}
