package liveviewtest_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
)

// flashApp is a page with a flash container inside the region that a
// navigation replaces, and handlers that flash, navigate and redirect.
func flashApp(t *testing.T, cfg liveview.Config) *app {
	t.Helper()
	page := doc(`
<main id="region"><div id="flash" data-liveview-flash="5000"></div><p id="where">home</p></main>
<button id="save" data-liveview-function="save" data-action="page#run">Save</button>
<button id="flash-nav" data-liveview-function="flash_nav" data-action="page#run">Flash, then navigate</button>
<button id="nav-flash" data-liveview-function="nav_flash" data-action="page#run">Navigate, then flash</button>
<button id="clear" data-liveview-function="clear" data-action="page#run">Clear</button>
<button id="leave" data-liveview-function="leave" data-action="page#run">Leave</button>
<button id="away" data-liveview-function="away" data-action="page#run">Away</button>
<button id="bad" data-liveview-function="bad" data-action="page#run">javascript:</button>
<button id="expire" data-liveview-function="expire" data-action="page#run">Expire</button>`)
	bare := strings.Replace(page, `<div id="flash" data-liveview-flash="5000"></div>`, "", 1)
	region := `<div id="flash" data-liveview-flash></div><p id="where">page %d</p>`
	return newApp(t, cfg, map[string]string{"/": page, "/next": page, "/bare": bare}, func(h *liveview.Hub) {
		h.Handle("save", func(c *liveview.Context) error { return c.Flash("info", "Saved <b>"+c.Room()+"</b>") })
		h.Handle("flash_nav", func(c *liveview.Context) error {
			return errors.Join(c.Flash("error", "Oops"),
				c.Send(liveview.Message{Target: "#region", HTML: fmt.Sprintf(region, 2), URL: "/?page=2"}))
		})
		h.Handle("nav_flash", func(c *liveview.Context) error {
			return errors.Join(c.Send(liveview.Message{Target: "#region", HTML: fmt.Sprintf(region, 3), URL: "/?page=3"}),
				c.Flash("success", "Moved"))
		})
		h.Handle("clear", func(c *liveview.Context) error { return c.Flash("info", "") })
		h.Handle("leave", func(c *liveview.Context) error {
			return errors.Join(c.Flash("success", "See you"), c.Redirect("/next?from=leave#top"))
		})
		h.Handle("away", func(c *liveview.Context) error { return c.Redirect("https://example.com/") })
		h.Handle("bad", func(c *liveview.Context) error {
			return c.Send(liveview.Message{Extra: map[string]any{"redirect": "javascript:alert(1)"}})
		})
		h.Handle("expire", func(c *liveview.Context) error { return liveview.ErrSessionExpired })
	})
}

// flashHTML is the markup the client gives a message.
func flashHTML(kind, role, text string) string {
	return `<div class="liveview-flash liveview-flash-` + kind + `" role="` + role + `">` + text + `<button type="button" aria-label="Close">×</button></div>`
}

// TestFlash: a message is shown as text in the container, one per kind;
// it survives a navigation that replaces the container, sent before or
// after it; the close button removes it; an empty text removes it.
func TestFlash(t *testing.T) {
	page := liveviewtest.New(t, flashApp(t, liveview.Config{}).e).Open("/")
	page.Click("#save")
	if got, want := page.HTML("#flash"), `<div id="flash" data-liveview-flash="5000">`+flashHTML("info", "status", "Saved &lt;b&gt;lobby&lt;/b&gt;")+`</div>`; got != want {
		t.Errorf("flash container\n got %s\nwant %s", got, want)
	}
	page.Click("#save") // the same kind again: replaced, not repeated
	page.Click("#flash-nav")
	if got, want := page.HTML("#flash"), `<div id="flash" data-liveview-flash="">`+flashHTML("info", "status", "Saved &lt;b&gt;lobby&lt;/b&gt;")+flashHTML("error", "alert", "Oops")+`</div>`; got != want {
		t.Errorf("after Flash, then a navigation\n got %s\nwant %s", got, want)
	}
	page.Click("#nav-flash")
	if page.Text("#where") != "page 3" || page.Count(".liveview-flash") != 3 {
		t.Errorf("after a navigation, then Flash: %s", page.HTML("#region"))
	}
	page.Click("#flash .liveview-flash-error button")
	page.Click("#clear")
	want := []liveview.Flash{{Kind: "success", Text: "Moved"}}
	if got := page.Flashes(); !reflect.DeepEqual(got, want) || page.Text("#flash") != "Moved×" {
		t.Errorf("after closing the error and clearing info: %v, %s", got, page.HTML("#flash"))
	}
	if f := page.Frames()[0].Flash; f == nil || *f != (liveview.Flash{Kind: "info", Text: "Saved <b>lobby</b>"}) {
		t.Errorf("Frames()[0].Flash = %+v", f)
	}
}

// TestFlashWithoutContainer: the page keeps the message and the client
// warns; the message shows once a frame brings a container.
func TestFlashWithoutContainer(t *testing.T) {
	page := liveviewtest.New(t, flashApp(t, liveview.Config{}).e).Open("/bare")
	page.Click("#save")
	if page.Exists(".liveview-flash") || len(page.Flashes()) != 1 {
		t.Fatalf("a message without a container: %v", page.Flashes())
	}
	page.Click("#nav-flash") // brings a container
	if page.Count("#flash .liveview-flash") != 2 {
		t.Errorf("the kept message did not go into the new container: %s", page.HTML("#region"))
	}
}

// TestRedirect: a redirect is recorded, FollowRedirect loads it with the
// messages the client takes along, other origins are not loaded, unsafe
// URLs are refused by the client, and actions fail while redirected.
func TestRedirect(t *testing.T) {
	a := flashApp(t, liveview.Config{})
	lt := liveviewtest.New(t, a.e)
	page := lt.Open("/")
	page.Click("#save")
	page.Click("#leave")
	if got := page.Redirected(); got != "/next?from=leave#top" {
		t.Fatalf("Redirected() = %q", got)
	}
	page.FollowRedirect()
	if page.URL() != "/next?from=leave#top" || page.Redirected() != "" {
		t.Errorf("after FollowRedirect: URL %q, Redirected %q", page.URL(), page.Redirected())
	}
	want := []liveview.Flash{{Kind: "info", Text: "Saved <b>lobby</b>"}, {Kind: "success", Text: "See you"}}
	if got := page.Flashes(); !reflect.DeepEqual(got, want) || page.Count("#flash .liveview-flash") != 2 {
		t.Errorf("the new page shows %v: %s", got, page.HTML("#flash"))
	}
	if h := page.History(); len(h) != 2 || h[1] != "/next?from=leave#top" {
		t.Errorf("History %v", h)
	}
	// Shown once: closed here, they do not come back with the next redirect.
	page.Click("#flash .liveview-flash-info button")
	page.Click("#leave")
	page.FollowRedirect()
	if got, want := page.Flashes(), []liveview.Flash{{Kind: "success", Text: "See you"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("second redirect carries %v, want %v", got, want)
	}

	page.Click("#away")
	if page.Redirected() != "https://example.com/" {
		t.Errorf("Redirected() = %q", page.Redirected())
	}
	other := lt.Open("/")
	other.Click("#bad")
	if other.Redirected() != "" {
		t.Errorf("a javascript: URL was followed: %q", other.Redirected())
	}
	if f := other.Frames(); len(f) != 1 || f[0].Redirect != "javascript:alert(1)" {
		t.Errorf("frames %+v", f)
	}

	// What fails, and says why.
	for _, tt := range []struct {
		name, want string
		do         func(p *liveviewtest.Page)
	}{
		{"an action while redirected", "was redirected to /next?from=leave#top (a full page load in a browser): FollowRedirect loads it",
			func(p *liveviewtest.Page) { p.Click("#leave"); p.Click("#save") }},
		{"another origin", "another origin", func(p *liveviewtest.Page) { p.Click("#away"); p.FollowRedirect() }},
		{"no redirect", "received no redirect", func(p *liveviewtest.Page) { p.Click("#bad"); p.FollowRedirect() }},
	} {
		msg := failure(t, func(tb testing.TB) { tt.do(liveviewtest.New(tb, a.e).Open("/")) })
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s: failure %q, want it to say %q", tt.name, msg, tt.want)
		}
	}
}

// TestExpired: a handler's ErrSessionExpired closes the page with 4401:
// Expired, the banner's text, and actions fail saying so; a handshake
// expired by OnConnect opens and expires.
func TestExpired(t *testing.T) {
	a := flashApp(t, liveview.Config{OnConnect: func(c echo.Context, _ *liveview.Context) error {
		if c.Request().Header.Get("X-Expired") != "" {
			return liveview.ErrSessionExpired
		}
		return nil
	}})
	lt := liveviewtest.New(t, a.e)
	page := lt.Open("/")
	if page.Expired() {
		t.Fatal("expired at once")
	}
	page.Click("#expire")
	page.Wait("the session to expire", page.Expired)
	if got := page.Text("#no-connection"); got != "Your session has expired. Reloading..." {
		t.Errorf("banner %q", got)
	}
	if c, _ := page.Attr("#no-connection", "class"); c != "no-connection--show" {
		t.Errorf("banner class %q", c)
	}
	msg := failure(t, func(tb testing.TB) {
		p := liveviewtest.New(tb, a.e).Open("/")
		p.Click("#expire")
		p.Click("#save")
	})
	if !strings.Contains(msg, "the session expired (the server closed the WebSocket with 4401") {
		t.Errorf("an action after expiry: %q", msg)
	}

	late := lt.Open("/", liveviewtest.WithHeader("X-Expired", "1"))
	late.Wait("the session to expire", late.Expired)

	// Call says why it got no answer.
	msg = failure(t, func(tb testing.TB) { liveviewtest.Call(tb, a.hub, "expire") })
	if !strings.Contains(msg, "4401") {
		t.Errorf("Call of an expiring handler: %q", msg)
	}
}

// TestMultiValueFields: a select multiple and a checkbox group send lists,
// which Bind turns into slices; a lone checkbox sends a boolean; Call
// takes []string.
func TestMultiValueFields(t *testing.T) {
	type prefs struct {
		Colors []string `form:"colors"`
		Days   []int    `form:"days"`
		News   bool     `form:"news"`
	}
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<form id="f" data-liveview-function="prefs" data-action="submit->page#run">
  <select name="colors" multiple><option>red</option><option>green</option><option>blue</option></select>
  <input type="checkbox" name="days" value="1" id="d1"><input type="checkbox" name="days" value="2" id="d2"><input type="checkbox" name="days" value="3" id="d3">
  <input type="checkbox" name="news" id="news">
  <button>Save</button>
</form>
<p id="got"></p>`)}, func(h *liveview.Hub) {
		h.Handle("prefs", func(c *liveview.Context) error {
			var p prefs
			if err := c.Bind(&p); err != nil {
				return err
			}
			return c.HTML("#got", fmt.Sprintf("%q %v %v first=%q", p.Colors, p.Days, p.News, c.FormValue("colors")))
		})
	})
	page := liveviewtest.New(t, a.e).Open("/")
	page.Submit("#f")
	if got := page.Text("#got"); got != `[] [] false first=""` {
		t.Errorf("nothing chosen: %s", got)
	}
	page.Change("select[name=colors]", "red", "blue")
	page.Click("#d1")
	page.Click("#d3")
	page.Click("#news")
	page.Submit("#f")
	if got := page.Text("#got"); got != `["red" "blue"] [1 3] true first="red"` {
		t.Errorf("chosen: %s", got)
	}
	if s := string(page.Sent()[1]); !strings.Contains(s, `"form":{"colors":["red","blue"],"days":["1","3"],"news":true}`) {
		t.Errorf("sent %s", s)
	}
	frames := liveviewtest.Call(t, a.hub, "prefs", liveviewtest.Form{"colors": []string{"green"}, "days": []string{"2"}})
	if len(frames) != 1 || frames[0].HTML != `[&#34;green&#34;] [2] false first=&#34;green&#34;` && frames[0].HTML != `["green"] [2] false first="green"` {
		t.Errorf("Call frames %+v", frames)
	}
}
