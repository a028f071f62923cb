package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// flashTexts is a JavaScript expression: the text of each flash message in
// the container #flash, joined by "|".
const flashTexts = `Array.from(document.querySelectorAll("#flash .liveview-flash"), (e) => e.firstChild.data).join("|")`

// TestFlash covers flash messages on /p/flash: shown as plain text with
// the documented markup, one per kind, closed by their button, kept when a
// navigation replaces their container (Flash before or after Navigate),
// kept while the page has no container (one console warning), dismissed
// after the container's data-liveview-flash milliseconds.
func TestFlash(t *testing.T) {
	ctx, app, jsErrors := openPage(t, "flash")
	click := func(sel string) {
		t.Helper()
		Run(t, ctx, "clicking "+sel, chromedp.Click(sel, chromedp.ByQuery))
	}

	click("#f-info")
	WaitJS(t, ctx, "the info message", flashTexts+` === "Saved"`)
	want := `<div class="liveview-flash liveview-flash-info" role="status">Saved<button type="button" aria-label="Close">×</button></div>`
	if got := EvalJS[string](t, ctx, `document.querySelector("#flash").innerHTML`); got != want {
		t.Errorf("markup\n got %s\nwant %s", got, want)
	}
	click("#f-error")
	click("#f-info") // the same kind again: replaces, moves to the end
	WaitJS(t, ctx, "the error, then info", flashTexts+` === "Could not save|Saved"`)
	if role := EvalJS[string](t, ctx, `document.querySelector(".liveview-flash-error").getAttribute("role")`); role != "alert" {
		t.Errorf("an error's role is %q, want alert", role)
	}

	// The container is inside #content, which a navigation replaces.
	click("#f-flash-nav") // Flash, then Navigate
	WaitJS(t, ctx, "page 2 with the messages", `location.search === "?page=2" && `+text("#where")+` === "Page 2" && `+flashTexts+` === "Could not save|Saved|Moved"`)
	click("#f-nav-flash") // Navigate, then Flash
	WaitJS(t, ctx, "page 3 with the messages", `location.search === "?page=3" && `+flashTexts+` === "Could not save|Saved|Moved|Arrived"`)

	click("#flash .liveview-flash-error button")
	WaitJS(t, ctx, "the error closed", flashTexts+` === "Saved|Moved|Arrived"`)

	// Back restores page 2's region without stale copies of the messages.
	Run(t, ctx, "going back", chromedp.NavigateBack())
	WaitJS(t, ctx, "page 2 restored, the messages once", text("#where")+` === "Page 2" && `+flashTexts+` === "Saved|Moved|Arrived"`)

	// No container: the messages wait, the console says so once.
	click("#f-nav-bare")
	WaitJS(t, ctx, "page 4", text("#where")+` === "Page 4, without a flash container"`)
	click("#f-error")
	click("#f-info")
	WaitJS(t, ctx, "both answered", `!document.querySelector("[aria-busy]")`)
	if n := EvalJS[int](t, ctx, `warnings.filter((w) => w.includes("data-liveview-flash")).length`); n != 1 {
		t.Errorf("%d console warnings about the missing container, want 1: %v", n, EvalJS[[]string](t, ctx, `warnings`))
	}
	if EvalJS[bool](t, ctx, `document.querySelector(".liveview-flash") !== null`) {
		t.Error("a message shown without a container")
	}
	click("#f-nav-flash") // brings a container back
	// In the order they came (the warning Arrived replaced by a new one).
	WaitJS(t, ctx, "the kept messages in the new container", flashTexts+` === "Moved|Could not save|Saved|Arrived"`)
	jsErrors.AssertNone(t)

	// Auto-dismiss after the container's milliseconds.
	Run(t, ctx, "opening /p/flash?dismiss=400", chromedp.Navigate(app.URL+"/p/flash?dismiss=400"))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)
	click("#f-info")
	WaitJS(t, ctx, "the message", flashTexts+` === "Saved"`)
	WaitJS(t, ctx, "the message dismissed", flashTexts+` === ""`)
	jsErrors.AssertNone(t)
}

// TestFlashRedirect: Flash then Redirect makes a full page load (a new
// document, a new socket) of the URL, which shows the messages once; a
// javascript: URL is refused with a console error.
func TestFlashRedirect(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "flash")
	Run(t, ctx, "flashing, then redirecting", chromedp.Click("#f-info", chromedp.ByQuery))
	WaitJS(t, ctx, "the message", flashTexts+` === "Saved"`)
	Run(t, ctx, "marking the document", chromedp.Evaluate(`window.marker = 1`, nil))
	Run(t, ctx, "flashing, then redirecting", chromedp.Click("#f-redirect", chromedp.ByQuery))
	waitAcrossLoads(t, ctx, "the redirected page with its messages",
		`window.marker === undefined && location.search === "?page=5" && document.readyState === "complete" && `+flashTexts+` === "Saved|Saved, then redirected"`)
	WaitJS(t, ctx, "the new socket", wsOpen)
	if n := EvalJS[string](t, ctx, `sessionStorage.loads + " " + sessionStorage.sockets + " " + sessionStorage.getItem("liveview-flash")`); n != "2 2 null" {
		t.Errorf("loads, sockets, stored messages: %s, want 2 2 null", n)
	}
	if EvalJS[string](t, ctx, `document.querySelector(".liveview-flash-success").getAttribute("role")`) != "status" {
		t.Error("the carried message lost its markup")
	}
	// Shown once: a reload does not bring them back.
	Run(t, ctx, "reloading", chromedp.Reload())
	WaitJS(t, ctx, "the WebSocket after the reload", wsOpen)
	if s := EvalJS[string](t, ctx, flashTexts); s != "" {
		t.Errorf("after a reload the page still shows %q", s)
	}
	jsErrors.AssertNone(t)

	// A javascript: URL is refused: no navigation, nothing run.
	Run(t, ctx, "redirecting to javascript:", chromedp.Click("#f-redirect-js", chromedp.ByQuery))
	WaitJS(t, ctx, "the refusal", `!document.querySelector("#f-redirect-js").hasAttribute("aria-busy")`)
	if EvalJS[bool](t, ctx, `window.pwned === 1 || sessionStorage.loads !== "3" || location.search !== "?page=5"`) {
		t.Error("the javascript: URL was followed")
	}
	refused := false
	for _, e := range jsErrors.All() {
		if strings.Contains(e, "LiveView: redirect refused") && strings.Contains(e, "javascript:window.pwned=1") {
			refused = true
		}
	}
	if !refused {
		t.Errorf("no console error for the refused URL: %v", jsErrors.All())
	}
}

// TestSessionExpired: a close 4401 (a handler returned ErrSessionExpired,
// or OnConnect did for a handshake) shows the expired message in the
// banner and reloads the page after expiredReloadMs (500 ms here) to five
// times that, without reconnecting meanwhile.
func TestSessionExpired(t *testing.T) {
	ctx, app, jsErrors := openPage(t, "flash")
	const banner = `document.querySelector("#no-connection")`
	expiredShown := banner + `.textContent === "Your session has expired. Reloading..." && ` + banner + `.classList.contains("no-connection--show")`

	// From a handler.
	Run(t, ctx, "marking the document", chromedp.Evaluate(`window.marker = 1`, nil))
	Run(t, ctx, "expiring the session", chromedp.Click("#f-expire", chromedp.ByQuery))
	WaitJS(t, ctx, "the expired message", expiredShown)
	// An event made meanwhile waits for the reload: it opens no socket.
	Run(t, ctx, "clicking while expired", chromedp.Click("#f-info", chromedp.ByQuery))
	if s := EvalJS[string](t, ctx, `sessionStorage.sockets`); s != "1" {
		t.Errorf("%s sockets opened before the reload, want 1 (no reconnect)", s)
	}
	waitAcrossLoads(t, ctx, "the reload", `window.marker === undefined && document.readyState === "complete" && sessionStorage.loads === "2"`)
	WaitJS(t, ctx, "the WebSocket after the reload", wsOpen)
	if s := EvalJS[string](t, ctx, `sessionStorage.sockets`); s != "2" {
		t.Errorf("%s sockets in all, want 2: one per page load, no reconnect before the reload", s)
	}

	// From OnConnect, for a handshake: the socket opens and closes at once.
	u := app.URL + "/"
	Run(t, ctx, "setting the expired cookie and dropping the socket",
		network.SetCookie("lv_expired", "1").WithURL(u),
		chromedp.Evaluate(`window.marker = 1; myWebSocket.close(4000)`, nil))
	WaitJS(t, ctx, "the expired message", expiredShown)
	Run(t, ctx, "clearing the cookie", network.DeleteCookies("lv_expired").WithURL(u))
	waitAcrossLoads(t, ctx, "the reload", `window.marker === undefined && document.readyState === "complete" && sessionStorage.loads === "3"`)
	WaitJS(t, ctx, "the WebSocket after the reload", wsOpen)
	if s := EvalJS[string](t, ctx, `sessionStorage.sockets`); s != "4" {
		t.Errorf("%s sockets in all, want 4: the reconnect the close 4000 asked for, expired, then one after the reload", s)
	}
	assertNoExceptions(t, jsErrors)
}

// TestMultiValueFields: a <select multiple> and a group of checkboxes are
// sent as lists, bound into slices and rendered back with what was chosen;
// "min=1" on the slice refuses an empty choice.
func TestMultiValueFields(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "flash")
	choose := `(values) => { for (const o of document.querySelector("select[name=colors]").options) o.selected = values.includes(o.value); }`
	Run(t, ctx, "choosing red and blue, days 1 and 3",
		chromedp.Evaluate(`(`+choose+`)(["red", "blue"])`, nil),
		chromedp.Click(`input[name=days][value="1"]`, chromedp.ByQuery),
		chromedp.Click(`input[name=days][value="3"]`, chromedp.ByQuery),
		chromedp.Click("#prefs-save", chromedp.ByQuery))
	WaitJS(t, ctx, "the bound values", text("#prefs-out")+` === '["red" "blue"] [1 3]'`)
	rendered := `Array.from(document.querySelectorAll("#prefs option[selected], #prefs input[checked]"), (e) => e.value).join(" ")`
	if got := EvalJS[string](t, ctx, rendered); got != "red blue 1 3" {
		t.Errorf("rendered back with %q chosen, want red blue 1 3", got)
	}
	Run(t, ctx, "choosing nothing",
		chromedp.Evaluate(`(`+choose+`)([])`, nil),
		chromedp.Click(`input[name=days][value="1"]`, chromedp.ByQuery),
		chromedp.Click(`input[name=days][value="3"]`, chromedp.ByQuery),
		chromedp.Click("#prefs-save", chromedp.ByQuery))
	WaitJS(t, ctx, "the error", text("#prefs-error")+` === "Choose at least 1 item." && `+text("#prefs-out")+` === '[] []'`)
	if got := EvalJS[string](t, ctx, rendered); got != "" {
		t.Errorf("rendered back with %q chosen, want nothing", got)
	}
	jsErrors.AssertNone(t)
}

// TestHubDisconnect: a close 4403 (Hub.Disconnect of a topic the page's
// connection joined) shows the reason in the banner, else
// disconnectedMessage, and the page never reconnects: not after the
// backoff, not for an event, not for the browser's "online" event.
func TestHubDisconnect(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "flash")
	const banner = `document.querySelector("#no-connection")`
	shown := func(text string) string {
		return banner + `.textContent === ` + strconv.Quote(text) + ` && ` + banner + `.classList.contains("no-connection--show")`
	}
	Run(t, ctx, "signing out everywhere", chromedp.Click("#f-signout", chromedp.ByQuery))
	WaitJS(t, ctx, "the reason in the banner", shown("Signed out on another device."))
	Run(t, ctx, "clicking and going online while disconnected",
		chromedp.Click("#f-info", chromedp.ByQuery),
		chromedp.Evaluate(`dispatchEvent(new Event("online"))`, nil))
	// Longer than the first reconnect's backoff (reconnectBaseMs, 1 s).
	time.Sleep(2500 * time.Millisecond)
	if s := EvalJS[string](t, ctx, `sessionStorage.sockets + " " + myWebSocket.readyState`); s != "1 3" {
		t.Errorf("sockets opened, readyState: %s, want 1 3 (closed, no reconnect)", s)
	}
	if !EvalJS[bool](t, ctx, shown("Signed out on another device.")) {
		t.Errorf("the banner changed: %q", EvalJS[string](t, ctx, banner+".textContent"))
	}

	// A new load connects again; without a reason, the default message.
	Run(t, ctx, "reloading", chromedp.Reload())
	WaitJS(t, ctx, "the WebSocket after the reload", wsOpen)
	Run(t, ctx, "disconnecting without a reason", chromedp.Click("#f-signout-plain", chromedp.ByQuery))
	WaitJS(t, ctx, "the default message", shown("You have been disconnected."))
	time.Sleep(2500 * time.Millisecond)
	if s := EvalJS[string](t, ctx, `sessionStorage.sockets`); s != "2" {
		t.Errorf("%s sockets in all, want 2: one per page load", s)
	}
	assertNoExceptions(t, jsErrors)
}
