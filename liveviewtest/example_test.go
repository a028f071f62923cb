package liveviewtest_test

import (
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
)

// test stands for a test function in these examples: in a real test, t is
// the *testing.T of func TestX(t *testing.T). It prints a failure.
func test(fn func(t testing.TB)) {
	r := &recorder{}
	r.run(fn)
	if r.failed != "" {
		fmt.Println("FAIL:", r.failed)
	}
}

// exampleTemplates are the example app's templates.
var exampleTemplates = template.Must(template.New("").Parse(`
{{define "index.html"}}<!DOCTYPE html>
<html lang="en" data-room="lobby">
<head><title>Quick start</title></head>
<body data-controller="page">
  <input type="text" name="name">
  <button data-liveview-function="say_hello" data-action="click->page#run">Say hello</button>
  <div id="greeting"></div>
  <button id="notify" data-liveview-function="notify_me" data-action="click->page#run">Notify my tabs</button>
  <ul id="notifications"></ul>
  <script src="/static/liveview/liveview.min.js" defer></script>
</body>
</html>{{end}}
{{define "greeting.html"}}<h1>Hello, {{.}}!</h1>{{end}}
{{define "note.html"}}<li>{{.}}</li>{{end}}`))

type exampleRenderer struct{ t *template.Template }

func (r exampleRenderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

// newExampleApp is an app as a user writes one: its templates, a Hub whose
// rooms come from a "user" cookie, its handlers. The Hub is closed when the
// test ends.
func newExampleApp(t testing.TB) (*echo.Echo, *liveview.Hub) {
	e := echo.New()
	e.Renderer = exampleRenderer{exampleTemplates}
	hub := liveview.New(liveview.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Room: func(c echo.Context) (string, error) {
			if ck, err := c.Cookie("user"); err == nil {
				return "user-" + ck.Value, nil
			}
			return "guests", nil
		},
	})
	hub.Handle("say_hello", func(c *liveview.Context) error {
		return c.Render("#greeting", "greeting.html", c.FormValue("name"))
	})
	hub.Handle("notify_me", func(c *liveview.Context) error {
		html, err := c.Fragment("note.html", "for "+c.Room())
		if err != nil {
			return err
		}
		return c.Publish(c.Room(), liveview.Message{Target: "#notifications", HTML: html, Append: true})
	})
	e.Use(hub.Middleware())
	e.GET("/", func(c echo.Context) error { return c.Render(http.StatusOK, "index.html", nil) })
	t.Cleanup(func() { _ = hub.Close() })
	return e, hub
}

// A handler test in five lines: open the page, type, click, read.
func Example() {
	test(func(t testing.TB) {
		e, _ := newExampleApp(t)
		lt := liveviewtest.New(t, e)
		page := lt.Open("/")
		page.Fill("input[name=name]", "Ada")
		page.Click("button[data-liveview-function=say_hello]")
		fmt.Println(page.Text("#greeting"))
	})
	// Output: Hello, Ada!
}

// What the page sent is the bundled client's frame, byte for byte.
func ExamplePage_Sent() {
	test(func(t testing.TB) {
		e, _ := newExampleApp(t)
		page := liveviewtest.New(t, e).Open("/")
		page.Fill("input[name=name]", "Ada")
		page.Click("button[data-liveview-function=say_hello]")
		for _, frame := range page.Sent() {
			fmt.Println(string(frame))
		}
	})
	// Output: {"function":"say_hello","data":{},"form":{"name":"Ada"},"ref":1,"lang":"en","room":"lobby"}
}

// Two users, each in a room of their own (from a cookie): what one user
// publishes to their room reaches both of that user's tabs and not the
// other user, whose own notification is the marker that it would have.
func ExampleLT_NewUser() {
	test(func(t testing.TB) {
		e, _ := newExampleApp(t)
		lt := liveviewtest.New(t, e)
		ada := lt.NewUser(liveviewtest.WithCookie(&http.Cookie{Name: "user", Value: "ada"}))
		bob := lt.NewUser(liveviewtest.WithCookie(&http.Cookie{Name: "user", Value: "bob"}))
		tab1, tab2, other := ada.Open("/"), ada.Open("/"), bob.Open("/")

		tab1.Click("#notify") // a Publish: it comes on its own, so wait for it
		tab1.WaitFor("#notifications li")
		tab2.WaitFor("#notifications li")
		other.Click("#notify")
		other.WaitFor("#notifications li")
		fmt.Println("ada's first tab:", tab1.Text("#notifications"))
		fmt.Println("ada's second tab:", tab2.Text("#notifications"))
		fmt.Println("bob:", other.Text("#notifications"))
	})
	// Output:
	// ada's first tab: for user-ada
	// ada's second tab: for user-ada
	// bob: for user-bob
}

// A handler alone: the data attribute goes in as the page has it and
// arrives as the client sends it.
func ExampleCall() {
	test(func(t testing.TB) {
		hub := liveview.New(liveview.Config{})
		t.Cleanup(func() { _ = hub.Close() })
		hub.Handle("delete_comment", func(c *liveview.Context) error {
			return c.Remove("#comment-" + c.Data("comment_id"))
		})
		frames := liveviewtest.Call(t, hub, "delete_comment", liveviewtest.Data{"data-comment-id": "123"})
		for _, f := range frames {
			fmt.Printf("target %s, remove %v\n", f.Target, f.Remove)
		}
	})
	// Output: target #comment-123, remove true
}

// A throttled search field typed into quickly sends its first and its last
// value; a poll ticks when the test says so.
func ExamplePage_Quickly() {
	test(func(t testing.TB) {
		hub := liveview.New(liveview.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		t.Cleanup(func() { _ = hub.Close() })
		hub.Handle("search", func(c *liveview.Context) error {
			fmt.Println("search", c.FormValue("q"))
			return nil
		})
		hub.Handle("refresh", func(c *liveview.Context) error {
			fmt.Println("refresh")
			return c.JS("show:#updated")
		})
		e := echo.New()
		e.Use(hub.Middleware())
		e.GET("/", func(c echo.Context) error {
			return c.HTML(http.StatusOK, `<!DOCTYPE html><html data-room="r"><body data-controller="page">
<input id="q" name="q" data-liveview-function="search" data-liveview-throttle="300" data-action="input->page#run">
<div id="stats" data-liveview-poll="5000" data-liveview-function="refresh"><p id="updated" hidden>Updated</p></div>
<script src="/static/liveview/liveview.min.js" defer></script></body></html>`)
		})
		page := liveviewtest.New(t, e).Open("/")
		page.Quickly(func() {
			for _, s := range []string{"g", "go", "gol", "gola", "golang"} {
				page.Fill("#q", s)
			}
		})
		page.Poll("#stats")
		_, hidden := page.Attr("#updated", "hidden")
		fmt.Println("updated hidden:", hidden)
	})
	// Output:
	// search g
	// search golang
	// refresh
	// updated hidden: false
}
