package liveview_test

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/echo-liveview/liveview"
)

// Renderer adapts html/template to Echo, as most Echo apps already have.
type Renderer struct{ t *template.Template }

func (r Renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

// The quick start: a handler that renders the app's own template into
// #greeting. A real app calls e.Start(":8080") and opens the page in a
// browser; here a WebSocket client plays the browser's part.
func Example() {
	e := echo.New()
	e.Renderer = Renderer{template.Must(template.New("greeting.html").Parse(`<h1>Hello, {{.}}!</h1>`))}
	hub := liveview.New(liveview.Config{Logger: slog.New(slog.DiscardHandler)})
	e.Use(hub.Middleware())
	hub.Handle("say_hello", func(c *liveview.Context) error {
		return c.Render("#greeting", "greeting.html", c.FormValue("name"))
	})

	srv := httptest.NewServer(e)
	defer srv.Close()
	defer hub.Close()

	// What the browser sends when the button is clicked.
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/liveview/lobby/", nil)
	if err != nil {
		panic(err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"function":"say_hello","data":{},"form":{"name":"Ada"},"lang":"en","room":"lobby"}`))
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, frame, _ := ws.ReadMessage()
	fmt.Println(string(frame))
	// Output: {"target":"#greeting","html":"<h1>Hello, Ada!</h1>"}
}

// Rooms per user: the room comes from the server (here a header a login
// middleware would have checked; in the demo, a cookie session), never from
// the client, and Publish reaches only that user's pages.
func ExampleConfig_room() {
	hub := liveview.New(liveview.Config{
		Room: func(c echo.Context) (string, error) {
			user := c.Request().Header.Get("X-User")
			if user == "" {
				return "", echo.NewHTTPError(http.StatusUnauthorized, "login first")
			}
			return "user-" + user, nil
		},
	})
	defer hub.Close()
	// Anywhere, e.g. a background job:
	err := hub.Publish(context.Background(), "user-42", liveview.Message{Target: "#inbox", HTML: "<li>New message</li>"})
	fmt.Println(err)
	// Output: <nil>
}

func ExampleMessage() {
	b, _ := liveview.Message{Target: "#list", HTML: "<li>two</li>", Append: true}.MarshalJSON()
	fmt.Println(string(b))
	b, _ = liveview.Message{Target: "#item-1", Remove: true}.MarshalJSON()
	fmt.Println(string(b))
	// Output:
	// {"target":"#list","html":"<li>two</li>","append":true}
	// {"target":"#item-1","remove":true}
}

func ExampleSnakeCase() {
	fmt.Println(liveview.SnakeCase("dataCommentId"), liveview.SnakeCase("HTTPResponse"))
	// Output: data_comment_id http_response
}

// Bind fills a struct from the event's form fields (form tags, the same
// struct a classic Echo POST binds) and data attributes (data tags);
// Validate checks it, and FieldErrors gives one message per bad field,
// keyed by form field name, in the page's language.
func ExampleContext_Bind() {
	type order struct {
		Product int       `data:"product_id"`
		Email   string    `form:"email" validate:"required,email"`
		Qty     int       `form:"qty" validate:"gte=1,lte=10"`
		Gift    bool      `form:"gift"`
		Day     time.Time `form:"day" layout:"2006-01-02"`
		Sizes   []string  `form:"sizes"`
	}
	hub := liveview.New(liveview.Config{Logger: slog.New(slog.DiscardHandler)})
	defer hub.Close()
	hub.Handle("order", func(c *liveview.Context) error {
		var o order
		err := errors.Join(c.Bind(&o), c.Validate(&o))
		fmt.Printf("%d %q %d %v %s %v\n", o.Product, o.Email, o.Qty, o.Gift, o.Day.Format("Jan 2"), o.Sizes)
		fe := liveview.FieldErrors(c, err)
		for _, k := range slices.Sorted(maps.Keys(fe)) {
			fmt.Printf("%s: %s\n", k, fe[k])
		}
		return nil
	})
	send(hub, `{"function":"order","lang":"en","data":{"productId":"17"},"form":{"email":"ada@example.com","qty":"3","gift":true,"day":"2026-12-24","sizes":["S","M"]}}`)
	send(hub, `{"function":"order","lang":"es","data":{"productId":"17"},"form":{"email":"nope","qty":"many","gift":false}}`)
	// Output:
	// 17 "ada@example.com" 3 true Dec 24 [S M]
	// 17 "nope" 0 false Jan 1 []
	// email: Introduce una dirección de correo electrónico válida.
	// qty: Introduce un número entero.
}

// T translates into the language of the page that sent the event (its
// <html lang>), else the browser's Accept-Language, else the bundle's
// default; numbers pick plural forms.
func ExampleContext_T() {
	bundle := i18n.NewBundle(language.English)
	bundle.MustAddMessages(language.English,
		&i18n.Message{ID: "inbox", One: "You have {{.Count}} message", Other: "You have {{.Count}} messages"},
		&i18n.Message{ID: "hello", Other: "Hello, {{.Name}}"})
	bundle.MustAddMessages(language.Spanish,
		&i18n.Message{ID: "inbox", One: "Tienes {{.Count}} mensaje", Other: "Tienes {{.Count}} mensajes"},
		&i18n.Message{ID: "hello", Other: "Hola, {{.Name}}"})

	hub := liveview.New(liveview.Config{I18n: bundle, Logger: slog.New(slog.DiscardHandler)})
	defer hub.Close()
	hub.Handle("inbox", func(c *liveview.Context) error {
		fmt.Printf("%s: %s. %s.\n", c.Locale(), c.T("hello", map[string]any{"Name": "Ada"}), c.T("inbox", 1))
		fmt.Printf("%s: %s.\n", c.Locale(), c.T("inbox", 3))
		return nil
	})
	send(hub, `{"function":"inbox","lang":"es"}`)
	send(hub, `{"function":"inbox","lang":"en-GB"}`)
	send(hub, `{"function":"inbox","lang":"ja"}`) // no Japanese: the default
	// Output:
	// es: Hola, Ada. Tienes 1 mensaje.
	// es: Tienes 3 mensajes.
	// en: Hello, Ada. You have 1 message.
	// en: You have 3 messages.
	// en: Hello, Ada. You have 1 message.
	// en: You have 3 messages.
}

// send plays the browser: it connects to hub, sends one event frame and
// waits until the handler has run (it sends nothing back, so the
// connection's close is the signal).
func send(hub *liveview.Hub, frame string) {
	e := echo.New()
	e.Use(hub.Middleware())
	srv := httptest.NewServer(e)
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/liveview/lobby/", nil)
	if err != nil {
		panic(err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte(frame))
	// Events of one connection run in order: the answer to a second
	// (unknown) event proves the first one has finished.
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"function":"done"}`))
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, _ = ws.ReadMessage()
}

// Signed rooms bound to the user: the page gets a room token only its own
// user can join, valid for an hour; the same token from another account is
// refused.
func ExampleHub_SignRoomFor() {
	hub := liveview.New(liveview.Config{
		RoomSecret: []byte("at least 32 random bytes, not this"),
		// The subject of a connection: here a header a login middleware
		// would have checked; usually the session's user ID.
		RoomSubject: func(c echo.Context) string { return c.Request().Header.Get("X-User") },
		Logger:      slog.New(slog.DiscardHandler),
	})
	defer hub.Close()
	e := echo.New()
	e.Use(hub.Middleware())
	srv := httptest.NewServer(e)
	defer srv.Close()

	token := hub.SignRoomFor("order-17", "alice", time.Hour) // for <html data-room="...">
	for _, user := range []string{"alice", "mallory"} {
		ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/liveview/"+token+"/",
			http.Header{"X-User": {user}})
		if err != nil {
			fmt.Println(user, "refused:", resp.StatusCode)
			continue
		}
		ws.Close()
		fmt.Println(user, "joined")
	}
	// Output:
	// alice joined
	// mallory refused: 403
}

// page plays one browser page of the app srv serves: it opens the room's
// WebSocket (with header: the cookies or headers a login would have set)
// and exchanges frames with it.
type page struct{ ws *websocket.Conn }

func openPage(srv *httptest.Server, room string, header http.Header) *page {
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/liveview/"+room+"/", header)
	if err != nil {
		panic(err)
	}
	return &page{ws}
}

// event sends one event frame, as the bundled client does on a click.
func (p *page) event(frame string) { _ = p.ws.WriteMessage(websocket.TextMessage, []byte(frame)) }

// next returns the next frame the page receives.
func (p *page) next() string {
	_ = p.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := p.ws.ReadMessage()
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func (p *page) close() { _ = p.ws.Close() }

// Django LiveView's docs read data-data-comment-id as content["data"]["comment_id"];
// so does Data, which also finds the wire's own data_comment_id spelling
// and camelCase names (data.get("postId")).
func ExampleContext_Data() {
	hub := liveview.New(liveview.Config{Logger: slog.New(slog.DiscardHandler)})
	defer hub.Close()
	hub.Handle("delete_comment", func(c *liveview.Context) error {
		fmt.Println(c.Data("comment_id"), c.Data("postId"), c.Data("data_comment_id"))
		return c.Remove("#comment-" + c.Data("comment_id"))
	})
	// <button data-liveview-function="delete_comment" data-data-comment-id="123" data-data-post-id="456" ...>
	send(hub, `{"function":"delete_comment","data":{"dataCommentId":"123","dataPostId":"456"}}`)
	// Output: 123 456 123
}

// A group protects some handlers of a Hub with its middleware, without a
// second Hub; Handle's last arguments are middleware for one handler.
func ExampleHub_Group() {
	hub := liveview.New(liveview.Config{
		Logger: slog.New(slog.DiscardHandler),
		// What a login middleware established, copied for the handlers.
		OnConnect: func(c echo.Context, lc *liveview.Context) error {
			if user := c.Request().Header.Get("X-User"); user != "" {
				lc.Set("user", user)
			}
			return nil
		},
	})
	defer hub.Close()
	requireUser := func(next liveview.HandlerFunc) liveview.HandlerFunc {
		return func(c *liveview.Context) error {
			if c.Get("user") == nil {
				return liveview.NewError("Log in first.") // next is not called
			}
			return next(c)
		}
	}
	audit := func(next liveview.HandlerFunc) liveview.HandlerFunc {
		return func(c *liveview.Context) error {
			fmt.Printf("audit: %v called %s\n", c.Get("user"), c.Function())
			return next(c)
		}
	}
	hub.Handle("news", func(c *liveview.Context) error { return c.HTML("#news", "<p>Public news</p>") })
	members := hub.Group(requireUser)
	members.Handle("delete_account", func(c *liveview.Context) error {
		return c.HTML("#account", "<p>Deleted</p>")
	}, audit)

	e := echo.New()
	e.Use(hub.Middleware())
	srv := httptest.NewServer(e)
	defer srv.Close()
	anonymous := openPage(srv, "lobby", nil)
	defer anonymous.close()
	ada := openPage(srv, "lobby", http.Header{"X-User": {"ada"}})
	defer ada.close()

	anonymous.event(`{"function":"news"}`)
	fmt.Println(anonymous.next())
	anonymous.event(`{"function":"delete_account"}`)
	fmt.Println(anonymous.next())
	ada.event(`{"function":"delete_account"}`)
	fmt.Println(ada.next())
	// Output:
	// {"target":"#news","html":"<p>Public news</p>"}
	// {"error":"Log in first.","function":"delete_account"}
	// audit: ada called delete_account
	// {"target":"#account","html":"<p>Deleted</p>"}
}

// Append (and Render) build a Message whose template is rendered when it
// is sent: one call sends rendered HTML to a room, from a handler or from
// anywhere else.
func ExampleAppend() {
	e := echo.New()
	e.Renderer = Renderer{template.Must(template.New("line.html").Parse(`<li>{{.}}</li>`))}
	hub := liveview.New(liveview.Config{Logger: slog.New(slog.DiscardHandler)})
	defer hub.Close()
	e.Use(hub.Middleware())
	hub.Handle("say", func(c *liveview.Context) error {
		return c.Publish(c.Room(), liveview.Append("#chat", "line.html", c.FormValue("text")))
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	ada, bob := openPage(srv, "chat-lobby", nil), openPage(srv, "chat-lobby", nil)
	defer ada.close()
	defer bob.close()

	ada.event(`{"function":"say","form":{"text":"Hi <b>Bob</b>"}}`)
	fmt.Println("ada:", ada.next())
	fmt.Println("bob:", bob.next())

	// A background job, outside any handler.
	_ = hub.Publish(context.Background(), "chat-lobby", liveview.Render("#topic", "line.html", "Topic: Go"))
	fmt.Println("bob:", bob.next())
	// Output:
	// ada: {"target":"#chat","html":"<li>Hi &lt;b&gt;Bob&lt;/b&gt;</li>","append":true}
	// bob: {"target":"#chat","html":"<li>Hi &lt;b&gt;Bob&lt;/b&gt;</li>","append":true}
	// bob: {"target":"#topic","html":"<li>Topic: Go</li>"}
}

// Code outside a handler knows the language of the user it writes to; the
// Hub renders in it with WithLocale.
func ExampleWithLocale() {
	bundle := i18n.NewBundle(language.English)
	bundle.MustAddMessages(language.English, &i18n.Message{ID: "paid", Other: "Order {{.ID}} is paid"})
	bundle.MustAddMessages(language.Spanish, &i18n.Message{ID: "paid", Other: "El pedido {{.ID}} está pagado"})
	base := template.Must(template.New("").Funcs(liveview.TemplateFuncs()).Parse(
		`{{define "paid.html"}}<p lang="{{locale}}">{{t "paid" .}}</p>{{end}}`))
	renderer, err := liveview.NewTemplates(base, bundle, slog.New(slog.DiscardHandler))
	if err != nil {
		panic(err)
	}
	e := echo.New()
	e.Renderer = renderer
	hub := liveview.New(liveview.Config{I18n: bundle, Logger: slog.New(slog.DiscardHandler)})
	defer hub.Close()
	e.Use(hub.Middleware())
	srv := httptest.NewServer(e)
	defer srv.Close()
	p := openPage(srv, "user-42", nil) // user 42's page
	defer p.close()

	// A payment webhook, for user 42 whose profile says Spanish:
	ctx := liveview.WithLocale(context.Background(), "es")
	order := struct{ ID int }{17}
	_ = hub.Publish(ctx, "user-42", liveview.Render("#order-17", "paid.html", order))
	fmt.Println(p.next())
	html, _ := hub.Fragment(ctx, "paid.html", order) // the same, for an e-mail
	fmt.Println(html)
	html, _ = hub.Fragment(context.Background(), "paid.html", order) // no locale: the default
	fmt.Println(html)
	// Output:
	// {"target":"#order-17","html":"<p lang=\"es\">El pedido 17 está pagado</p>"}
	// <p lang="es">El pedido 17 está pagado</p>
	// <p lang="en">Order 17 is paid</p>
}

// greeting is a component with templ's method set: a templ file
//
//	templ greeting(name string) { <p>{ liveview.T(ctx, "hello") }, { name }</p> }
//
// generates the same.
type greeting struct{ Name string }

func (g greeting) Render(ctx context.Context, w io.Writer) error {
	_, err := fmt.Fprintf(w, "<p>%s, %s</p>", liveview.T(ctx, "hello"), template.HTMLEscapeString(g.Name))
	return err
}

// Components (templ's, or any type with Render(ctx, io.Writer) error) go in
// Message.Content, wherever rendered HTML goes: Send, Publish, Broadcast.
// They render in the event's language (liveview.T, liveview.Locale).
func ExampleComponent() {
	bundle := i18n.NewBundle(language.English)
	bundle.MustAddMessages(language.English, &i18n.Message{ID: "hello", Other: "Hello"})
	bundle.MustAddMessages(language.Spanish, &i18n.Message{ID: "hello", Other: "Hola"})
	hub := liveview.New(liveview.Config{I18n: bundle, Logger: slog.New(slog.DiscardHandler)})
	defer hub.Close()
	hub.Handle("greet", func(c *liveview.Context) error {
		return c.Send(liveview.Message{Target: "#greeting", Content: greeting{c.FormValue("name")}})
	})
	e := echo.New() // no Renderer needed for components
	e.Use(hub.Middleware())
	srv := httptest.NewServer(e)
	defer srv.Close()
	p := openPage(srv, "lobby", nil)
	defer p.close()

	p.event(`{"function":"greet","form":{"name":"Ada"},"lang":"es"}`)
	fmt.Println(p.next())
	p.event(`{"function":"greet","form":{"name":"<Bob>"},"lang":"en"}`)
	fmt.Println(p.next())
	// Output:
	// {"target":"#greeting","html":"<p>Hola, Ada</p>"}
	// {"target":"#greeting","html":"<p>Hello, &lt;Bob&gt;</p>"}
}

// Layouts, Django's {% extends "base.html" %}: html/template has one
// namespace per set, so each page gets its own clone of the layout, in
// which it defines the layout's blocks; fragments live in the shared set.
// Each set is a Templates, so pages and fragments translate alike.
func ExampleNewTemplates_layouts() {
	files := fstest.MapFS{
		"layout.html": {Data: []byte(`{{define "layout"}}<html lang="{{locale}}" data-room="lobby">` +
			`<title>{{block "title" .}}My site{{end}}</title>` +
			`<body data-controller="page">{{block "content" .}}{{end}}</body></html>{{end}}`)},
		"pages/hello.html": {Data: []byte(`{{define "title"}}Hello{{end}}` +
			`{{define "content"}}<div id="greeting">{{template "greeting.html" .}}</div>{{end}}`)},
		"fragments/greeting.html": {Data: []byte(`{{define "greeting.html"}}<h1>{{t "hello"}}, {{.}}!</h1>{{end}}`)},
	}
	bundle := i18n.NewBundle(language.English)
	bundle.MustAddMessages(language.English, &i18n.Message{ID: "hello", Other: "Hello"})
	bundle.MustAddMessages(language.Spanish, &i18n.Message{ID: "hello", Other: "Hola"})

	base := template.Must(template.New("").Funcs(liveview.TemplateFuncs()).ParseFS(files, "layout.html", "fragments/*.html"))
	pages := Layouts{Pages: map[string]*liveview.Templates{}}
	var err error
	if pages.Fragments, err = liveview.NewTemplates(base, bundle, nil); err != nil {
		panic(err)
	}
	for _, name := range []string{"pages/hello.html"} {
		t := template.Must(template.Must(base.Clone()).ParseFS(files, name))
		if pages.Pages[name], err = liveview.NewTemplates(t, bundle, nil); err != nil {
			panic(err)
		}
	}

	e := echo.New()
	e.Renderer = pages
	e.GET("/", func(c echo.Context) error { return c.Render(http.StatusOK, "pages/hello.html", "World") })
	for _, lang := range []string{"en", "es"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		fmt.Println(rec.Body.String())
	}
	// Output:
	// <html lang="en" data-room="lobby"><title>Hello</title><body data-controller="page"><div id="greeting"><h1>Hello, World!</h1></div></body></html>
	// <html lang="es" data-room="lobby"><title>Hello</title><body data-controller="page"><div id="greeting"><h1>Hola, World!</h1></div></body></html>
}

// Layouts is the echo.Renderer of ExampleNewTemplates_layouts: a page
// name renders its own set's "layout"; anything else (the fragments
// handlers render) comes from the shared set.
type Layouts struct {
	Pages     map[string]*liveview.Templates
	Fragments *liveview.Templates
}

func (l Layouts) Render(w io.Writer, name string, data any, c echo.Context) error {
	if p, ok := l.Pages[name]; ok {
		return p.Render(w, "layout", data, c)
	}
	return l.Fragments.Render(w, name, data, c)
}

// ComponentFunc makes a component of a function; Message.MarshalJSON
// renders it (without a page: Locale and T have no language there).
func ExampleComponentFunc() {
	badge := liveview.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<span class="badge">3</span>`)
		return err
	})
	b, err := liveview.Message{Target: "#unread", Content: badge}.MarshalJSON()
	fmt.Println(string(b), err)
	// Output: {"target":"#unread","html":"<span class=\"badge\">3</span>"} <nil>
}
