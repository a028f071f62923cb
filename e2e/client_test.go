package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// clienttest serves one fixture page per client feature (examples/clienttest).
const clienttest = "./examples/clienttest"

// openPage starts clienttest, opens /p/NAME (plus query) in a new tab and
// waits for the WebSocket.
func openPage(t *testing.T, name string) (context.Context, *App, *JSErrors) {
	t.Helper()
	ctx := NewTab(t)
	app := Start(t, clienttest)
	jsErrors := CaptureJSErrors(ctx)
	Run(t, ctx, "opening /p/"+name, chromedp.Navigate(app.URL+"/p/"+name))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)
	return ctx, app, jsErrors
}

// logEntry is one event as the server received it (clienttest's #log).
type logEntry struct {
	Function string            `json:"function"`
	Data     map[string]string `json:"data"`
	Form     map[string]any    `json:"form"`
	Lang     string            `json:"lang"`
}

// serverLog returns the events the server logged into the page, in order.
func serverLog(t *testing.T, ctx context.Context) []logEntry {
	t.Helper()
	var entries []logEntry
	raw := EvalJS[string](t, ctx, `JSON.stringify(lvLog())`)
	if err := json.Unmarshal([]byte(raw), &entries); err != nil {
		t.Fatalf("decoding the log %s: %v", raw, err)
	}
	return entries
}

// countJS is a JS expression counting logged events matching cond, a JS
// expression over the entry e.
func countJS(cond string) string {
	return fmt.Sprintf(`lvLog().filter((e) => %s).length`, cond)
}

// waitLogged waits until n events matching cond have been logged.
func waitLogged(t *testing.T, ctx context.Context, what, cond string, n int) {
	t.Helper()
	WaitJS(t, ctx, what, fmt.Sprintf(`%s >= %d`, countJS(cond), n))
}

// fn is the JS condition "the event called function name".
func fn(name string) string { return fmt.Sprintf(`e.function === %q`, name) }

// click clicks the element matching selector like a person (mouse events at
// its position).
func click(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	Run(t, ctx, "clicking "+selector, chromedp.Click(selector, chromedp.ByQuery))
}

// pressBack goes one entry back in the tab's history, as the Back button
// does (a same-document entry: no load to wait for).
func pressBack(t *testing.T, ctx context.Context, delta int) {
	t.Helper()
	Run(t, ctx, fmt.Sprintf("going %d in history", delta), chromedp.ActionFunc(func(ctx context.Context) error {
		cur, entries, err := page.GetNavigationHistory().Do(ctx)
		if err != nil {
			return err
		}
		i := int(cur) + delta
		if i < 0 || i >= len(entries) {
			return fmt.Errorf("no history entry %d (have %d)", i, len(entries))
		}
		return page.NavigateToHistoryEntry(entries[i].ID).Do(ctx)
	}))
}

// TestClientAttributes drives every data-liveview-* attribute and the
// Stimulus action grammar on /p/attrs.
func TestClientAttributes(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "attrs")

	// data-liveview-init: once per element at connect, each exactly once,
	// including the one owned by the nested page controller.
	waitLogged(t, ctx, "the init events", `e.function.startsWith("init_")`, 3)
	// data-liveview-focus: the field has focus at load.
	WaitJS(t, ctx, "#focus-me to have focus", `document.activeElement === document.querySelector("#focus-me")`)

	// data / form collection of a button outside any form: its dataset minus
	// the omit list; the named fields of its parent.
	click(t, ctx, "#collect")
	waitLogged(t, ctx, "the record event", `e.data.n === undefined && e.function === "record"`, 1)
	// A submit inside a form: the form's fields.
	click(t, ctx, "#submit")
	waitLogged(t, ctx, "the form submit", fn("submit_form"), 1)

	// Key filter, @window, :once, default event, page#stop and a nested
	// controller: a marker event proves nothing else was sent before it.
	Run(t, ctx, "pressing keys in #enter",
		chromedp.Click("#enter", chromedp.ByQuery),
		chromedp.SendKeys("#enter", "a", chromedp.ByQuery),
		chromedp.KeyEvent(kb.Enter),
		chromedp.KeyEvent("x"),
	)
	click(t, ctx, "#once")
	click(t, ctx, "#once")
	click(t, ctx, "#default")
	click(t, ctx, "#stop")
	click(t, ctx, "#through")
	click(t, ctx, "#nested-btn")
	waitLogged(t, ctx, "the nested controller's event", `e.data.n === "nested"`, 1)

	// data-liveview-debounce: typing fast sends once, with the value at fire
	// time.
	Run(t, ctx, "typing into #search", chromedp.SendKeys("#search", "abc", chromedp.ByQuery))
	waitLogged(t, ctx, "the debounced search", `e.function === "search" && e.form.q === "abc"`, 1)

	// data-liveview-keyboard-map: focus the element and press keys.
	Run(t, ctx, "pressing mapped keys on #keys",
		chromedp.Click("#keys", chromedp.ByQuery),
		chromedp.KeyEvent("s", chromedp.KeyModifiers(input.ModifierCtrl)),
		chromedp.KeyEvent("P", chromedp.KeyModifiers(input.ModifierCtrl|input.ModifierShift)),
		chromedp.KeyEvent("O", chromedp.KeyModifiers(input.ModifierCtrl|input.ModifierShift)),
		chromedp.KeyEvent("!", chromedp.KeyModifiers(input.ModifierShift)),
		chromedp.KeyEvent("q"), // not mapped
		chromedp.KeyEvent(kb.Escape),
	)
	waitLogged(t, ctx, "the esc mapping", fn("key_esc"), 1)

	got := serverLog(t, ctx)
	var names []string
	for _, e := range got {
		name := e.Function
		if n := e.Data["n"]; n != "" {
			name += ":" + n
		}
		names = append(names, name)
	}
	// Inits come first (queued until the socket opened), in document order.
	want := []string{
		"init_a", "init_b", "init_nested",
		"record", "submit_form",
		"record:enter", "record:window", "record:once", "record:default", "outer", "record:nested",
		"search",
		"key_save", "key_shift", "key_upstream", "key_bang", "key_esc",
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("events\n got: %v\nwant: %v", names, want)
	}
	byName := map[string]logEntry{}
	for _, e := range got {
		if _, dup := byName[e.Function]; !dup {
			byName[e.Function] = e
		}
	}
	checks := []struct {
		name string
		got  any
		want string
	}{
		{"init_a data", byName["init_a"].Data, `{"data_x":"1"}`},
		{"record data (omit list, data-data-*, data-*)", byName["record"].Data, `{"data_alert_id":"5","product_id":"7"}`},
		{"record form (parent's named fields)", byName["record"].Form, `{"name":"Ann","ok":true,"r":"b","s":"two"}`},
		{"record lang", byName["record"].Lang, `"en"`},
		{"submit form", byName["submit_form"].Form, `{"a":"1"}`},
		{"keyboard data", byName["key_save"].Data, `{}`},
	}
	for _, c := range checks {
		b, _ := json.Marshal(c.got)
		if !jsonEqual(string(b), c.want) {
			t.Errorf("%s: got %s, want %s", c.name, b, c.want)
		}
	}
	if !EvalJS[bool](t, ctx, `document.querySelector("#keys").getAttribute("tabindex") === "-1"`) {
		t.Error("the keyboard-map element did not get tabindex=-1")
	}
	jsErrors.AssertNone(t)
}

// jsonEqual compares two JSON texts as values.
func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// TestClientIntersect scrolls /p/intersect: appear, disappear (also the
// initial one for an element that starts off-screen), a threshold that
// fires early, elements inserted later and removed ones.
func TestClientIntersect(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "intersect")

	waitLogged(t, ctx, "#top to appear", `e.function === "appear" && e.data.n === "top"`, 1)
	waitLogged(t, ctx, "#far's initial disappear", fn("disappear_far"), 1)

	Run(t, ctx, "scrolling to #far", chromedp.ScrollIntoView("#far", chromedp.ByQuery))
	waitLogged(t, ctx, "#far to appear", fn("appear_far"), 1)
	Run(t, ctx, "scrolling back up", chromedp.Evaluate(`window.scrollTo(0, 0)`, nil))
	waitLogged(t, ctx, "#far to disappear again", fn("disappear_far"), 2)

	// #pre has threshold 400: 200px below the fold it already appears;
	// #nopre, at the same place without a threshold, does not.
	Run(t, ctx, "scrolling to 200px above #pre",
		chromedp.Evaluate(`window.scrollTo(0, document.querySelector("#pre").offsetTop - innerHeight - 200)`, nil))
	waitLogged(t, ctx, "#pre to appear early", `e.function === "appear" && e.data.n === "pre"`, 1)
	if n := EvalJS[int](t, ctx, countJS(`e.data.n === "nopre"`)); n != 0 {
		t.Errorf("#nopre appeared %d times while below the fold", n)
	}
	// One observer per threshold: each element records the one it uses.
	if s := EvalJS[string](t, ctx, `["#top", "#pre"].map((s) => document.querySelector(s).dataset.intersectionThresholdUsed).join()`); s != "0,400" {
		t.Errorf("thresholds used: %s, want 0,400", s)
	}

	// Inserted HTML is observed; removed elements are unobserved (no
	// disappear for them).
	Run(t, ctx, "scrolling up", chromedp.Evaluate(`window.scrollTo(0, 0)`, nil))
	click(t, ctx, "#insert")
	waitLogged(t, ctx, "the inserted element to appear", fn("appear_late"), 1)
	Run(t, ctx, "removing it", chromedp.Evaluate(`document.querySelector("#late").remove()`, nil))
	click(t, ctx, "#late-btn") // marker
	waitLogged(t, ctx, "the marker", `e.data.n === "late" && e.function === "record"`, 1)
	if n := EvalJS[int](t, ctx, countJS(`e.function === "disappear"`)); n != 0 {
		t.Errorf("a removed element sent %d disappear events", n)
	}
	jsErrors.AssertNone(t)
}

// TestClientHistory navigates /p/history through server frames with url and
// walks Back and Forward: regions, title, lang, counters, removed and
// appended elements, permanent nodes, script replay, branching, reload and
// the 50-entry cap, as Django LiveView 2.3's journal.
func TestClientHistory(t *testing.T) {
	ctx, app, jsErrors := openPage(t, "history")
	const content = `document.querySelector("#content h1").textContent`
	Run(t, ctx, "marking the page", chromedp.Evaluate(`window.marker = 1`, nil))

	// On the server-rendered page: count twice, type into a field.
	click(t, ctx, "#count")
	WaitJS(t, ctx, "count 1", `document.querySelector("#count").textContent === "Count 1"`)
	click(t, ctx, "#count")
	WaitJS(t, ctx, "count 2", `document.querySelector("#count").textContent === "Count 2"`)
	Run(t, ctx, "typing", chromedp.SendKeys("#home-input", "kept", chromedp.ByQuery))

	click(t, ctx, "#nav1")
	WaitJS(t, ctx, "page 1", content+` === "Page 1" && location.search === "?page=1" && document.title === "Page 1"`)
	click(t, ctx, "#count")
	WaitJS(t, ctx, "count 3", `document.querySelector("#count").textContent === "Count 3"`)
	click(t, ctx, "#nav2")
	WaitJS(t, ctx, "page 2", content+` === "Page 2"`)
	// A live node the journal must keep (e.g. a playing video).
	Run(t, ctx, "marking the permanent node",
		chromedp.Evaluate(`document.querySelector("#timer").textContent = "live"; window.timer = document.querySelector("#timer")`, nil))
	click(t, ctx, "#rm2")
	WaitJS(t, ctx, "item 2 removed", `!document.querySelector("#item-2")`)
	click(t, ctx, "#add")
	WaitJS(t, ctx, "post 1", `document.querySelectorAll(".post").length === 1`)
	if n := EvalJS[int](t, ctx, `window.once`); n != 2 {
		t.Errorf("the replay=false script ran %d times on arrival, want 2", n)
	}

	pressBack(t, ctx, -1)
	WaitJS(t, ctx, "page 1 restored", content+` === "Page 1" && location.search === "?page=1" && document.title === "Page 1"`)
	WaitJS(t, ctx, "the restored event", `seen.restored.length === 1`)
	checks := map[string]string{
		"counter as left on page 1": `document.querySelector("#count").textContent === "Count 3"`,
		"item 2 back":               `!!document.querySelector("#item-2")`,
		"no posts yet":              `document.querySelectorAll(".post").length === 0`,
		"restored event detail":     `seen.restored[0].index === 1 && seen.restored[0].url.endsWith("?page=1")`,
		"scripts replayed once":     `window.replays === 3 && document.querySelector("#content").dataset.ran === "yes"`,
		"replay=false not replayed": `window.once === 2`,
		"permanent node kept live":  `document.querySelector("#timer") === window.timer && window.timer.textContent === "live"`,
	}
	for what, expr := range checks {
		if !EvalJS[bool](t, ctx, expr) {
			t.Errorf("after Back: %s: %s is false", what, expr)
		}
	}

	pressBack(t, ctx, -1)
	WaitJS(t, ctx, "the first page restored", content+` === "Home" && location.search === ""`)
	if !EvalJS[bool](t, ctx, `document.querySelector("#count").textContent === "Count 2" && document.querySelector("#home-input").value === "kept"`) {
		t.Error("the server-rendered page was not restored as left (counter 2, typed value)")
	}

	pressBack(t, ctx, 2)
	WaitJS(t, ctx, "page 2 restored", content+` === "Page 2" && !document.querySelector("#item-2") && document.querySelectorAll(".post").length === 1`)
	click(t, ctx, "#add")
	WaitJS(t, ctx, "post 2 after restore", `Array.from(document.querySelectorAll(".post"), (p) => p.textContent).join() === "Post 1,Post 2"`)

	// Branching: from page 1, a new navigation drops the forward entries.
	pressBack(t, ctx, -1)
	WaitJS(t, ctx, "page 1 again", content+` === "Page 1"`)
	click(t, ctx, "#nav3")
	WaitJS(t, ctx, "page 3", content+` === "Page 3"`)
	journal := `JSON.parse(sessionStorage.getItem("liveview-history"))`
	if n := EvalJS[int](t, ctx, journal+`.entries.length`); n != 3 {
		t.Errorf("journal has %d entries after branching, want 3", n)
	}
	if !EvalJS[bool](t, ctx, `window.marker === 1`) {
		t.Fatal("the page reloaded during history navigation")
	}

	// A reload keeps the journal: Back restores page 1 from it.
	Run(t, ctx, "reloading", chromedp.Reload())
	WaitJS(t, ctx, "the WebSocket after reload", wsOpen)
	pressBack(t, ctx, -1)
	WaitJS(t, ctx, "page 1 from the journal after a reload", content+` === "Page 1" && document.querySelector("#count").textContent === "Count 3"`)

	// The cap: 50 entries keep their regions.
	for i := 0; i < 26; i++ {
		for _, b := range []string{"#nav2", "#nav3"} {
			click(t, ctx, b)
		}
	}
	WaitJS(t, ctx, "52 navigations", journal+`.entries.length >= 54 && `+content+` === "Page 3"`)
	if n := EvalJS[int](t, ctx, journal+`.entries.filter((e) => e.regions).length`); n != 50 {
		t.Errorf("%d entries keep regions, want 50", n)
	}
	if n := EvalJS[int](t, ctx, `JSON.stringify(`+journal+`).length`); n > 200000 {
		t.Errorf("journal is %d bytes", n)
	}

	// Without the journal (storage lost across a reload: cleared after the
	// client saved it on pagehide), Back reloads the page from the server.
	Run(t, ctx, "losing sessionStorage over a reload",
		chromedp.Evaluate(`addEventListener("pagehide", () => sessionStorage.clear())`, nil), chromedp.Reload())
	WaitJS(t, ctx, "the WebSocket after reload", wsOpen)
	Run(t, ctx, "marking the page", chromedp.Evaluate(`window.marker = 3`, nil))
	pressBack(t, ctx, -1)
	waitAcrossLoads(t, ctx, "a reload for an unknown entry", `window.marker === undefined && document.readyState === "complete" && !!document.querySelector("#count")`)
	if s := EvalJS[string](t, ctx, `document.querySelector("#count").textContent`); s != "Count 0" {
		t.Errorf("after the fallback reload the counter says %q, want the server's Count 0", s)
	}
	_ = app
	jsErrors.AssertNone(t)
}

// TestClientExtras covers the additive keys: morph, loading states with
// ref, event frames, error frames; plus inline scripts, __cleanup and HTML
// inserted later.
func TestClientExtras(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "extras")

	// morph: every keystroke re-renders the form on the server (live
	// validation); the field keeps its node, focus, value and caret.
	Run(t, ctx, "typing into the morphed field",
		chromedp.Evaluate(`window.typed = document.querySelector("#typed")`, nil),
		chromedp.SendKeys("#typed", "hello", chromedp.ByQuery))
	WaitJS(t, ctx, "the server to echo the typed text", `document.querySelector("#echo").textContent === "hello"`)
	if s := EvalJS[string](t, ctx, `[document.querySelector("#typed") === typed, document.activeElement === typed, typed.value, typed.selectionStart].join()`); s != "true,true,hello,5" {
		t.Errorf("after morph: same node, focus, value, caret = %s; want true,true,hello,5", s)
	}
	// Without morph, the content is replaced: a new node.
	click(t, ctx, "#replace")
	WaitJS(t, ctx, "the replace", `document.querySelector("#typed") !== typed`)

	// Loading states: aria-busy, the class and disable-with while the
	// handler runs, restored when its ref is answered.
	state := `(() => { const b = document.querySelector("#save"); return [b.getAttribute("aria-busy"), b.classList.contains("liveview-loading"), b.disabled, b.textContent].join(); })()`
	Run(t, ctx, "clicking Save", chromedp.Click("#save", chromedp.ByQuery))
	if s := EvalJS[string](t, ctx, state); s != "true,true,true,Saving..." {
		t.Errorf("while saving: %s, want true,true,true,Saving...", s)
	}
	WaitJS(t, ctx, "the save", `document.querySelector("#saved").textContent === "saved Draft"`)
	WaitJS(t, ctx, "the loading state to end", state+` === ",false,false,Save"`)

	// A failing handler: liveview:error with the frame, loading cleared.
	click(t, ctx, "#fail")
	WaitJS(t, ctx, "the error event", `seen.errors.length === 1`)
	if s := EvalJS[string](t, ctx, `JSON.stringify(seen.errors[0])`); !jsonEqual(s, `{"error":"Handler error","function":"fail","ref":`+refOf(t, ctx)+`}`) {
		t.Errorf("error detail %s", s)
	}
	WaitJS(t, ctx, "#fail's loading state to end", `!document.querySelector("#fail").hasAttribute("aria-busy")`)
	click(t, ctx, "#unknown")
	WaitJS(t, ctx, "the unknown-function error", `seen.errors.length === 2 && seen.errors[1].error === "Unknown function: no_such_function"`)
	WaitJS(t, ctx, "#unknown's loading state to end", `!document.querySelector("#unknown").classList.contains("liveview-loading")`)

	// event + eventData: a CustomEvent on document.
	click(t, ctx, "#notify")
	WaitJS(t, ctx, "cart:updated", `seen.events.length === 1`)
	if s := EvalJS[string](t, ctx, `JSON.stringify(seen.events[0])`); !jsonEqual(s, `{"count":3,"from":"button"}`) {
		t.Errorf("cart:updated detail %s", s)
	}

	// Inline scripts run once with el = this = the target; __cleanup runs
	// before the next replace; module scripts stay inert.
	click(t, ctx, "#script")
	WaitJS(t, ctx, "the script", `document.querySelector("#scripted").dataset.ran === "1:true"`)
	click(t, ctx, "#script")
	WaitJS(t, ctx, "the second script and the cleanup", `document.querySelector("#scripted").dataset.ran === "2:true" && window.cleaned === 1`)
	if EvalJS[bool](t, ctx, `window.moduleRan === true`) {
		t.Error("a type=module script ran")
	}

	// Inserted HTML: Stimulus binds its actions, key maps and focus work.
	click(t, ctx, "#insert")
	WaitJS(t, ctx, "the inserted field to get focus", `document.activeElement === document.querySelector("#late-focus")`)
	click(t, ctx, "#late-btn")
	Run(t, ctx, "pressing Enter on the inserted key map", chromedp.Click("#late-keys", chromedp.ByQuery), chromedp.KeyEvent(kb.Enter))
	waitLogged(t, ctx, "the inserted button's event", `e.data.n === "late"`, 1)
	waitLogged(t, ctx, "the inserted key map's event", fn("key_save"), 1)
	jsErrors.AssertNone(t)
}

// refOf returns the ref of the last error seen, as JSON.
func refOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	return fmt.Sprint(EvalJS[int](t, ctx, `seen.errors[0].ref`))
}

// TestClientReconnect stops and kills the server under a page: the banner
// shows, events made meanwhile wait (bounded, oldest dropped) and are sent
// in order once the client reconnects, on a new window.myWebSocket.
func TestClientReconnect(t *testing.T) {
	ctx, app, jsErrors := openPage(t, "connection")
	const banner = `document.querySelector("#no-connection").classList`
	send := func(n int) {
		t.Helper()
		Run(t, ctx, fmt.Sprintf("typing %d and clicking Send", n),
			chromedp.SetValue("#n", fmt.Sprint(n), chromedp.ByQuery),
			chromedp.Click("#send", chromedp.ByQuery))
	}
	Run(t, ctx, "remembering the socket", chromedp.Evaluate(`window.first = window.myWebSocket; webSocketConfig.queueLimit = 3`, nil))

	app.Stop() // graceful: close 1012, the client reconnects within the drain window
	WaitJS(t, ctx, "the banner", banner+`.contains("no-connection--show") && !`+banner+`.contains("no-connection--hide")`)
	for n := 1; n <= 5; n++ {
		send(n)
	}
	if s := EvalJS[string](t, ctx, `JSON.stringify(seen.overflows)`); s != `["queued","queued"]` {
		t.Errorf("overflow events %s, want two", s)
	}
	if !EvalJS[bool](t, ctx, `document.querySelector("#send").getAttribute("aria-busy") === "true"`) {
		t.Error("a queued event shows no loading state")
	}
	app.Restart()
	WaitJS(t, ctx, "the flushed events", countJS(fn("queued"))+` === 3`)
	WaitJS(t, ctx, "the banner to hide", banner+`.contains("no-connection--hide") && !`+banner+`.contains("no-connection--show")`)
	WaitJS(t, ctx, "the loading state to end", `!document.querySelector("#send").hasAttribute("aria-busy")`)
	if !EvalJS[bool](t, ctx, `window.myWebSocket !== window.first && window.myWebSocket.readyState === 1`) {
		t.Error("window.myWebSocket was not replaced on reconnect")
	}

	// An abrupt loss (SIGKILL: no close frame), long enough for several
	// failed attempts: the client keeps trying (upstream gives up after one).
	Run(t, ctx, "remembering the socket", chromedp.Evaluate(`window.second = window.myWebSocket`, nil))
	app.Kill()
	WaitJS(t, ctx, "the banner", banner+`.contains("no-connection--show")`)
	send(6)
	send(7)
	app.Restart()
	WaitJS(t, ctx, "the events made while the server was dead", countJS(fn("queued"))+` === 5`)
	var ns []string
	for _, e := range serverLog(t, ctx) {
		ns = append(ns, e.Form["n"].(string))
	}
	if got := strings.Join(ns, ","); got != "3,4,5,6,7" {
		t.Errorf("events %s, want 3,4,5 (1 and 2 dropped) then 6,7, in order", got)
	}
	if !EvalJS[bool](t, ctx, `window.myWebSocket !== window.second`) {
		t.Error("window.myWebSocket was not replaced")
	}
	assertNoExceptions(t, jsErrors) // failed connections are logged, as they should
}

// TestClientOffline takes the browser offline and back (DevTools network
// emulation): events made offline wait and are sent in order when the
// browser is online again, whether or not the socket survived the blip.
func TestClientOffline(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "connection")
	const banner = `document.querySelector("#no-connection").classList`
	setOffline := func(offline bool) {
		t.Helper()
		Run(t, ctx, fmt.Sprintf("setting offline=%v", offline), network.Enable(),
			network.OverrideNetworkState(offline, 0, -1, -1))
	}
	setOffline(true)
	WaitJS(t, ctx, "the banner", `!navigator.onLine && `+banner+`.contains("no-connection--show")`)
	for n := 1; n <= 3; n++ {
		Run(t, ctx, "sending while offline",
			chromedp.SetValue("#n", fmt.Sprint(n), chromedp.ByQuery),
			chromedp.Click("#send", chromedp.ByQuery))
	}
	setOffline(false)
	WaitJS(t, ctx, "the queued events", countJS(fn("queued"))+` === 3`)
	WaitJS(t, ctx, "the banner to hide", banner+`.contains("no-connection--hide")`)
	var ns []string
	for _, e := range serverLog(t, ctx) {
		ns = append(ns, e.Form["n"].(string))
	}
	if got := strings.Join(ns, ","); got != "1,2,3" {
		t.Errorf("events after the blip %s, want 1,2,3", got)
	}
	// Later events flow normally: nothing stays stuck (upstream's bug).
	click(t, ctx, "#send")
	WaitJS(t, ctx, "an event after the blip", countJS(fn("queued"))+` === 4`)

	// A normal close (1000) is deliberate: no banner and no reconnect, for
	// longer than two of the page's reconnect delays (250 ms at most),
	// until the next event opens a new socket.
	Run(t, ctx, "closing the socket normally", chromedp.Evaluate(`window.closedSocket = myWebSocket; myWebSocket.close(1000)`, nil))
	WaitJS(t, ctx, "the socket to close", `closedSocket.readyState === 3`)
	time.Sleep(600 * time.Millisecond)
	if !EvalJS[bool](t, ctx, `myWebSocket === closedSocket && !`+banner+`.contains("no-connection--show")`) {
		t.Error("the client reconnected or showed the banner after a normal close")
	}
	click(t, ctx, "#send")
	WaitJS(t, ctx, "the event that reopens the socket", countJS(fn("queued"))+` === 5 && myWebSocket !== closedSocket`)
	assertNoExceptions(t, jsErrors)
}

// TestClientRoomAndPath: the page's data-room wins over localStorage
// (upstream leaks one room across tabs and users), the compatibility switch
// restores upstream's choice, and webSocketConfig.path is honoured.
func TestClientRoomAndPath(t *testing.T) {
	ctx, app, jsErrors := openPage(t, "connection")
	Run(t, ctx, "storing a room like upstream and reloading",
		chromedp.Evaluate(`localStorage.setItem("room", "stored-room")`, nil),
		chromedp.Reload())
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	if !EvalJS[bool](t, ctx, socketURLJS+`.endsWith("/ws/liveview/" + document.documentElement.dataset.room + "/")`) {
		t.Errorf("socket URL %s does not use the page's data-room", EvalJS[string](t, ctx, socketURLJS))
	}
	Run(t, ctx, "opening the page with legacyRoomStorage", chromedp.Navigate(app.URL+"/p/connection?legacy=1"))
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	if s := EvalJS[string](t, ctx, socketURLJS); !strings.HasSuffix(s, "/ws/liveview/stored-room/") {
		t.Errorf("legacy socket URL %s, want the stored room", s)
	}
	Run(t, ctx, "opening the custom-path page", chromedp.Navigate(app.URL+"/p/custompath"))
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	if s := EvalJS[string](t, ctx, socketURLJS); !strings.Contains(s, "/custom/ws/") {
		t.Errorf("socket URL %s ignores webSocketConfig.path", s)
	}
	click(t, ctx, "#send")
	waitLogged(t, ctx, "the event over the custom path", `e.data.n === "custom"`, 1)
	jsErrors.AssertNone(t)
}

// assertNoExceptions fails for uncaught exceptions only: tests that cut the
// network expect the browser to log failed connections.
func assertNoExceptions(t *testing.T, e *JSErrors) {
	t.Helper()
	for _, s := range e.All() {
		if strings.HasPrefix(s, "exception") {
			t.Errorf("page error: %s", s)
		}
	}
}

// waitAcrossLoads is WaitJS for a condition that holds only after the page
// loads again by itself: evaluation errors while it navigates are retried.
func waitAcrossLoads(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		var ok bool
		if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &ok)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s (%s): timeout", what, expr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClientFrames covers the upstream frame keys on /p/frames: table
// fragments (parsed with <template>), remove with __cleanup, unknown keys
// (script is not run), scroll, scrollTop, the scroll to the top after a
// navigation, page#run's preventDefault, lang stamped at send time, a
// user's controller through window.Stimulus, and a room made by the client.
func TestClientFrames(t *testing.T) {
	ctx, app, jsErrors := openPage(t, "frames")

	WaitJS(t, ctx, "the user's controller", `document.querySelector("#hello").textContent === "hello from a user controller"`)
	click(t, ctx, "#table")
	WaitJS(t, ctx, "the appended row", `Array.from(document.querySelectorAll("#rows td"), (td) => td.textContent).join() === "r0,r1"`)
	click(t, ctx, "#remove")
	WaitJS(t, ctx, "the removal and its cleanup", `!document.querySelector("#gone") && window.goneCleaned === true`)
	click(t, ctx, "#extra")
	WaitJS(t, ctx, "the frame with unknown keys", `document.querySelector("#u").textContent === "ok"`)
	if EvalJS[bool](t, ctx, `window.bad === 1`) {
		t.Error("the script key ran")
	}
	Run(t, ctx, "changing the page's lang", chromedp.Evaluate(`document.documentElement.lang = "es"`, nil))
	click(t, ctx, "#prevented")
	waitLogged(t, ctx, "the link's event", `e.data.n === "link"`, 1)
	if s := EvalJS[string](t, ctx, `location.hash + "|" + lvLog()[0].lang`); s != "|es" {
		t.Errorf("hash|lang = %s, want |es (preventDefault, lang at send time)", s)
	}

	click(t, ctx, "#scroll")
	WaitJS(t, ctx, "the scroll to #bottom", `scrollY > 1000`)
	click(t, ctx, "#top")
	// Upstream scrolls <body> into view: its top, below the collapsed margin.
	WaitJS(t, ctx, "the scroll to the top", `Math.abs(document.body.getBoundingClientRect().top) < 2 && scrollY < 100`)
	Run(t, ctx, "scrolling down", chromedp.ScrollIntoView("#nav", chromedp.ByQuery))
	WaitJS(t, ctx, "the page to be scrolled", `scrollY > 1000`)
	click(t, ctx, "#nav")
	WaitJS(t, ctx, "the navigation and its scroll to the top", `location.search === "?nav=1" && document.title === "Navigated" && scrollY === 0`)
	jsErrors.AssertNone(t)

	// Without <html data-room>, the client makes a UUID v4 room.
	Run(t, ctx, "opening a page without data-room", chromedp.Navigate(app.URL+"/p/frames?noroom=1"))
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	room := EvalJS[string](t, ctx, `document.documentElement.dataset.room`)
	if len(room) != 36 || room[14] != '4' || !strings.HasSuffix(EvalJS[string](t, ctx, socketURLJS), "/"+room+"/") {
		t.Errorf("room %q is not a UUID v4 used in the socket URL", room)
	}
}

// TestClientHistoryStorageFull fills sessionStorage before navigating: the
// journal cannot be saved (the client prunes, retries, then keeps it in
// memory), and Back still restores the page.
func TestClientHistoryStorageFull(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "history")
	const content = `document.querySelector("#content h1").textContent`
	Run(t, ctx, "filling sessionStorage", chromedp.Evaluate(`(() => {
		sessionStorage.removeItem("liveview-history");
		for (let size = 1 << 20; size >= 1; size >>= 1) {
			try { for (let i = 0; ; i++) sessionStorage.setItem("junk-" + size + "-" + i, "x".repeat(size)); } catch (_) {}
		}
	})()`, nil))
	click(t, ctx, "#count")
	WaitJS(t, ctx, "count 1", `document.querySelector("#count").textContent === "Count 1"`)
	click(t, ctx, "#nav1")
	WaitJS(t, ctx, "page 1", content+` === "Page 1"`)
	if EvalJS[bool](t, ctx, `sessionStorage.getItem("liveview-history") !== null`) {
		t.Fatal("the journal fit into a full sessionStorage: the test filled nothing")
	}
	pressBack(t, ctx, -1)
	WaitJS(t, ctx, "the first page restored from memory", content+` === "Home" && document.querySelector("#count").textContent === "Count 1"`)
	Run(t, ctx, "freeing sessionStorage", chromedp.Evaluate(`sessionStorage.clear()`, nil))
	jsErrors.AssertNone(t)
}
