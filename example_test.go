package liveview_test

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

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
