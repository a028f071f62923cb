package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/echo-liveview/liveview/internal/clientrules"
)

// The porting traps the client removes (issue 11, part 2): keyboard names
// (examples/clienttest /p/keys), elements outside data-controller="page"
// (/p/nopage) and an app under a path prefix (/app/p/prefixed).

// consoleWarnings collects the console.warn texts of a tab.
type consoleWarnings struct {
	mu   sync.Mutex
	list []string
}

// captureWarnings starts collecting the tab's console.warn calls (their
// first argument). Call it before navigating.
func captureWarnings(ctx context.Context) *consoleWarnings {
	w := &consoleWarnings{}
	chromedp.ListenTarget(ctx, func(ev any) {
		e, ok := ev.(*runtime.EventConsoleAPICalled)
		if !ok || e.Type != runtime.APITypeWarning || len(e.Args) == 0 {
			return
		}
		var s string
		if json.Unmarshal(e.Args[0].Value, &s) != nil {
			s = e.Args[0].Description
		}
		w.mu.Lock()
		w.list = append(w.list, s)
		w.mu.Unlock()
	})
	return w
}

// settle returns every warning so far: it logs a marker warning and waits
// until it arrives, so each warning the page logged before is in.
func (w *consoleWarnings) settle(t *testing.T, ctx context.Context) []string {
	t.Helper()
	marker := fmt.Sprintf("e2e marker %d", time.Now().UnixNano())
	Run(t, ctx, "logging a marker", chromedp.Evaluate(fmt.Sprintf(`console.warn(%q)`, marker), nil))
	deadline := time.Now().Add(WaitTimeout)
	for {
		w.mu.Lock()
		i := slices.Index(w.list, marker)
		got := slices.Clone(w.list[:max(i, 0)])
		w.mu.Unlock()
		if i >= 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console marker did not arrive; warnings so far: %q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// matching returns the warnings that contain s.
func matching(list []string, s string) []string {
	var out []string
	for _, w := range list {
		if strings.Contains(w, s) {
			out = append(out, w)
		}
	}
	return out
}

// openTrapPage starts clienttest and opens path in a new tab, capturing
// warnings and errors from the start, and waits for the WebSocket.
func openTrapPage(t *testing.T, path string) (context.Context, *App, *consoleWarnings, *JSErrors) {
	t.Helper()
	ctx := NewTab(t)
	app := Start(t, clienttest)
	warnings := captureWarnings(ctx)
	jsErrors := CaptureJSErrors(ctx)
	Run(t, ctx, "opening "+path, chromedp.Navigate(app.URL+path))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)
	return ctx, app, warnings, jsErrors
}

// keydown is one keydown as /p/keys recorded it, with the function the
// client sent for it ("" for none).
type keydown struct {
	Key                    string
	Ctrl, Alt, Meta, Shift bool
	Sent                   *string
}

// TestClientKeyNames (trap 3): a keyboard map with standard KeyboardEvent.key
// names ("escape", "ArrowUp", "Control+Shift+p") matches, upstream's short
// names keep working and win over a standard spelling of the same key, and
// entries that can never match are warned about once each (two elements
// share the map). Every keydown's outcome and every warning equal what the
// Go copy of the rules (internal/clientrules, used by liveviewtest)
// computes from the same attribute, so the two cannot drift apart.
func TestClientKeyNames(t *testing.T) {
	ctx, _, warnings, jsErrors := openTrapPage(t, "/p/keys")
	WaitJS(t, ctx, "both key maps bound",
		`[...document.querySelectorAll(".keys")].every((el) => el.dataset.keyboardMapInitialized === "true")`)

	presses := []struct {
		key  string
		mods input.Modifier
		want string // the function sent, "" for none
	}{
		{kb.Escape, 0, "kb_escape"},       // "escape": upstream wants "esc"
		{kb.ArrowUp, 0, "kb_arrowup"},     // "arrowup"
		{kb.ArrowDown, 0, "kb_arrowdown"}, // "ArrowDown"
		{kb.PageDown, 0, "kb_pagedown"},   // "PageDown"
		{kb.PageUp, 0, "kb_page_up"},      // upstream's "page_up" beats "PageUp"
		{"s", input.ModifierCtrl, "kb_ctrl_s"},
		{"P", input.ModifierCtrl | input.ModifierShift, "kb_ctrl_shift_p"},
		{"!", input.ModifierShift, "kb_bang"},
		{" ", 0, "kb_space"},
		{kb.F2, 0, "kb_f2"},
		{kb.Delete, 0, "kb_delete"},
		{kb.Shift, input.ModifierShift, "kb_shift"}, // "shift": the key alone
		{"q", 0, ""},                  // not mapped
		{"k", input.ModifierMeta, ""}, // "cmd+k" can never match
		{kb.Enter, 0, ""},             // "enter" maps to a number
	}
	actions := []chromedp.Action{chromedp.Click("#keys", chromedp.ByQuery)}
	for _, p := range presses {
		actions = append(actions, chromedp.KeyEvent(p.key, chromedp.KeyModifiers(p.mods)))
	}
	Run(t, ctx, "pressing keys on #keys", actions...)
	WaitJS(t, ctx, "every keydown recorded", fmt.Sprintf(`keydowns.length >= %d`, len(presses)))

	var downs []keydown
	if err := json.Unmarshal([]byte(EvalJS[string](t, ctx, `JSON.stringify(keydowns)`)), &downs); err != nil {
		t.Fatal(err)
	}
	attr := EvalJS[string](t, ctx, `document.querySelector("#keys").dataset.liveviewKeyboardMap`)
	keyMap, problems, err := clientrules.ParseKeyMap(attr)
	if err != nil {
		t.Fatal(err)
	}
	if len(downs) != len(presses) {
		t.Fatalf("%d keydowns recorded, want %d: %+v", len(downs), len(presses), downs)
	}
	for i, d := range downs {
		sent := ""
		if d.Sent != nil {
			sent = *d.Sent
		}
		if sent != presses[i].want {
			t.Errorf("keydown %q (ctrl %v alt %v meta %v shift %v): the client sent %q, want %q",
				d.Key, d.Ctrl, d.Alt, d.Meta, d.Shift, sent, presses[i].want)
		}
		goFn, _ := keyMap.Lookup(clientrules.KeyEvent{Key: d.Key, Ctrl: d.Ctrl, Alt: d.Alt, Meta: d.Meta, Shift: d.Shift})
		if goFn != sent {
			t.Errorf("keydown %q (ctrl %v alt %v meta %v shift %v): the client sent %q, clientrules.KeyMap.Lookup says %q",
				d.Key, d.Ctrl, d.Alt, d.Meta, d.Shift, sent, goFn)
		}
	}

	// The warnings: once each for the two elements, the same texts as Go's.
	got := matching(warnings.settle(t, ctx), "data-liveview-keyboard-map")
	var want []string
	for _, p := range problems {
		want = append(want, "LiveView: "+p)
	}
	if !slices.Equal(got, want) {
		t.Errorf("keyboard-map warnings\n got %q\nwant %q", got, want)
	}
	for _, entry := range []string{`"cmd+k"`, `"ctrl+"`, `"enter"`, `"PageUp"`} {
		if len(matching(got, "key "+entry+" can never match")) != 1 {
			t.Errorf("no single warning for %s in %q", entry, got)
		}
	}
	// Names the table does not list may still be keys: warned, not refused.
	for _, entry := range []string{`"escpe"`, `"ctrl-s"`} {
		if len(matching(got, "key "+entry+" may never match")) != 1 {
			t.Errorf("no single warning for %s in %q", entry, got)
		}
	}
	jsErrors.AssertNone(t)
}

// outsideWarning is what the client warns for data-liveview-* elements
// outside any page controller.
const outsideWarning = `outside any data-controller="page" element do nothing`

// TestClientOutsidePageController (trap 2): a data-liveview-function
// element outside every data-controller="page" element gets one console
// warning, at load (two such buttons: one warning) and when a fragment
// inserts one (two fragments: still one); a page without any gets none.
func TestClientOutsidePageController(t *testing.T) {
	t.Run("at load", func(t *testing.T) {
		ctx, _, warnings, jsErrors := openTrapPage(t, "/p/nopage?orphan=1")
		if got := matching(warnings.settle(t, ctx), outsideWarning); len(got) != 1 {
			t.Errorf("warnings about elements outside the page controller: %q, want one", got)
		}
		jsErrors.AssertNone(t)
	})
	t.Run("inserted", func(t *testing.T) {
		ctx, _, warnings, jsErrors := openTrapPage(t, "/p/nopage")
		if got := matching(warnings.settle(t, ctx), outsideWarning); len(got) != 0 {
			t.Errorf("warnings on a page without such elements: %q", got)
		}
		click(t, ctx, "#insert")
		WaitJS(t, ctx, "the first inserted button", `document.querySelectorAll("#outside .late").length === 1`)
		click(t, ctx, "#insert")
		WaitJS(t, ctx, "the second inserted button", `document.querySelectorAll("#outside .late").length === 2`)
		if got := matching(warnings.settle(t, ctx), outsideWarning); len(got) != 1 {
			t.Errorf("warnings after two inserted fragments: %q, want one", got)
		}
		jsErrors.AssertNone(t)
	})
}

// TestClientPathPrefix (trap 5): a page under /app (an Echo group, and
// Config.Prefix "/app" as the only setting) loads the client from
// {{liveviewScript}}'s hashed URL under /app and connects to
// /app/ws/liveview/<room>/ with no webSocketConfig in the page; a page
// that sets webSocketConfig.path still wins, also with a ":room" pattern.
func TestClientPathPrefix(t *testing.T) {
	ctx, app, _, jsErrors := openTrapPage(t, "/app/p/prefixed")
	src := EvalJS[string](t, ctx, `document.querySelector("script[data-liveview-path]").getAttribute("src")`)
	if !regexp.MustCompile(`^/app/static/liveview/liveview\.[0-9a-f]{12}\.min\.js$`).MatchString(src) {
		t.Errorf("script src %q, want the hashed client under /app", src)
	}
	room := EvalJS[string](t, ctx, `document.documentElement.dataset.room`)
	wsBase := "ws" + strings.TrimPrefix(app.URL, "http")
	if got := EvalJS[string](t, ctx, socketURLJS); got != wsBase+"/app/ws/liveview/"+room+"/" {
		t.Errorf("socket URL %s, want the endpoint under /app", got)
	}
	click(t, ctx, "#send")
	waitLogged(t, ctx, "the event through the prefixed Hub", fn("record_prefixed"), 1)

	// webSocketConfig.path set by the page wins: another Hub's endpoint...
	Run(t, ctx, "opening the page with webSocketConfig.path", chromedp.Navigate(app.URL+"/app/p/prefixed?wspath=/custom/ws/"))
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	room = EvalJS[string](t, ctx, `document.documentElement.dataset.room`)
	if got := EvalJS[string](t, ctx, socketURLJS); got != wsBase+"/custom/ws/"+room+"/" {
		t.Errorf("socket URL %s, want webSocketConfig.path's", got)
	}
	// ... and a pattern with :room, like Config.Path.
	Run(t, ctx, "opening the page with a :room pattern", chromedp.Navigate(app.URL+"/app/p/prefixed?wspath=/app/ws/liveview/:room"))
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	room = EvalJS[string](t, ctx, `document.documentElement.dataset.room`)
	if got := EvalJS[string](t, ctx, socketURLJS); got != wsBase+"/app/ws/liveview/"+room {
		t.Errorf("socket URL %s, want the :room pattern filled in", got)
	}
	click(t, ctx, "#send")
	waitLogged(t, ctx, "the event over the pattern's URL", fn("record_prefixed"), 1)
	jsErrors.AssertNone(t)
}
