package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// hookLogJS is the page's hook callbacks so far, comma-separated.
const hookLogJS = `hookLog.join(",")`

// waitHookLog waits until the hook log is want.
func waitHookLog(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	WaitJS(t, ctx, "hook log "+want, hookLogJS+` === `+jsString(want))
}

// TestClientHooks follows data-liveview-hook elements through every kind of
// change: mounted for the page's and for inserted ones, updated when a
// frame changes the element's content (a morph that keeps it, a change
// inside it), destroyed when a frame removes or replaces it, reconnected
// after the connection comes back; and this.pushEvent answered with the
// handler's Reply, or rejected with its error.
func TestClientHooks(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "hooks")
	waitHookLog(t, ctx, "mounted h1,mounted hook-list")

	steps := []struct {
		click, want string
	}{
		{"#hook-insert", "mounted h2"},
		{"#hook-morph", "updated h2"}, // the morph keeps h2: updated, not remounted
		{"#hook-inner", "updated h1"}, // a frame inside h1
		{"#hook-replace", "destroyed h2,mounted h2"},
		{"#hook-remove", "destroyed h2"},
		// Streams: the list (a hook too) and its rows.
		{"#hook-stream-add", "mounted hs1,updated hook-list"},
		{"#hook-stream-update", "updated hs1,updated hook-list"}, // in place: not remounted
		{"#hook-stream-delete", "destroyed hs1,updated hook-list"},
	}
	log := "mounted h1,mounted hook-list"
	for _, s := range steps {
		click(t, ctx, s.click)
		log += "," + s.want
		waitHookLog(t, ctx, log)
	}
	if n := EvalJS[string](t, ctx, `document.querySelector("#h1").dataset.liveviewHook`); n != "Probe" {
		t.Errorf("data-liveview-hook = %q", n)
	}

	// pushEvent: the reply of Context.Reply, and a rejection for an error.
	Run(t, ctx, "pushEvent", chromedp.Evaluate(`hookInst.h1.pushEvent("hook_echo", {n: "21"}).then((r) => window.replied = r)`, nil))
	WaitJS(t, ctx, "the reply", `window.replied && window.replied.doubled === 42`)
	Run(t, ctx, "failing pushEvent", chromedp.Evaluate(`hookInst.h1.pushEvent("hook_fail").catch((e) => window.rejected = e.message)`, nil))
	WaitJS(t, ctx, "the rejection", `window.rejected === "no chart today"`)
	if busy := EvalJS[bool](t, ctx, `document.querySelector("#h1").hasAttribute("aria-busy")`); busy {
		t.Error("the hook element keeps its loading state after the answers")
	}

	// A lost connection (an abnormal close by the client) and a reconnect.
	Run(t, ctx, "dropping the socket", chromedp.Evaluate(`window.myWebSocket.close(4000)`, nil))
	WaitJS(t, ctx, "the reconnect", `window.myWebSocket.readyState === 1 && hookLog.includes("reconnected h1 true") && hookLog.includes("reconnected hook-list true")`)
	if got := EvalJS[string](t, ctx, hookLogJS); strings.Count(got, "reconnected") != 2 {
		t.Errorf("hook log %s: want two reconnected (h2 and hs1 are gone)", got)
	}
	assertNoExceptions(t, jsErrors)
}

// TestClientFormRecovery restarts the server under a form marked
// data-liveview-recover: once reconnected, the new server gets the form's
// current values before the event queued while it was down.
func TestClientFormRecovery(t *testing.T) {
	ctx, app, jsErrors := openPage(t, "hooks")
	click(t, ctx, "#boot-btn")
	WaitJS(t, ctx, "the first server's boot id", `document.querySelector("#boot").textContent !== ""`)
	first := EvalJS[string](t, ctx, `document.querySelector("#boot").textContent`)
	Run(t, ctx, "filling the form",
		chromedp.SetValue("#rf-name", "Ada", chromedp.ByQuery),
		chromedp.SetValue("#rf-size", "L", chromedp.ByQuery))
	if n := EvalJS[int](t, ctx, countJS(fn("recover_form"))); n != 0 {
		t.Fatalf("%d recover events before any reconnect", n)
	}

	app.Kill()
	WaitJS(t, ctx, "the socket to close", `window.myWebSocket.readyState === 3`)
	click(t, ctx, "#queued-btn") // waits in the queue
	app.Restart()
	WaitJS(t, ctx, "the recovered form", `document.querySelector("#recovered").textContent === "Ada/L/7"`)
	waitLogged(t, ctx, "the queued event", fn("queued"), 1)
	var order []string
	for _, e := range serverLog(t, ctx) {
		order = append(order, e.Function)
	}
	if got := strings.Join(order, ","); got != "recover_form,queued" {
		t.Errorf("the new server got %s, want recover_form,queued", got)
	}
	click(t, ctx, "#boot-btn")
	WaitJS(t, ctx, "the second server's boot id", `document.querySelector("#boot").textContent !== `+jsString(first))
	assertNoExceptions(t, jsErrors)
}

// TestClientESModule loads the ES module build with <script type="module">:
// nothing starts until the page calls start(options), whose options reach
// window.webSocketConfig; a second start() returns the same application;
// the exported Controller registers the page's own controller; events work.
func TestClientESModule(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "esm")
	WaitJS(t, ctx, "the page's controller", `document.querySelector("#greeting").textContent === "hello module"`)
	if !EvalJS[bool](t, ctx, `window.beforeStart === null && window.sameApp && webSocketConfig.queueLimit === 7`) {
		t.Error("start(): wrong application or options")
	}
	click(t, ctx, "#esm-send")
	waitLogged(t, ctx, "the event", `e.data.from === "esm"`, 1)
	assertNoExceptions(t, jsErrors)
}
