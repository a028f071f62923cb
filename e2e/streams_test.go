package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// streamIDs is the JS expression of the ids of list's children, without
// the list's prefix, joined with spaces.
func streamIDs(list string) string {
	return fmt.Sprintf(`Array.from(document.getElementById(%q).children, (el) => el.id.replace(%q, "")).join(" ")`, list, list+"-")
}

// TestStreams drives the stream frames of /p/streams in Chromium, one
// button (one frame) at a time: inserts at both ends, before and after an
// item (a missing reference: the end), an update in place that keeps the
// node, focus, caret and typed value of an input inside the item, deletes,
// a limit trimming the end opposite to the insert, a reset, a missing
// container (a console error, nothing else), and the scripts of items:
// run once per insert or update with el = the item, their cleanup hook
// called before an update and on removal. internal/clientrules' copy does
// the same in examples/clienttest's TestStreamsPage and in
// TestClientRulesParity.
func TestStreams(t *testing.T) {
	ctx := NewTab(t)
	base := StartApp(t, clienttest)
	jsErrors := CaptureJSErrors(ctx)
	Run(t, ctx, "opening /p/streams", chromedp.Navigate(base+"/p/streams"))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)
	ids := streamIDs("s-list")
	step := func(op, want string) {
		t.Helper()
		click(t, ctx, "#s-list-"+op)
		WaitJS(t, ctx, op+": "+want, ids+` === `+jsString(want)+` && !document.querySelector("[aria-busy]")`)
	}

	step("ends", "x a b c y")
	step("around", "x a p b q c y m")
	Run(t, ctx, "keeping the nodes", chromedp.Evaluate(`window.kept = {b: document.getElementById("s-list-b"), input: document.getElementById("s-list-typed")}`, nil))
	step("update", "x a p b q c y m")
	if got := EvalJS[string](t, ctx, `(() => { const b = document.getElementById("s-list-b"); return [b === kept.b, b.className, document.getElementById("s-list-typed") === kept.input, kept.input.value].join(" "); })()`); got != "true update true server" {
		t.Errorf("the update in place: node kept, class, input kept, value = %s; want true update true server", got)
	}

	// Typing into the item's input: every keystroke sends an event whose
	// answer updates the item again, while the person keeps typing.
	Run(t, ctx, "typing into the item",
		chromedp.Evaluate(`kept.input.focus(); kept.input.select()`, nil),
		chromedp.SendKeys("#s-list-typed", "kept here", chromedp.ByQuery))
	WaitJS(t, ctx, "the last echo", text("#s-list-b span")+` === "typed: kept here" && !document.querySelector("[aria-busy]")`)
	if got := EvalJS[string](t, ctx, `[document.activeElement === kept.input, kept.input.isConnected, kept.input.value, kept.input.selectionStart, document.getElementById("s-list-b") === kept.b].join("|")`); got != "true|true|kept here|9|true" {
		t.Errorf("after typing: focused, connected, value, caret, item node kept = %s; want true|true|kept here|9|true", got)
	}

	step("delete", "x a p b c y m")
	step("limit", "c y m z")
	step("limit-start", "w c")
	step("reset", "r1 r2")

	// A missing container: a console error, the list as it was.
	click(t, ctx, "#s-list-missing")
	WaitJS(t, ctx, "the answer", `!document.querySelector("[aria-busy]")`)
	if got := EvalJS[string](t, ctx, ids); got != "r1 r2" {
		t.Errorf("after a frame for a missing list: %s", got)
	}

	// Scripts: once per insert or update, cleanup before an update and on
	// removal, with el = this = the item.
	for _, s := range []struct{ op, want string }{
		{"scripts", "run s-list-s true"},
		{"scripts-update", "run s-list-s true|cleanup s-list-s|run s-list-s true"},
		{"scripts-delete", "run s-list-s true|cleanup s-list-s|run s-list-s true|cleanup s-list-s"},
	} {
		click(t, ctx, "#s-list-"+s.op)
		WaitJS(t, ctx, s.op, `streamLog.join("|") === `+jsString(s.want)+` && !document.querySelector("[aria-busy]")`)
	}
	if got := EvalJS[string](t, ctx, ids); got != "r1 r2" {
		t.Errorf("after the scripted item came and went: %s", got)
	}

	var missing int
	for _, e := range jsErrors.All() {
		if strings.Contains(e, "LiveView: target #s-list-missing-list not found") {
			missing++
		} else {
			t.Errorf("page error: %s", e)
		}
	}
	if missing != 1 {
		t.Errorf("the missing container was reported %d times, want once", missing)
	}
}

// TestStreamsDemo is examples/demo's /streams page in Chromium: 10,000
// rows in 20 frames of 500 while the page keeps painting, a note typed
// into a row (the row comes back and is updated in place, focus and text
// kept), +1 on that row, a row deleted, the list trimmed to its last 100
// and cleared. It logs the time from the click to the 10,000th row, the
// longest main-thread task (PerformanceObserver "longtask") and the
// longest gap between animation frames; it asserts only that frames were
// painted while the rows came in.
func TestStreamsDemo(t *testing.T) {
	// openExample, with a tab that may live longer than TabTimeout: the
	// 10,000 rows take seconds on a loaded machine.
	ctx := NewTabTimeout(t, 3*TabTimeout)
	p := &examplePage{t: t, ctx: ctx, base: StartApp(t, demo), errs: CaptureJSErrors(ctx), requests: captureFailedRequests(ctx)}
	Run(t, ctx, "setting the window size", chromedp.EmulateViewport(1000, 800))
	t.Cleanup(func() {
		p.errs.AssertNone(t)
		p.requests.assertNone(t)
	})
	// Before the client loads: time spent in its WebSocket message handler.
	Run(t, ctx, "timing the message handler", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`window.handled = [];
			const add = WebSocket.prototype.addEventListener;
			WebSocket.prototype.addEventListener = function (type, fn, opts) {
				const inner = fn;
				if (type === "message") fn = function (e) {
					const t0 = performance.now();
					try { return inner.call(this, e); } finally { handled.push([t0, performance.now() - t0]); }
				};
				return add.call(this, type, fn, opts);
			};`).Do(ctx)
		return err
	}))
	p.open("/streams", true)
	p.checkLook(true)

	// The probes: when the button is clicked, when the 10,000th row is in,
	// the animation frames meanwhile and the long tasks.
	Run(t, ctx, "installing the probes", chromedp.Evaluate(`(() => {
		const probe = window.probe = {frames: [], tasks: [], clicked: 0, done: 0};
		const tick = (now) => { probe.frames.push(now); requestAnimationFrame(tick); };
		requestAnimationFrame(tick);
		new PerformanceObserver((list) => { for (const e of list.getEntries()) probe.tasks.push([e.startTime, e.duration]); }).observe({type: "longtask"});
		document.querySelector('[data-liveview-function="stream_add"]').addEventListener("click", () => { probe.clicked = performance.now(); }, {capture: true});
		const rows = document.getElementById("rows");
		new MutationObserver(() => { if (!probe.done && rows.childElementCount >= 10000) probe.done = performance.now(); }).observe(rows, {childList: true});
	})()`, nil))
	// Some frames before the click: this tab gets animation frames at all.
	WaitJS(t, ctx, "a few animation frames", `probe.frames.length >= 5`)
	click(t, ctx, `[data-liveview-function="stream_add"]`)
	// A loaded machine (a -race build of the demo renders the rows too) may
	// need longer than WaitTimeout: this wait is what the test measures.
	Run(t, ctx, "waiting for 10,000 rows", chromedp.Poll(`probe.done > 0 && !document.querySelector("[aria-busy]")`, nil,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(2*TabTimeout)))

	var m struct {
		Elapsed, LongestTask, LongestGap, Handler float64
		Frames, Tasks                             int
		First, Last                               string
	}
	Run(t, ctx, "reading the probes", chromedp.Evaluate(`(() => {
		const {clicked, done, frames, tasks} = probe;
		const during = frames.filter((f) => f > clicked && f < done);
		let gap = 0;
		for (let i = 1, fs = frames.filter((f) => f >= clicked); i < fs.length && fs[i - 1] < done; i++) gap = Math.max(gap, fs[i] - fs[i - 1]);
		const mine = tasks.filter(([start, d]) => start + d >= clicked && start <= done);
		const rows = document.getElementById("rows");
		const handler = handled.filter(([t0]) => t0 >= clicked && t0 <= done).reduce((sum, [, d]) => sum + d, 0);
		return {Elapsed: done - clicked, Frames: during.length, LongestGap: gap, Handler: handler,
			Tasks: mine.length, LongestTask: Math.max(0, ...mine.map(([, d]) => d)),
			First: rows.firstElementChild.id, Last: rows.lastElementChild.id};
	})()`, &m))
	t.Logf("10,000 rows in 20 frames of 500: %.0f ms from the click to the 10,000th row, %.0f ms of it in the client's message handler (%.0f ms per frame); %d animation frames meanwhile, longest gap between two %.0f ms; %d long tasks, the longest %.0f ms",
		m.Elapsed, m.Handler, m.Handler/20, m.Frames, m.LongestGap, m.Tasks, m.LongestTask)
	if m.First != "row-1" || m.Last != "row-10000" {
		t.Errorf("rows from %s to %s, want row-1 to row-10000", m.First, m.Last)
	}
	// Responsive: the page painted between the frames instead of freezing
	// until the last one (one task per frame; a page frozen for the whole
	// batch would get no animation frame in between).
	if m.Frames < 2 {
		t.Errorf("%d animation frames while the 10,000 rows came in (%.0f ms): the page froze", m.Frames, m.Elapsed)
	}
	p.shot("demo-streams")

	// A note, typed into row 42: the answer updates the row in place.
	Run(t, ctx, "keeping row 42's input", chromedp.Evaluate(`window.note = document.querySelector("#row-42 input[name=note]"); note.scrollIntoView({block: "center"})`, nil))
	Run(t, ctx, "typing a note", chromedp.Click("#row-42 input[name=note]", chromedp.ByQuery), chromedp.SendKeys("#row-42 input[name=note]", "call back", chromedp.ByQuery))
	WaitJS(t, ctx, "the note saved", `document.querySelector("#row-42 .saved") !== null && document.querySelector("#row-42 button").dataset.note === "call back" && !document.querySelector("[aria-busy]")`)
	Run(t, ctx, "typing on", chromedp.KeyEvent("!"))
	if got := EvalJS[string](t, ctx, `[document.activeElement === note, note.isConnected, note.value, note.selectionStart].join("|")`); got != "true|true|call back!|10" {
		t.Errorf("row 42's note after the update: focused, connected, value, caret = %s; want true|true|call back!|10", got)
	}
	// +1 without moving the focus: the row comes back with its note.
	Run(t, ctx, "+1 on row 42", chromedp.Evaluate(`document.querySelector("#row-42 [data-liveview-function=stream_bump]").click()`, nil))
	WaitJS(t, ctx, "the count", text("#row-42 .count b")+` === "1"`)
	if got := EvalJS[string](t, ctx, `[document.activeElement === note, note.value].join("|")`); got != "true|call back!" {
		t.Errorf("row 42's note after +1: focused, value = %s", got)
	}
	p.shot("demo-streams-note")

	// Row buttons are clicked from JavaScript: the rows out of view are not
	// laid out (content-visibility), so a click by position could miss.
	Run(t, ctx, "deleting row 3", chromedp.Evaluate(`document.querySelector('#row-3 [data-liveview-function="stream_delete"]').click()`, nil))
	WaitJS(t, ctx, "row 3 deleted", `!document.getElementById("row-3") && document.querySelectorAll("#rows > li").length === 9999`)
	click(t, ctx, `[data-liveview-function="stream_prepend"]`)
	WaitJS(t, ctx, "row 10001 on top", `document.getElementById("rows").firstElementChild.id === "row-10001"`)
	click(t, ctx, `[data-liveview-function="stream_keep"]`)
	WaitJS(t, ctx, "the last 100", `document.querySelectorAll("#rows > li").length === 100 && document.getElementById("rows").firstElementChild.id === "row-9901"`)
	click(t, ctx, `[data-liveview-function="stream_clear"]`)
	WaitJS(t, ctx, "no rows", `document.getElementById("rows").childElementCount === 0`)
	p.shot("demo-streams-cleared")
}
