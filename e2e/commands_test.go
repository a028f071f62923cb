package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The fixture is /p/commands of examples/clienttest: its script records
// every frame the page sends (sentFrames, sentN(n) for those whose data-n
// is n, each with its performance.now() as "at"), every console.warn
// (warnings) and the CustomEvents chart:refresh and panel:opened
// (dispatched).

// sentCount is the JS expression: how many frames the page has sent.
const sentCount = `sentFrames.length`

// TestJSCommands: data-liveview-js runs in the browser with no frame sent,
// chains with an event, runs every command, and the server's js key runs
// after its frame's target changed.
func TestJSCommands(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "commands")
	check := func(what, expr string) {
		t.Helper()
		if !EvalJS[bool](t, ctx, expr) {
			t.Errorf("%s: %s is false", what, expr)
		}
	}

	// A pure command: the DOM changes, nothing is sent, nothing is logged.
	click(t, ctx, "#c-toggle")
	check("toggle shows the menu", `!document.querySelector("#menu").hidden`)
	click(t, ctx, "#c-toggle")
	check("toggle hides it again", `document.querySelector("#menu").hidden`)
	click(t, ctx, "#c-first")
	check("show + add-class with a pseudo-class selector", `!document.querySelector("#menu").hidden &&
		document.querySelector("#menu li:first-child").className === "open" && document.querySelector("#menu li:nth-child(2)").className === ""`)
	if n := EvalJS[int](t, ctx, sentCount); n != 0 {
		t.Errorf("the pure commands sent %d frames, want none", n)
	}

	// Chained: the DOM changes at once, in the same task as the click, and
	// the event is sent then too, then handled by the server.
	var chained struct {
		Shown, Open bool
		Focus       string
		Sent        int
	}
	raw := EvalJS[string](t, ctx, `(() => {
		document.querySelector("#c-chain").click();
		const p = document.querySelector("#panel");
		return JSON.stringify({Shown: !p.hidden, Open: p.classList.contains("open"), Focus: document.activeElement.id, Sent: sentN("chain").length});
	})()`)
	if err := json.Unmarshal([]byte(raw), &chained); err != nil {
		t.Fatal(err)
	}
	if !chained.Shown || !chained.Open || chained.Focus != "q" || chained.Sent != 1 {
		t.Errorf("right after the click: %+v, want the panel shown and open, #q focused and the event sent", chained)
	}
	waitLogged(t, ctx, "the chained event handled", `e.function === "record" && e.data.n === "chain"`, 1)
	if got := EvalJS[string](t, ctx, `JSON.stringify(sentFrames.map((f) => f.data))`); got != `[{"n":"chain"}]` {
		t.Errorf("frames sent: data %s, want only the chained event's, without data-liveview-js", got)
	}

	// An @window action with a key filter runs its element's commands.
	Run(t, ctx, "pressing Escape", chromedp.KeyEvent(kb.Escape))
	check("Escape@window hides the panel", `document.querySelector("#panel").hidden && !document.querySelector("#panel").classList.contains("open")`)
	if n := EvalJS[int](t, ctx, sentCount); n != 1 {
		t.Errorf("%d frames sent after Escape, want still 1", n)
	}

	// Every command, from #c-any's data-liveview-js.
	for _, tc := range []struct {
		name, setup, js, want string
	}{
		{"show", `menu.hidden = true`, "show:#menu", `!menu.hidden`},
		{"hide every match", ``, "hide:#menu li", `[...menu.children].every((li) => li.hidden)`},
		{"show again", ``, "show:#menu li", `[...menu.children].every((li) => !li.hidden)`},
		{"toggle", `menu.hidden = false`, "toggle:#menu", `menu.hidden`},
		{"add-class", `menu.className = ""`, "add-class(a  b):#menu", `menu.className === "a b"`},
		{"remove-class", ``, "remove-class(a):#menu", `menu.className === "b"`},
		{"toggle-class", ``, "toggle-class(b c):#menu", `menu.className === "c"`},
		{"toggle-attribute", ``, "toggle-attribute(disabled):#save", `document.querySelector("#save").disabled`},
		{"toggle-attribute back", ``, "toggle-attribute(disabled):#save", `!document.querySelector("#save").disabled`},
		{"set-attribute", ``, "set-attribute(aria-expanded=true); set-attribute(data-state=a=b):#menu", `any.getAttribute("aria-expanded") === "true" && menu.dataset.state === "a=b"`},
		{"the element itself", ``, "add-class(mine)", `any.classList.contains("mine")`},
		{"focus: the first match", `document.querySelector("#panel").hidden = false`, "focus:#panel input", `document.activeElement.id === "q"`},
		{"focus then another", ``, "focus:#q2", `document.activeElement.id === "q2"`},
		{"dispatch", `dispatched.length = 0`, "dispatch(panel:opened):#panel", `JSON.stringify(dispatched) === '[{"name":"panel:opened","target":"panel","bubbles":true,"cancelable":true}]'`},
		{"chained commands, one bad", `menu.hidden = true; warnings.length = 0`, "toggel:#menu; hide:#[; show:#menu; add-class:#menu", `!menu.hidden && !menu.classList.contains("undefined") &&
			warnings.length === 3 && warnings[0].includes('"toggel:#menu"') && warnings[1].includes('"hide:#["') && warnings[2].includes('"add-class:#menu"')`},
	} {
		js, _ := json.Marshal(tc.js)
		Run(t, ctx, tc.name+": setting up", chromedp.Evaluate(fmt.Sprintf(`var menu = document.querySelector("#menu"), any = document.querySelector("#c-any"); %s; any.dataset.liveviewJs = %s`, tc.setup, js), nil))
		click(t, ctx, "#c-any")
		check(tc.name+" ("+tc.js+")", `(() => { const menu = document.querySelector("#menu"), any = document.querySelector("#c-any"); return `+tc.want+`; })()`)
	}
	if n := EvalJS[int](t, ctx, sentCount); n != 1 {
		t.Errorf("%d frames sent after the commands, want still 1", n)
	}

	// From the server: the item is appended, then the commands run, on it
	// too; the dispatched event reaches the chart's page#run.
	Run(t, ctx, "resetting", chromedp.Evaluate(`dispatched.length = 0`, nil))
	click(t, ctx, "#c-server")
	WaitJS(t, ctx, "the js key's commands", `document.querySelector("#items li:last-child").className === "new" &&
		document.querySelector("#items li:last-child").textContent === "added" && !document.querySelector("#toast").hidden`)
	check("the frame's dispatch", `JSON.stringify(dispatched) === '[{"name":"chart:refresh","target":"chart","bubbles":true,"cancelable":true}]'`)
	waitLogged(t, ctx, "the chart's event, sent by the dispatch", `e.data.n === "chart"`, 1)
	for _, s := range jsErrors.All() {
		t.Errorf("page error (a pure command logs none): %s", s)
	}
}

// burstJS returns a JS expression that, in one task, types each value into
// the field sel (an input event each), then sets its value to late without
// an event, and returns how many frames with data-n n were sent meanwhile.
func burstJS(sel, n, late string, values ...string) string {
	v, _ := json.Marshal(values)
	return fmt.Sprintf(`(() => {
		const el = document.querySelector(%q), before = sentN(%q).length;
		for (const v of %s) { el.value = v; el.dispatchEvent(new Event("input", {bubbles: true})); }
		el.value = %q;
		return sentN(%q).length - before;
	})()`, sel, n, v, late, n)
}

// TestThrottle: a burst of inputs on a 400 ms throttle sends the first at
// once and one more at the window's end, with the value then; a burst
// after the windows ended does the same again; with a debounce too, the
// debounce wins.
func TestThrottle(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "commands")
	values := func(n string) string {
		t.Helper()
		return EvalJS[string](t, ctx, fmt.Sprintf(`sentN(%q).map((f) => f.form.tq ?? f.form.bq).join(",")`, n))
	}
	if got := EvalJS[int](t, ctx, burstJS("#c-throttle", "throttle", "abcdef", "a", "ab", "abc", "abcd", "abcde")); got != 1 {
		t.Fatalf("a burst of 5 inputs sent %d frames at once, want 1", got)
	}
	WaitJS(t, ctx, "the window's trailing send", `sentN("throttle").length >= 2`)
	gap := EvalJS[float64](t, ctx, `sentN("throttle")[1].at - sentN("throttle")[0].at`)
	t.Logf("trailing send %.0f ms after the first (throttle 400 ms)", gap)
	if gap < 390 {
		t.Errorf("the trailing send came %.0f ms after the first, within the 400 ms window", gap)
	}
	// The window the trailing send opened ends with nothing to send; wait
	// well past it (3 windows) on a loaded machine.
	WaitJS(t, ctx, "1200 ms after the trailing send", `performance.now() - sentN("throttle")[1].at > 1200`)
	if got := values("throttle"); got != "a,abcdef" {
		t.Errorf("sent %s, want the first input, then the value at the window's end", got)
	}
	if got := EvalJS[int](t, ctx, burstJS("#c-throttle", "throttle", "xyz", "x", "xy")); got != 1 {
		t.Fatalf("a second burst sent %d frames at once, want 1", got)
	}
	WaitJS(t, ctx, "the second window's trailing send", `sentN("throttle").length >= 4`)
	WaitJS(t, ctx, "1200 ms after it", `performance.now() - sentN("throttle")[3].at > 1200`)
	if got := values("throttle"); got != "a,abcdef,x,xyz" {
		t.Errorf("sent %s after two bursts", got)
	}
	waitLogged(t, ctx, "the server got the last value", `e.data.n === "throttle" && e.form.tq === "xyz"`, 1)

	// Debounce and throttle: the debounce wins (nothing at once, one send).
	if got := EvalJS[int](t, ctx, burstJS("#c-both", "both", "late", "1", "12", "123")); got != 0 {
		t.Errorf("debounce + throttle sent %d frames at once, want 0 (the debounce wins)", got)
	}
	WaitJS(t, ctx, "the debounced send", `sentN("both").length >= 1`)
	WaitJS(t, ctx, "1000 ms after it", `performance.now() - sentN("both")[0].at > 1000`)
	if got := values("both"); got != "late" {
		t.Errorf("debounce + throttle sent %s, want one send of the value at fire time", got)
	}
	assertNoExceptions(t, jsErrors)
}

// TestPoll: inserted elements poll at their interval (at least 100 ms);
// a poll stops when its element is removed by a frame or a script, or
// loses the attribute, and sends nothing while the tab is hidden, then
// resumes without a burst.
func TestPoll(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "commands")
	count := func(n string) int {
		t.Helper()
		return EvalJS[int](t, ctx, fmt.Sprintf(`sentN(%q).length`, n))
	}
	click(t, ctx, "#c-poll-start")
	WaitJS(t, ctx, "polls of the inserted elements", `sentN("poll-a").length >= 2 && sentN("poll-b").length >= 2`)
	waitLogged(t, ctx, "the server answering a poll", `e.data.n === "poll-b"`, 1)

	// data-liveview-poll="10" counts as 100 ms.
	WaitJS(t, ctx, "six fast ticks", `sentN("poll-fast").length >= 6`)
	avg := EvalJS[float64](t, ctx, `(() => { const f = sentN("poll-fast"); return (f[f.length - 1].at - f[0].at) / (f.length - 1); })()`)
	t.Logf("poll-fast (10 ms, clamped): %.0f ms between ticks on average", avg)
	if avg < 80 {
		t.Errorf("a 10 ms poll ticks every %.0f ms, want at least 100 (the minimum)", avg)
	}

	// Removed by a frame, by a script, or without its attribute: no more.
	click(t, ctx, "#c-poll-stop")
	WaitJS(t, ctx, "#poll-a removed", `!document.querySelector("#poll-a")`)
	Run(t, ctx, "removing #poll-fast, and poll-c's attribute", chromedp.Evaluate(`document.querySelector("#poll-fast").remove();
		document.querySelector("#poll-c").removeAttribute("data-liveview-poll")`, nil))
	a, fast, c, b := count("poll-a"), count("poll-fast"), count("poll-c"), count("poll-b")
	// poll-b, at the same 200 ms interval, measures the wait.
	WaitJS(t, ctx, "three more ticks of poll-b", fmt.Sprintf(`sentN("poll-b").length >= %d`, b+3))
	if a2, fast2, c2 := count("poll-a"), count("poll-fast"), count("poll-c"); a2 != a || fast2 != fast || c2 != c {
		t.Errorf("after removal: poll-a %d -> %d, poll-fast %d -> %d, poll-c (attribute removed) %d -> %d; want no more", a, a2, fast, fast2, c, c2)
	}

	// Hidden: nothing is sent. A page interval of 200 ms measures the wait.
	b = EvalJS[int](t, ctx, `(() => {
		Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
		Object.defineProperty(document, "visibilityState", {configurable: true, get: () => "hidden"});
		document.dispatchEvent(new Event("visibilitychange"));
		window.pageTicks = 0;
		window.pageTimer = setInterval(() => pageTicks++, 200);
		return sentN("poll-b").length;
	})()`)
	WaitJS(t, ctx, "five page ticks while hidden", `pageTicks >= 5`)
	if b2 := count("poll-b"); b2 != b {
		t.Errorf("poll-b sent %d frames while the tab was hidden", b2-b)
	}
	// Visible again: polling resumes at its interval, with no burst.
	Run(t, ctx, "showing the tab", chromedp.Evaluate(`delete document.hidden; delete document.visibilityState;
		clearInterval(pageTimer); window.shownAt = performance.now();
		document.dispatchEvent(new Event("visibilitychange"))`, nil))
	WaitJS(t, ctx, "two ticks after showing", fmt.Sprintf(`sentN("poll-b").length >= %d`, b+2))
	resumed := EvalJS[string](t, ctx, fmt.Sprintf(`(() => { const f = sentN("poll-b").slice(%d); return JSON.stringify([f[0].at - shownAt, f[1].at - f[0].at]); })()`, b))
	var times [2]float64
	if err := json.Unmarshal([]byte(resumed), &times); err != nil {
		t.Fatal(err)
	}
	t.Logf("visible again: first tick after %.0f ms, the next %.0f ms later", times[0], times[1])
	if times[1] < 150 {
		t.Errorf("the ticks after showing the tab came %.0f ms apart: a burst, not the 200 ms interval", times[1])
	}
	assertNoExceptions(t, jsErrors)
	if s := strings.Join(jsErrors.All(), "\n"); s != "" {
		t.Errorf("page errors:\n%s", s)
	}
}
