// Command clienttest serves fixture pages for every attribute and wire key of
// the JavaScript client, with handlers that answer them. The browser tests
// in e2e/ drive it; it is also a page to try the client by hand.
//
//	go run ./examples/clienttest                 # http://localhost:8080/p/attrs
//	go run ./examples/clienttest -addr 127.0.0.1:9000
//	go run ./examples/clienttest -upload-dir /tmp/up  # the uploads' temporary files
//
// Pages: /p/attrs, /p/intersect, /p/history, /p/extras, /p/connection,
// /p/frames, /p/wire, /p/rules (every rule that turns an element into an
// event, for the parity test of liveviewtest's copy of the client's rules),
// /p/commands (JS commands, throttle, polling), /p/hooks (client hooks,
// pushEvent, form recovery), /p/esm (the ES module build), /p/uploads
// (file uploads, uploads.go), /p/flash (flash
// messages, redirects, an expired session: a handshake with the cookie
// lv_expired is expired, and multi-value fields; ?dismiss=MS sets the
// container's auto-dismiss), /p/streams (stream frames, streams.go)
// and /p/custompath (a second Hub on /custom/ws/:room/); /p/keys, /p/nopage
// and /app/p/prefixed (a third Hub under /app), see traps.go. A
// ?noroom=1 page has no <html data-room>; ?legacy=1 sets
// webSocketConfig.legacyRoomStorage. Most handlers append
// what they received, as JSON, to the page's #log list, so a test can read
// exactly what the client sent. GET /hit?n=NAME is a script that counts
// its loads by name; GET /hits returns the counts as JSON.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log"
	"net/http"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
)

//go:embed templates
var templateFS embed.FS

// staticFS holds the examples' favicon (a copy of examples/demo's). These
// fixture pages need no stylesheet.
//
//go:embed static
var staticFS embed.FS

// renderer is the app's Echo renderer, reused by liveview for fragments.
type renderer struct{ t *template.Template }

func (r renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

// pages are the fixture pages served under /p/NAME.
var pages = []string{"attrs", "intersect", "history", "extras", "connection", "custompath", "frames", "wire", "rules", "hooks", "esm", "commands", "flash", "streams", "uploads"}

// recorded are the functions answered by record: they only log what came.
var recorded = []string{
	"record", "search", "other", "outer", "init_a", "init_b", "init_nested",
	"appear", "disappear", "appear_far", "disappear_far", "appear_late",
	"key_save", "key_shift", "key_esc", "key_upstream", "key_bang", "submit_form", "queued",
	// /p/rules
	"rules_save", "rules_esc", "rules_shift", "rules_upstream", "rules_bang", "rules_enter",
	"rules_appear", "rules_disappear", "rules_late_init", "rules_late_key", "rules_late_appear",
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.StringVar(&uploadConfig.Dir, "upload-dir", "", "directory of the uploads' temporary files (default: the OS's)")
	flag.Parse()

	e, hubs := newApp()
	srv := newServer(*addr, e)
	go func() {
		if err := e.StartServer(srv); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.Shutdown(shutdown) // starts every Hub's drain
	for _, h := range hubs {
		_ = h.Shutdown(shutdown) // waits for it
	}
}

// newServer returns e's HTTP server (e.Server, so e.Shutdown stops it) set
// to listen on addr with the timeouts a server open to the internet needs:
// ReadHeaderTimeout closes a connection whose request headers, a WebSocket
// upgrade's included, do not arrive in time (else a client can hold a
// connection, a goroutine and a buffer per half-sent request forever), and
// IdleTimeout closes keep-alive connections left idle. Neither applies to
// an open WebSocket: it leaves net/http at the upgrade. See the README's
// "Production server".
func newServer(addr string, e *echo.Echo) *http.Server {
	s := e.Server
	s.Addr = addr
	s.ReadHeaderTimeout = 5 * time.Second
	s.IdleTimeout = 2 * time.Minute
	return s
}

// newApp wires the pages, the default Hub and a second Hub on a custom path.
func newApp() (*echo.Echo, []*liveview.Hub) {
	e := echo.New()
	e.HideBanner = true
	e.Renderer = renderer{template.Must(template.ParseFS(templateFS, "templates/*.html"))}
	// A short drain window: the browser tests restart this server and
	// should not wait the default 5 s for the pages to reconnect.
	const drain = 200 * time.Millisecond
	e.Use(liveview.PluginWithConfig(liveview.Config{DrainWindow: drain, OnConnect: expiredCookie, Upload: uploadConfig}))
	custom := liveview.New(liveview.Config{Path: "/custom/ws/:room/", DrainWindow: drain})
	custom.Handle("record", record)
	e.Use(custom.Middleware())
	prefixed := addTrapPages(e, drain)

	serveFavicon(e)

	// A script that counts its loads, so a test can see that a <script src>
	// in a fragment was never fetched.
	var mu sync.Mutex
	hits := map[string]int{}
	e.GET("/hit", func(c echo.Context) error {
		n := c.QueryParam("n")
		mu.Lock()
		hits[n]++
		mu.Unlock()
		return c.Blob(http.StatusOK, "text/javascript",
			[]byte("window.srcRan = (window.srcRan || []).concat("+strconv.Quote(n)+");"))
	})
	e.GET("/hits", func(c echo.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return c.JSON(http.StatusOK, hits)
	})

	for _, name := range pages {
		e.GET("/p/"+name, func(c echo.Context) error {
			data := map[string]any{
				"Room":   liveview.NewRoomID(),
				"Page":   atoi(c.QueryParam("page")),
				"Legacy": c.QueryParam("legacy") != "", // webSocketConfig.legacyRoomStorage
			}
			if c.QueryParam("noroom") != "" {
				delete(data, "Room") // the client makes a UUID
			}
			if name == "custompath" {
				data["WSPath"] = "/custom/ws" // webSocketConfig.path
			}
			if name == "flash" {
				data["Dismiss"] = c.QueryParam("dismiss") // data-liveview-flash="ms"
				data["Prefs"] = &liveview.FormView{}
			}
			return c.Render(http.StatusOK, name+".html", data)
		})
	}
	return e, []*liveview.Hub{liveview.Default(), custom, prefixed}
}

// expiredCookie expires the session of a handshake that carries the cookie
// lv_expired (/p/flash): the socket opens and closes with 4401.
func expiredCookie(c echo.Context, _ *liveview.Context) error {
	if _, err := c.Cookie("lv_expired"); err == nil {
		return liveview.ErrSessionExpired
	}
	return nil
}

// prefs is /p/flash's form of multi-value fields.
type prefs struct {
	Colors []string `form:"colors" validate:"min=1"`
	Days   []int    `form:"days"`
}

// record appends the event, as JSON, to #log.
func record(c *liveview.Context) error {
	b, err := json.Marshal(map[string]any{
		"function": c.Function(), "data": c.DataMap(), "form": c.Form(), "lang": c.Lang(),
	})
	if err != nil {
		return fmt.Errorf("liveview: record: %w", err)
	}
	return c.Send(liveview.Message{Target: "#log", Append: true,
		HTML: "<li>" + template.HTMLEscapeString(string(b)) + "</li>"})
}

func init() {
	for _, name := range recorded {
		liveview.Handle(name, record)
	}
	// History: SPA navigation that pushes /p/history?page=N.
	liveview.Handle("nav", func(c *liveview.Context) error {
		n := c.Data("page")
		return c.Navigate("#content", "/p/history?page="+n, "Page "+n, "page.html", n)
	})
	// History: a counter whose value lives in the DOM.
	liveview.Handle("count", func(c *liveview.Context) error {
		n, _ := strconv.Atoi(c.Data("count"))
		return c.Render("#counter", "counter.html", n+1)
	})
	liveview.Handle("remove_item", func(c *liveview.Context) error {
		return c.Remove("#item-" + c.Data("id"))
	})
	liveview.Handle("add_post", func(c *liveview.Context) error {
		n, _ := strconv.Atoi(c.Data("next"))
		if err := c.Append("#posts", "post.html", n); err != nil {
			return err
		}
		return c.Render("#add-post", "addpost.html", n+1)
	})
	// Extras: a form re-rendered with morph while the user types.
	liveview.Handle("morph_form", func(c *liveview.Context) error {
		return c.Morph("#mform", "mform.html", formState(c))
	})
	// Extras: the same re-render without morph, for comparison.
	liveview.Handle("replace_form", func(c *liveview.Context) error {
		return c.Render("#mform", "mform.html", formState(c))
	})
	liveview.Handle("save", func(c *liveview.Context) error {
		select { // long enough to see the loading state, bounded
		case <-time.After(time.Duration(atoi(c.Data("ms"))) * time.Millisecond):
		case <-c.Context().Done():
		}
		return c.HTML("#saved", "saved "+c.FormValue("title"))
	})
	liveview.Handle("fail", func(*liveview.Context) error { return errors.New("database down") })
	liveview.Handle("notify", func(c *liveview.Context) error {
		return c.Dispatch("cart:updated", map[string]any{"count": 3, "from": c.Data("from")})
	})
	liveview.Handle("scripted", func(c *liveview.Context) error {
		return c.Render("#scripted", "scripted.html", c.Data("label"))
	})
	// Frames: the upstream keys one by one.
	liveview.Handle("frames_table", func(c *liveview.Context) error {
		return c.Send(liveview.Message{Target: "#rows", HTML: "<tr><td>r1</td></tr>", Append: true})
	})
	liveview.Handle("frames_remove", func(c *liveview.Context) error { return c.Remove("#gone") })
	liveview.Handle("frames_extra", func(c *liveview.Context) error {
		return c.Send(liveview.Message{Target: "#u", HTML: "ok",
			Extra: map[string]any{"script": "window.bad = 1", "whatever": 1}})
	})
	liveview.Handle("frames_scroll", func(c *liveview.Context) error { return c.ScrollTo("#bottom") })
	liveview.Handle("frames_top", func(c *liveview.Context) error { return c.ScrollTop() })
	liveview.Handle("frames_nav", func(c *liveview.Context) error {
		return c.Send(liveview.Message{Target: "#u", HTML: "navigated", URL: "/p/frames?nav=1", Title: "Navigated"})
	})
	// Wire: append (no __cleanup) versus replace (__cleanup), and the
	// scripts of a fragment.
	liveview.Handle("wire_append", func(c *liveview.Context) error {
		return c.Send(liveview.Message{Target: "#box", Append: true,
			HTML: `<i>appended</i><script>el.dataset.appended = el.id + ":" + (this === el);</script>`})
	})
	liveview.Handle("wire_replace", func(c *liveview.Context) error { return c.HTML("#box", "<i>replaced</i>") })
	liveview.Handle("wire_scripts", func(c *liveview.Context) error { return c.HTML("#frag", wireScripts) })
	liveview.Handle("insert_buttons", func(c *liveview.Context) error {
		return c.Render("#inserted", "inserted.html", nil)
	})
	// Rules: every kind of frame, without scripts (they would run in the
	// browser only), then a morph and inserted HTML with a page controller.
	liveview.Handle("rules_frames", func(c *liveview.Context) error {
		return errors.Join(
			c.HTML("#r-target", "<p>second</p><style>#r-target p { color: teal; }</style>"),
			c.Send(liveview.Message{Target: "#r-list", HTML: "<li>appended</li>", Append: true}),
			c.Remove("#r-gone"),
			c.Send(liveview.Message{Target: "#r-rows", HTML: "<tr><td>r1</td></tr>", Append: true}),
			c.Send(liveview.Message{Target: "#r-target", HTML: "<p>navigated</p>", URL: "/p/rules?nav=1", Title: "Rules, navigated"}),
			c.Send(liveview.Message{Target: "#r-missing", HTML: "never", URL: "/p/rules?never=1", Title: "never"}),
			c.Send(liveview.Message{Target: "#r-target", HTML: ""}),
			c.Send(liveview.Message{Target: "#r-target", HTML: "<p>last</p>"}),
		)
	})
	liveview.Handle("rules_morph", func(c *liveview.Context) error {
		return c.Morph("#r-mform", "rules_morph.html", c.FormValue("mtyped"))
	})
	liveview.Handle("rules_insert", func(c *liveview.Context) error {
		return c.Render("#r-inserted", "rules_inserted.html", nil)
	})
	liveview.Handle("rules_js", func(c *liveview.Context) error {
		return c.Send(liveview.Message{Target: "#r-js-list", HTML: "<li>added</li>", Append: true,
			JS: "add-class(new):#r-js-list li:last-child; show:#r-menu; remove-class(open):#r-menu li; toggle-attribute(disabled):#r-js-target"})
	})
	// Commands: an item appended, then commands acting on it and around.
	liveview.Handle("cmd_frame", func(c *liveview.Context) error {
		return c.Send(liveview.Message{Target: "#items", HTML: "<li>added</li>", Append: true,
			JS: "add-class(new):#items li:last-child; show:#toast; dispatch(chart:refresh):#chart"})
	})
	liveview.Handle("cmd_poll_start", func(c *liveview.Context) error {
		return c.Render("#poll-box", "cmd_polls.html", nil)
	})
	liveview.Handle("cmd_poll_stop", func(c *liveview.Context) error { return c.Remove("#poll-a") })
	// Flash: messages, navigations that replace their container, redirects,
	// an expired session, Hub.Disconnect, multi-value fields.
	liveview.Handle("flash_info", func(c *liveview.Context) error { return c.Flash("info", "Saved") })
	liveview.Handle("flash_error", func(c *liveview.Context) error { return c.Flash("error", "Could not save") })
	liveview.Handle("flash_nav", func(c *liveview.Context) error {
		return errors.Join(c.Flash("success", "Moved"),
			c.Navigate("#content", "/p/flash?page=2", "Flash page 2", "flash_nav.html", 2))
	})
	liveview.Handle("nav_flash", func(c *liveview.Context) error {
		return errors.Join(c.Navigate("#content", "/p/flash?page=3", "Flash page 3", "flash_nav.html", 3),
			c.Flash("warning", "Arrived"))
	})
	liveview.Handle("nav_bare", func(c *liveview.Context) error {
		return c.Navigate("#content", "/p/flash?page=4", "Flash page 4", "flash_bare.html", 4)
	})
	liveview.Handle("flash_redirect", func(c *liveview.Context) error {
		return errors.Join(c.Flash("success", "Saved, then redirected"), c.Redirect("/p/flash?page=5"))
	})
	liveview.Handle("redirect_js", func(c *liveview.Context) error {
		// Context.Redirect refuses it; a hand-made frame reaches the client.
		return c.Send(liveview.Message{Extra: map[string]any{"redirect": "javascript:window.pwned=1"}})
	})
	liveview.Handle("expire", func(*liveview.Context) error { return liveview.ErrSessionExpired })
	// Hub.Disconnect of a topic this tab alone joined (a user signing out
	// everywhere would use the user's topic): close 4403 with data-reason.
	liveview.Handle("sign_out", func(c *liveview.Context) error {
		topic := "signout:" + c.Room()
		if err := c.Join(topic); err != nil {
			return err
		}
		return c.Hub().Disconnect(context.Background(), topic, c.Data("reason"))
	})
	liveview.Handle("save_prefs", func(c *liveview.Context) error {
		var p prefs
		err := errors.Join(c.Bind(&p), c.Validate(&p))
		if err != nil && liveview.FieldErrors(c, err) == nil {
			return err
		}
		v := liveview.NewFormView(c, &p, err)
		return c.Render("#prefs", "flash_prefs.html", v)
	})
	// Rules: flash messages (plain text, one per kind), and their container
	// replaced by a navigation between two of them.
	liveview.Handle("rules_flash", func(c *liveview.Context) error {
		return c.Flash("info", "Saved <b>not bold</b> & done")
	})
	liveview.Handle("rules_flash_nav", func(c *liveview.Context) error {
		return errors.Join(
			c.Flash("warning", "Before"),
			c.Send(liveview.Message{Target: "#r-flash-region", HTML: `<div id="r-flash" data-liveview-flash=""></div><p>navigated</p>`}),
			c.Flash("error", "After"),
			c.Flash("warning", "Replaced"),
		)
	})
}

// wireScripts is a fragment with every kind of script: classic inline ones
// run in order with el = this = the target, even after one that throws;
// src, module and template scripts do not run.
const wireScripts = `<p>fragment</p>
<script>window.order = ["inline"]; el.dataset.bound = el.id + ":" + (this === el);</script>
<script type="text/javascript">window.order.push("text/javascript");</script>
<script src="/hit?n=fragment"></script>
<script src="data:text/javascript,window.dataSrcRan=true"></script>
<script type="module">window.moduleRan = true;</script>
<script type="text/template">window.templateRan = true;</script>
<script>window.order.push("throws"); throw new Error("boom in a fragment");</script>
<script>window.order.push("after");</script>`

// formState is what mform.html shows: a render counter and the typed text.
// boot identifies this process, so a test sees which server answered.
var boot = strconv.FormatInt(time.Now().UnixNano(), 36)

// /p/hooks: client hooks, pushEvent replies and form recovery.
func init() {
	liveview.Handle("hook_insert", func(c *liveview.Context) error {
		return c.Render("#hook-box", "hook_item.html", 1)
	})
	liveview.Handle("hook_morph", func(c *liveview.Context) error {
		return c.Morph("#hook-box", "hook_item.html", 2)
	})
	liveview.Handle("hook_replace", func(c *liveview.Context) error {
		return c.Render("#hook-box", "hook_item.html", 3)
	})
	liveview.Handle("hook_stream", func(c *liveview.Context) error {
		switch c.Data("op") {
		case "add":
			return c.StreamInsert("#hook-list", "hs1", "hook_row.html", 1)
		case "update":
			return c.StreamInsert("#hook-list", "hs1", "hook_row.html", 2)
		}
		return c.StreamDelete("#hook-list", "hs1")
	})
	liveview.Handle("hook_inner", func(c *liveview.Context) error { return c.HTML("#h1-inner", "changed") })
	liveview.Handle("hook_remove", func(c *liveview.Context) error { return c.Remove("#h2") })
	liveview.Handle("hook_echo", func(c *liveview.Context) error {
		return c.Reply(map[string]any{"doubled": 2 * atoi(c.Data("n")), "boot": boot})
	})
	liveview.Handle("hook_fail", func(*liveview.Context) error { return liveview.NewError("no chart today") })
	liveview.Handle("recover_form", func(c *liveview.Context) error {
		if err := record(c); err != nil {
			return err
		}
		return c.HTML("#recovered", template.HTMLEscapeString(c.FormValue("name")+"/"+c.FormValue("size")+"/"+c.Data("form_id")))
	})
	liveview.Handle("boot", func(c *liveview.Context) error { return c.HTML("#boot", boot) })
}

func formState(c *liveview.Context) map[string]any {
	return map[string]any{"Page": atoi(c.Data("n")) + 1, "Typed": c.FormValue("typed")}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// serveFavicon serves the examples' favicon at /favicon.ico, which browsers
// ask for since these pages name no icon: without it every page logs a 404.
func serveFavicon(e *echo.Echo) {
	e.FileFS("/favicon.ico", "static/favicon.svg", staticFS)
}
