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
