package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// sentFrame is one frame the client sent, as /p/wire's WebSocket.send
// wrapper recorded it.
type sentFrame struct {
	Function string            `json:"function"`
	Data     map[string]string `json:"data"`
	Form     map[string]any    `json:"form"`
	Lang     *string           `json:"lang"`
	Room     string            `json:"room"`
	Ref      int               `json:"ref"`
}

// TestClientEventFrames (checklist row 3): every frame the client sends is
// {function, data, form, lang, room} (plus the additive ref); room is the
// page's <html data-room> and lang its <html lang> (null without one) when
// the frame leaves, not when the event happened: an event queued while
// offline carries the lang the page has when it is sent.
func TestClientEventFrames(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "wire")
	const banner = `document.querySelector("#no-connection").classList`
	sendAndWait := func(n int) {
		t.Helper()
		click(t, ctx, "#send")
		WaitJS(t, ctx, "the frame and its answer", fmt.Sprintf(`sentFrames.length === %d && %s === %d`, n, countJS(fn("record")), n))
	}
	sendAndWait(1) // lang="en"
	Run(t, ctx, "changing <html lang>", chromedp.Evaluate(`document.documentElement.lang = "es"`, nil))
	sendAndWait(2)
	Run(t, ctx, "removing <html lang>", chromedp.Evaluate(`document.documentElement.removeAttribute("lang")`, nil))
	sendAndWait(3)

	// Offline, the event waits in the queue; lang changes before it leaves.
	setOffline := func(offline bool) {
		t.Helper()
		Run(t, ctx, "setting offline", network.Enable(), network.OverrideNetworkState(offline, 0, -1, -1))
	}
	Run(t, ctx, "setting lang de", chromedp.Evaluate(`document.documentElement.lang = "de"`, nil))
	setOffline(true)
	WaitJS(t, ctx, "the client to see it is offline", `!navigator.onLine && `+banner+`.contains("no-connection--show")`)
	click(t, ctx, "#send")
	if n := EvalJS[int](t, ctx, `sentFrames.length`); n != 3 {
		t.Fatalf("%d frames sent while offline, want the event queued", n)
	}
	Run(t, ctx, "setting lang fr", chromedp.Evaluate(`document.documentElement.lang = "fr"`, nil))
	setOffline(false)
	WaitJS(t, ctx, "the queued frame and its answer", `sentFrames.length === 4 && `+countJS(fn("record"))+` === 4`)

	room := EvalJS[string](t, ctx, `document.documentElement.dataset.room`)
	if room == "" {
		t.Fatal("the page has no data-room")
	}
	raw := EvalJS[[]string](t, ctx, `sentFrames`)
	wantLang := []any{"en", "es", nil, "fr"}
	for i, s := range raw {
		var f sentFrame
		if err := json.Unmarshal([]byte(s), &f); err != nil {
			t.Fatalf("frame %d %s: %v", i+1, s, err)
		}
		var fields map[string]json.RawMessage
		_ = json.Unmarshal([]byte(s), &fields)
		var keys []string
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if got := strings.Join(keys, ","); got != "data,form,function,id,lang,ref,room" {
			t.Errorf("frame %d has keys %s, want function, data, form, lang, room, ref and id: %s", i+1, got, s)
		}
		var id struct{ ID string }
		_ = json.Unmarshal([]byte(s), &id)
		if !strings.HasSuffix(id.ID, fmt.Sprintf(".%d", i+1)) {
			t.Errorf("frame %d: id %q, want <tab>.%d", i+1, id.ID, i+1)
		}
		if f.Function != "record" || !jsonEqual(mustJSON(f.Data), `{"n":"one"}`) || !jsonEqual(mustJSON(f.Form), `{"q":"hi"}`) {
			t.Errorf("frame %d: function, data, form = %s, %v, %v; want record, {n: one}, {q: hi}", i+1, f.Function, f.Data, f.Form)
		}
		if f.Ref != i+1 {
			t.Errorf("frame %d: ref %d, want %d", i+1, f.Ref, i+1)
		}
		if f.Room != room {
			t.Errorf("frame %d: room %q, want <html data-room> %q", i+1, f.Room, room)
		}
		var lang any
		if f.Lang != nil {
			lang = *f.Lang
		}
		if lang != wantLang[i] {
			t.Errorf("frame %d: lang %v, want %v", i+1, lang, wantLang[i])
		}
	}
	assertNoExceptions(t, jsErrors) // going offline may log the socket's failure
}

// TestClientAppendNoCleanup (checklist row 11): an append frame inserts at
// the end of the target, runs its scripts on the target and leaves the
// target's __cleanup alone; a replace calls it once and forgets it.
func TestClientAppendNoCleanup(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "wire")
	const items = `Array.from(document.querySelectorAll("#box > i"), (i) => i.textContent).join()`
	click(t, ctx, "#append")
	WaitJS(t, ctx, "the first append", items+` === "first,appended"`)
	click(t, ctx, "#append")
	WaitJS(t, ctx, "the second append", items+` === "first,appended,appended"`)
	if s := EvalJS[string](t, ctx, `[window.boxCleaned, typeof document.querySelector("#box").__cleanup, document.querySelector("#box").dataset.appended].join()`); s != ",function,box:true" {
		t.Errorf("after two appends: cleanup calls, __cleanup, appended script = %s; want ,function,box:true (not called, kept, ran on the target)", s)
	}
	click(t, ctx, "#replace")
	WaitJS(t, ctx, "the replace", items+` === "replaced"`)
	if s := EvalJS[string](t, ctx, `[window.boxCleaned, typeof document.querySelector("#box").__cleanup].join()`); s != "1,undefined" {
		t.Errorf("after the replace: cleanup calls, __cleanup = %s; want 1,undefined", s)
	}
	jsErrors.AssertNone(t)
}

// TestClientFragmentScripts (checklist row 13): classic inline scripts of
// a fragment run in order with el and this bound to the target; one that
// throws is caught and logged and the next still runs; src scripts are not
// loaded (neither from the server nor a data: URL); module and template
// scripts do not run; nothing is left uncaught.
func TestClientFragmentScripts(t *testing.T) {
	ctx, _, jsErrors := openPage(t, "wire")
	click(t, ctx, "#scripts")
	WaitJS(t, ctx, "the fragment's last script", `Array.isArray(window.order) && window.order.includes("after")`)
	if s := EvalJS[string](t, ctx, `window.order.join()`); s != "inline,text/javascript,throws,after" {
		t.Errorf("scripts ran in order %s, want inline,text/javascript,throws,after", s)
	}
	if s := EvalJS[string](t, ctx, `document.querySelector("#frag").dataset.bound`); s != "frag:true" {
		t.Errorf("el.id:this===el = %s, want frag:true", s)
	}

	// Load two scripts the same ways after the fragment: once they ran, a
	// fetch of the fragment's src scripts, started earlier, would have too.
	var loaded bool
	Run(t, ctx, "loading control scripts", chromedp.Evaluate(`Promise.all(["/hit?n=control", "data:text/javascript,window.dataControl=true"].map((src) => new Promise((resolve, reject) => {
		const s = document.createElement("script");
		s.src = src;
		s.onload = () => resolve(true);
		s.onerror = reject;
		document.head.appendChild(s);
	}))).then(() => true)`, &loaded, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if !loaded || !EvalJS[bool](t, ctx, `window.dataControl === true`) {
		t.Fatal("the control scripts did not run")
	}
	var hits string
	Run(t, ctx, "reading the server's script hits", chromedp.Evaluate(`fetch("/hits").then((r) => r.text())`, &hits,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if !jsonEqual(hits, `{"control":1}`) {
		t.Errorf("script loads on the server %s, want only the control's", strings.TrimSpace(hits))
	}
	if s := EvalJS[string](t, ctx, `JSON.stringify([window.srcRan, window.dataSrcRan, window.moduleRan, window.templateRan])`); s != `[["control"],null,null,null]` {
		t.Errorf("srcRan, dataSrcRan, moduleRan, templateRan = %s; want only the control to have run", s)
	}

	// The throw was logged with console.error, and it is the only error.
	errs := jsErrors.All()
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "console.error") ||
		!strings.Contains(errs[0], "LiveView script error") || !strings.Contains(errs[0], "boom in a fragment") {
		t.Errorf("page errors %q, want exactly the console.error of the throwing script", errs)
	}
}

// mustJSON encodes v as JSON.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
