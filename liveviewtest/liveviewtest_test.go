package liveviewtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/liveviewtest"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// TestQuickStart: the Django LiveView quick start, typed and clicked; the
// frame the page sent is the bundled client's, byte for byte.
func TestQuickStart(t *testing.T) {
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<input type="text" name="name">
<button data-liveview-function="say_hello" data-action="click->page#run">Say hello</button>
<div id="greeting"></div>`)}, func(h *liveview.Hub) {
		h.Handle("say_hello", func(c *liveview.Context) error {
			return c.Render("#greeting", "greeting.html", c.FormValue("name"))
		})
	})
	lt := liveviewtest.New(t, a.e)
	page := lt.Open("/")
	page.Fill("input[name=name]", "Ada")
	page.Click("button[data-liveview-function=say_hello]")
	if got := page.Text("#greeting"); got != "Hello, Ada!" {
		t.Errorf("greeting %q, want Hello, Ada!", got)
	}
	sent := page.Sent()
	want := `{"function":"say_hello","data":{},"form":{"name":"Ada"},"ref":1,"lang":"en","room":"lobby"}`
	if len(sent) != 1 || string(sent[0]) != want {
		t.Errorf("sent %s, want %s", sent, want)
	}
	if page.Room() != "lobby" || page.Title() != "Test page" || page.URL() != "/" {
		t.Errorf("room %q, title %q, url %q", page.Room(), page.Title(), page.URL())
	}
	// The banner is hidden once connected, as the client does.
	if c, _ := page.Attr("#no-connection", "class"); c != "no-connection--hide" {
		t.Errorf("#no-connection class %q", c)
	}
}

// TestCollection: what each kind of trigger sends, as the server sees it.
func TestCollection(t *testing.T) {
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<div id="box" data-outer="never sent">
  <button id="near" data-liveview-function="record" data-action="click->page#run"
    data-data-comment-id="5" data-product-id="7" data-liveview-debounce="0">Near</button>
  <input type="text" name="name" value="Ann">
  <input type="text" value="unnamed: not sent">
  <input type="checkbox" name="ok" checked><input type="checkbox" name="no">
  <input type="radio" name="r" value="a"><input type="radio" name="r" value="b" checked>
  <select name="one"><option>first</option><option value="2" selected>second</option></select>
  <select name="many" multiple><option>x</option><option selected>y</option><option selected>z</option></select>
</div>
<form id="f" data-liveview-function="record" data-action="submit->page#run">
  <input name="title" value="T"><textarea name="body">
text</textarea><input type="hidden" name="csrf" value="c">
  <button id="submit">Send</button>
</form>
<input id="search" name="q" data-liveview-function="record" data-action="input->page#run">
<select id="pick" name="pick" data-liveview-function="record" data-action="page#run"><option>a</option><option>b</option></select>
<input id="blur" name="b" value="v" data-liveview-function="record" data-action="blur->page#run">
<div id="got"></div>`)}, func(h *liveview.Hub) { h.Handle("record", record) })
	page := liveviewtest.New(t, a.e).Open("/")
	for _, tc := range []struct {
		name string
		do   func()
		want string
	}{
		{"inputs next to a button", func() { page.Click("#near") },
			`{"data":{"data_comment_id":"5","product_id":"7"},"form":{"many":["y","z"],"name":"Ann","no":false,"ok":true,"one":"2","r":"b"},"function":"record","lang":"en"}`},
		{"submit button of a form", func() { page.Click("#submit") },
			`{"data":{},"form":{"body":"text","csrf":"c","title":"T"},"function":"record","lang":"en"}`},
		{"Submit", func() { page.Fill("[name=title]", "New"); page.Submit("#f") },
			`{"data":{},"form":{"body":"text","csrf":"c","title":"New"},"function":"record","lang":"en"}`},
		{"typing", func() { page.Fill("#search", "go") },
			`{"data":{},"form":{"q":"go"},"function":"record","lang":"en"}`},
		{"select", func() { page.Change("#pick", "b") },
			`{"data":{},"form":{"pick":"b"},"function":"record","lang":"en"}`},
		{"blur", func() { page.Blur("#blur") },
			`{"data":{},"form":{"b":"v"},"function":"record","lang":"en"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.do()
			if got := page.Text("#got"); got != tc.want {
				t.Errorf("server got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestFrames: each kind of frame changes the page as the client does.
func TestFrames(t *testing.T) {
	a := newApp(t, liveview.Config{}, map[string]string{"/p": doc(`
<button id="go" data-liveview-function="frames" data-action="page#run">Go</button>
<ul id="list"><li id="gone">x</li></ul>
<table><tbody id="rows"></tbody></table>
<div id="content"><p>first</p></div>
<div id="m"><input id="typed" name="typed" data-liveview-function="morph" data-action="input->page#run"><span id="echo"></span></div>`)}, func(h *liveview.Hub) {
		h.Handle("frames", func(c *liveview.Context) error {
			return errors.Join(
				c.Append("#list", "item.html", "appended"),
				c.Remove("#gone"),
				c.Send(liveview.Message{Target: "#rows", HTML: "<tr><td>r1</td></tr>", Append: true}),
				c.Send(liveview.Message{Target: "#content", HTML: "<p>second</p>", URL: "/p?page=2", Title: "Page 2"}),
				c.Send(liveview.Message{Target: "#missing", HTML: "x", URL: "/never"}),
				c.ScrollTo("#content"),
				c.ScrollTop(),
				c.Dispatch("cart:updated", map[string]int{"count": 3}),
			)
		})
		h.Handle("morph", func(c *liveview.Context) error {
			return c.Send(liveview.Message{Target: "#m", Morph: true,
				HTML: `<input id="typed" name="typed" data-liveview-function="morph" data-action="input->page#run"><span id="echo">` + c.FormValue("typed") + `</span>`})
		})
		h.Handle("fail", func(*liveview.Context) error { return errors.New("database down") })
	})
	page := liveviewtest.New(t, a.e).Open("/p")
	page.Click("#go")
	if got := page.HTML("#list"); got != `<ul id="list"><li>appended</li></ul>` {
		t.Errorf("append + remove: %s", got)
	}
	if got := page.HTML("#rows"); got != `<tbody id="rows"><tr><td>r1</td></tr></tbody>` {
		t.Errorf("table rows: %s", got)
	}
	if page.Text("#content") != "second" || page.URL() != "/p?page=2" || page.Title() != "Page 2" {
		t.Errorf("navigation: %q, %q, %q", page.Text("#content"), page.URL(), page.Title())
	}
	if got := strings.Join(page.History(), " "); got != "/p /p?page=2" {
		t.Errorf("history %s (a frame whose target is missing pushes nothing)", got)
	}
	if got := strings.Join(page.Scrolls(), " "); got != "#content body" {
		t.Errorf("scrolls %s", got)
	}
	if ev := page.Events(); len(ev) != 1 || ev[0].Name != "cart:updated" || string(ev[0].Detail) != `{"count":3}` {
		t.Errorf("events %+v", ev)
	}
	if n := len(page.Frames()); n != 8 {
		t.Errorf("%d frames, want 8 (the bare ref answer left out): %+v", n, page.Frames())
	}
	// A morph keeps what was typed into the focused field.
	page.Fill("#typed", "abc")
	if v, _ := page.Attr("#typed", "value"); v != "abc" || page.Text("#echo") != "abc" {
		t.Errorf("after the morph: typed %q, echo %q", v, page.Text("#echo"))
	}
}

// TestErrors: error frames are recorded, do not fail the action, and
// carry the function.
func TestErrors(t *testing.T) {
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<button id="fail" data-liveview-function="fail" data-action="page#run">Fail</button>
<button id="unknown" data-liveview-function="nope" data-action="page#run">Unknown</button>`)}, func(h *liveview.Hub) {
		h.Handle("fail", func(*liveview.Context) error { return errors.New("database down") })
	})
	page := liveviewtest.New(t, a.e).Open("/")
	page.Click("#fail")
	page.Click("#unknown")
	errs := page.Errors()
	if len(errs) != 2 || errs[0].Error != "Handler error" || errs[0].Function != "fail" || errs[1].Error != "Unknown function: nope" {
		t.Errorf("errors %+v", errs)
	}
}

// TestKeysInitsIntersections: keyboard maps, key filters, inits (at open,
// again, and for inserted controllers), intersections.
func TestKeysInitsIntersections(t *testing.T) {
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<div id="keys" data-liveview-keyboard-map='{"ctrl+s": "record", "esc": "record"}' data-n="map">keys</div>
<input id="enter" name="e" value="x" data-liveview-function="record" data-n="enter" data-action="keydown.enter->page#run">
<span id="boot" data-liveview-init="record" data-data-x="1"></span>
<div id="seen" data-liveview-intersect-appear="record" data-liveview-intersect-disappear="gone" data-n="seen"></div>
<button id="insert" data-liveview-function="insert" data-action="page#run">Insert</button>
<div id="slot"></div>
<div id="got"></div>`)}, func(h *liveview.Hub) {
		h.Handle("record", record)
		h.Handle("gone", record)
		h.Handle("insert", func(c *liveview.Context) error {
			return c.HTML("#slot", `<section data-controller="page"><i data-liveview-init="record" data-n="late"></i></section>`)
		})
	})
	lt := liveviewtest.New(t, a.e)
	page := lt.Open("/")
	if got := page.Text("#got"); !strings.Contains(got, `"data_x":"1"`) {
		t.Errorf("the init did not run at Open: %s", got)
	}
	check := func(what, want string) {
		t.Helper()
		if got := page.Text("#got"); !strings.Contains(got, want) {
			t.Errorf("%s: server got %s, want %s in it", what, got, want)
		}
	}
	page.Key("#keys", "ctrl+s")
	check("ctrl+s", `"n":"map"`)
	page.Key("#enter", "Enter")
	check("Enter", `"n":"enter"`)
	page.Intersect("#seen")
	check("appear", `"function":"record"`)
	page.Disappear("#seen")
	check("disappear", `"function":"gone"`)
	page.Click("#insert")
	check("inserted controller's init", `"n":"late"`)
	if v, _ := page.Attr("#keys", "tabindex"); v != "-1" {
		t.Errorf("the keyboard map's element has tabindex %q, want -1 (the client adds it)", v)
	}

	quiet := lt.Open("/", liveviewtest.WithoutInit())
	if quiet.Text("#got") != "" || len(quiet.Sent()) != 0 {
		t.Errorf("WithoutInit sent %s", quiet.Sent())
	}
	quiet.Init("#boot")
	if !strings.Contains(quiet.Text("#got"), `"data_x":"1"`) {
		t.Errorf("Init: %s", quiet.Text("#got"))
	}
}

// TestUsersAndRooms: a Publish to a user's room reaches that user's tabs
// only; a Broadcast reaches everybody; cookies, headers and Accept-Language
// reach the handshake.
func TestUsersAndRooms(t *testing.T) {
	a := newApp(t, liveview.Config{
		Room: func(c echo.Context) (string, error) {
			ck, err := c.Cookie("user")
			if err != nil {
				return "", echo.NewHTTPError(http.StatusUnauthorized, "no user")
			}
			return "user-" + ck.Value, nil
		},
		OnConnect: func(c echo.Context, lc *liveview.Context) error {
			lc.Set("lang", c.Request().Header.Get("Accept-Language"))
			return nil
		},
	}, map[string]string{"/": doc(`
<button id="notify" data-liveview-function="notify" data-action="page#run">Notify me</button>
<button id="announce" data-liveview-function="announce" data-action="page#run">Announce</button>
<ul id="notes"></ul><ul id="news"></ul><p id="lang"></p>`)}, func(h *liveview.Hub) {
		h.Handle("notify", func(c *liveview.Context) error {
			lang, _ := c.Get("lang").(string)
			return c.Publish(c.Room(), liveview.Message{Target: "#notes", HTML: "<li>for " + c.Room() + " " + lang + "</li>", Append: true})
		})
		h.Handle("announce", func(c *liveview.Context) error {
			return c.Broadcast(liveview.Message{Target: "#news", HTML: "<li>news</li>", Append: true})
		})
	})
	lt := liveviewtest.New(t, a.e)
	ada := lt.NewUser(liveviewtest.WithCookie(&http.Cookie{Name: "user", Value: "ada"}), liveviewtest.WithLang("es"))
	bob := lt.NewUser(liveviewtest.WithCookie(&http.Cookie{Name: "user", Value: "bob"}))
	tab1, tab2, other := ada.Open("/"), ada.Open("/"), bob.Open("/")

	tab1.Click("#notify")
	tab1.WaitText("#notes li", "for user-ada es")
	tab2.WaitText("#notes li", "for user-ada es")
	// Bob's own notification comes after ada's would have on his room.
	other.Click("#notify")
	other.WaitFor("#notes li")
	if n := other.Count("#notes li"); n != 1 || other.Text("#notes li") != "for user-bob" {
		t.Errorf("bob has %d notifications (%q), want only his own", n, other.Text("#notes"))
	}
	tab2.Click("#announce")
	for _, p := range []*liveviewtest.Page{tab1, tab2, other} {
		p.WaitText("#news", "news")
	}
	if len(ada.Cookies()) != 1 {
		t.Errorf("ada's cookies %v", ada.Cookies())
	}
	// From outside a handler, Hub.Publish reaches the room too.
	if err := a.hub.Publish(context.Background(), "user-bob", liveview.Message{Target: "#lang", HTML: "job done"}); err != nil {
		t.Fatal(err)
	}
	other.WaitText("#lang", "job done")
}

// TestCall: one event straight to a Hub, with attribute names converted.
func TestCall(t *testing.T) {
	a := newApp(t, liveview.Config{}, nil, func(h *liveview.Hub) {
		h.Handle("delete_comment", func(c *liveview.Context) error {
			var f struct {
				ID      int  `data:"comment_id"`
				Alert   int  `data:"data_alert_id"`
				Confirm bool `form:"confirm"`
			}
			if err := c.Bind(&f); err != nil {
				return err
			}
			if !f.Confirm {
				return liveview.NewError("Please confirm.")
			}
			return errors.Join(
				c.Render("#greeting", "greeting.html", f.ID+f.Alert),
				c.Remove("#comment-"+c.Data("comment_id")),
			)
		})
	})
	frames := liveviewtest.Call(t, a.hub, "delete_comment",
		liveviewtest.Data{"data-comment-id": "123", "data-data-alert-id": "7", "data-action": "click->page#run"},
		liveviewtest.Form{"confirm": true},
		liveviewtest.Lang("es"),
		liveviewtest.Renderer(a.e.Renderer))
	if len(frames) != 2 || frames[0].HTML != "<h1>Hello, 130!</h1>" || frames[1].Target != "#comment-123" || !frames[1].Remove {
		t.Errorf("frames %+v", frames)
	}
	frames = liveviewtest.Call(t, a.hub, "delete_comment", liveviewtest.Data{"data-comment-id": "1"})
	if len(frames) != 1 || frames[0].Error != "Please confirm." || frames[0].Function != "delete_comment" {
		t.Errorf("error frames %+v", frames)
	}
}

// TestFailures: what a failing action says.
func TestFailures(t *testing.T) {
	pages := map[string]string{"/": doc(`
<button id="ok" data-liveview-function="ok" data-action="page#run">OK</button>
<button id="slow" data-liveview-function="slow" data-action="page#run">Slow</button>
<button id="nofn" data-action="page#run">No function</button>
<button id="other" data-liveview-function="ok" data-action="dblclick->page#run">Double</button>
<button id="off" disabled data-liveview-function="ok" data-action="page#run">Off</button>
<form id="native"><input name="q"><button id="native-submit">Search</button></form>
<a id="link" href="/elsewhere">Elsewhere</a>`),
		"/nocontroller": `<!DOCTYPE html><html><body><button id="b" data-liveview-function="ok" data-action="page#run">B</button></body></html>`,
		"/missing":      "",
	}
	for _, tc := range []struct {
		name string
		do   func(lt *liveviewtest.LT)
		want []string
	}{
		{"no such element", func(lt *liveviewtest.LT) { lt.Open("/").Click("#nothing") },
			[]string{`Click("#nothing"): no element matches "#nothing"`, "last frames received"}},
		{"outside the page controller", func(lt *liveviewtest.LT) { lt.Open("/nocontroller").Click("#b") },
			[]string{`nothing happens`, `not inside a data-controller="page" element`}},
		{"another event", func(lt *liveviewtest.LT) { lt.Open("/").Click("#other") },
			[]string{`no page action runs for a click`, `data-action="dblclick->page#run"`}},
		{"no function", func(lt *liveviewtest.LT) { lt.Open("/").Click("#nofn") },
			[]string{`nothing is sent`, `data-liveview-function is not defined`}},
		{"disabled", func(lt *liveviewtest.LT) { lt.Open("/").Click("#off") },
			[]string{`is disabled`}},
		{"native submit", func(lt *liveviewtest.LT) { lt.Open("/").Click("#native-submit") },
			[]string{`submits the form natively`}},
		{"link", func(lt *liveviewtest.LT) { lt.Open("/").Click("#link") },
			[]string{`follows the link to /elsewhere`}},
		{"wrong field", func(lt *liveviewtest.LT) { lt.Open("/").Fill("#ok", "x") },
			[]string{`takes no typed text`}},
		{"timeout", func(lt *liveviewtest.LT) { lt.Open("/", liveviewtest.WithTimeout(300*time.Millisecond)).Click("#slow") },
			[]string{`Click("#slow"): no answer to ref [1] within 300ms`, `"function":"slow"`, "unanswered refs: [1]"}},
		{"wait", func(lt *liveviewtest.LT) {
			lt.Open("/", liveviewtest.WithTimeout(100*time.Millisecond)).WaitText("#ok", "KO")
		}, []string{`WaitText("#ok", "KO"): not within 100ms: its text is "OK"`}},
		{"bad page", func(lt *liveviewtest.LT) { lt.Open("/nowhere") },
			[]string{`Open("/nowhere"): GET /nowhere answered 404 Not Found`}},
		{"closed", func(lt *liveviewtest.LT) { p := lt.Open("/"); p.Close(); p.Click("#ok") },
			[]string{`Click("#ok"): the page is closed`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := failure(t, func(tb testing.TB) {
				// A handler blocked on its Context is not released when the
				// connection closes (the context ends after the read loop,
				// which runs the handler): release it before the Hub closes.
				release := make(chan struct{})
				a := newApp(tb, liveview.Config{}, pages, func(h *liveview.Hub) {
					h.Handle("ok", func(c *liveview.Context) error { return c.HTML("#ok", "done") })
					h.Handle("slow", func(c *liveview.Context) error {
						select {
						case <-release:
						case <-c.Context().Done():
						}
						return nil
					})
				})
				lt := liveviewtest.New(tb, a.e)
				tb.Cleanup(func() { close(release) })
				tc.do(lt)
			})
			if msg == "" {
				t.Fatal("did not fail")
			}
			mustContain(t, "the failure", msg, tc.want...)
		})
	}
}

// TestSocketPath: a Hub on another path, reached as the page's
// webSocketConfig.path would.
func TestSocketPath(t *testing.T) {
	a := newApp(t, liveview.Config{Path: "/custom/ws/:room/"}, map[string]string{"/": doc(`
<button id="ok" data-liveview-function="ok" data-action="page#run">OK</button>`)}, func(h *liveview.Hub) {
		h.Handle("ok", func(c *liveview.Context) error { return c.HTML("#ok", "done") })
	})
	page := liveviewtest.New(t, a.e).Open("/", liveviewtest.WithSocketPath("/custom/ws"))
	page.Click("#ok")
	if page.Text("#ok") != "done" {
		t.Errorf("text %q", page.Text("#ok"))
	}
	frames := liveviewtest.Call(t, a.hub, "ok", liveviewtest.WithSocketPath("/custom/ws/"))
	if len(frames) != 1 || frames[0].HTML != "done" {
		t.Errorf("Call frames %+v", frames)
	}
	var sent map[string]any
	if err := json.Unmarshal(page.Sent()[0], &sent); err != nil || sent["room"] != "lobby" {
		t.Errorf("sent %s", page.Sent()[0])
	}
	msg := failure(t, func(tb testing.TB) { liveviewtest.New(tb, a.e).Open("/") })
	mustContain(t, "Open without WithSocketPath", msg, "/ws/liveview/lobby/ was refused", "404", "WithSocketPath", "liveviewScript")
	// Call knows the Hub, so its Path.
	if frames := liveviewtest.Call(t, a.hub, "ok"); len(frames) != 1 || frames[0].HTML != "done" {
		t.Errorf("Call without WithSocketPath: frames %+v", frames)
	}
}

// TestSocketPathFromScriptTag: a page whose script tag says where the
// endpoint is (Hub.ScriptTag, {{liveviewScript}}) needs no WithSocketPath,
// as the client needs no webSocketConfig.path.
func TestSocketPathFromScriptTag(t *testing.T) {
	var hub *liveview.Hub
	page := `<!DOCTYPE html><html lang="en" data-room="lobby"><head><title>Test page</title></head>
<body data-controller="page"><button id="ok" data-liveview-function="ok" data-action="page#run">OK</button>
SCRIPT</body></html>`
	a := newApp(t, liveview.Config{Prefix: "/app"}, nil, func(h *liveview.Hub) {
		hub = h
		h.Handle("ok", func(c *liveview.Context) error { return c.HTML("#ok", "done") })
	})
	a.e.GET("/", func(c echo.Context) error {
		return c.HTML(http.StatusOK, strings.Replace(page, "SCRIPT", string(hub.ScriptTag()), 1))
	})
	p := liveviewtest.New(t, a.e).Open("/")
	p.Click("#ok")
	if p.Text("#ok") != "done" {
		t.Errorf("text %q", p.Text("#ok"))
	}
}

// TestFollow: a classic login form (no client on the page) posted
// natively, the redirect followed to a live page, whose room comes from
// the cookie the login set.
func TestFollow(t *testing.T) {
	a := newApp(t, liveview.Config{
		Room: func(c echo.Context) (string, error) {
			ck, err := c.Cookie("user")
			if err != nil {
				return "", echo.NewHTTPError(http.StatusUnauthorized, "log in first")
			}
			return "user-" + ck.Value, nil
		},
	}, map[string]string{
		"/login": `<!DOCTYPE html><html><head><title>Log in</title></head><body>
<form method="post" action="/login"><input name="name" required><input type="checkbox" name="stay" checked><button name="go" value="1">Log in</button></form>
<a id="help" href="/help?x=1#top">Help</a></body></html>`,
		"/help": `<!DOCTYPE html><html><body><p id="help">Type a name.</p></body></html>`,
		"/":     doc(`<button id="who" data-liveview-function="who" data-action="page#run">Who?</button><p id="me"></p>`),
	}, func(h *liveview.Hub) {
		h.Handle("who", func(c *liveview.Context) error { return c.HTML("#me", c.Room()) })
	})
	var posted string
	a.e.POST("/login", func(c echo.Context) error {
		form, _ := c.FormParams()
		posted = form.Encode()
		c.SetCookie(&http.Cookie{Name: "user", Value: c.FormValue("name"), Path: "/"})
		return c.Redirect(http.StatusSeeOther, "/")
	})
	lt := liveviewtest.New(t, a.e)

	msg := failure(t, func(tb testing.TB) {
		p := liveviewtest.New(tb, a.e).Open("/login")
		p.Fill("input[name=name]", "x")
		p.Click("button")
	})
	mustContain(t, "Click on a native submit", msg, "submits the form natively", "Follow")
	msg = failure(t, func(tb testing.TB) {
		liveviewtest.New(tb, a.e).Open("/login").Follow("button")
	})
	mustContain(t, "Follow with an empty required field", msg, "required and empty")

	page := lt.Open("/login")
	if page.Room() != "" || page.Title() != "Log in" {
		t.Errorf("a page without the client: room %q, title %q", page.Room(), page.Title())
	}
	page.Fill("input[name=name]", "ada")
	page.Follow("button")
	if posted != "go=1&name=ada&stay=on" {
		t.Errorf("posted %q", posted)
	}
	page.Click("#who")
	if got := page.Text("#me"); got != "user-ada" || page.URL() != "/" {
		t.Errorf("after the login: %q at %s", got, page.URL())
	}
	if got := strings.Join(page.History(), " "); got != "/login /" {
		t.Errorf("history %s", got)
	}
	help := lt.Open("/login")
	help.Follow("#help")
	if help.URL() != "/help?x=1" || help.Text("#help") != "Type a name." {
		t.Errorf("the link led to %s: %q", help.URL(), help.Text("#help"))
	}
}

// TestSetAttr: what a page script does (a language switcher) is done with
// SetAttr; the next event carries the new lang.
func TestSetAttr(t *testing.T) {
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<button type="button" onclick="document.documentElement.lang='es'">Español</button>
<button id="hi" data-liveview-function="record" data-action="page#run">Hi</button><div id="got"></div>`)},
		func(h *liveview.Hub) { h.Handle("record", record) })
	page := liveviewtest.New(t, a.e).Open("/")
	page.SetAttr("html", "lang", "es")
	page.Click("#hi")
	if got := page.Text("#got"); !strings.Contains(got, `"lang":"es"`) {
		t.Errorf("the event after the switch: %s", got)
	}
}

// TestTwoInstances: two Hubs sharing one Redis behave as one app: a page on
// each, a Publish to their room and a Broadcast from one reach the other.
func TestTwoInstances(t *testing.T) {
	srv := redisserver.Start(t) // skips without redis-server, fails under CI
	pages := map[string]string{"/": doc(`
<button id="say" data-liveview-function="say" data-action="page#run">Say</button>
<button id="all" data-liveview-function="all" data-action="page#run">All</button>
<ul id="room"></ul><ul id="everyone"></ul>`)}
	instance := func(name string) *liveviewtest.LT {
		rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
		broker := redis.New(rdb, redis.WithPrefix("lvt:"))
		t.Cleanup(func() { _ = broker.Close(); _ = rdb.Close() }) // after the Hub
		a := newApp(t, liveview.Config{Broker: broker}, pages, func(h *liveview.Hub) {
			h.Handle("say", func(c *liveview.Context) error {
				return c.Publish(c.Room(), liveview.Message{Target: "#room", HTML: "<li>from " + name + "</li>", Append: true})
			})
			h.Handle("all", func(c *liveview.Context) error {
				return c.Broadcast(liveview.Message{Target: "#everyone", HTML: "<li>all from " + name + "</li>", Append: true})
			})
		})
		return liveviewtest.New(t, a.e)
	}
	one, two := instance("one").Open("/"), instance("two").Open("/")
	one.Click("#say")
	two.WaitText("#room", "from one")
	two.Click("#all")
	one.WaitText("#everyone", "all from two")
	two.WaitText("#everyone", "all from two")
}
