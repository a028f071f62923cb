package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"github.com/echo-liveview/liveview/internal/clientrules"
	"github.com/echo-liveview/liveview/liveviewtest"
)

// ruleStep is one thing a person does on /p/rules, done in Chromium and
// with liveviewtest.
type ruleStep struct {
	do   string   // click, fill, change, blur, key, submit
	sel  string   // the element
	args []string // fill, change: the values; key: liveviewtest's key
	cdp  string   // key: chromedp's key
	mods input.Modifier
	// spontaneous: the browser also sends events by itself (inits and
	// intersections of inserted HTML), in an order the test does not
	// control: the frames of the step are compared as a set. then is
	// liveviewtest's side of them.
	spontaneous bool
	then        func(p *liveviewtest.Page)
	// silent: the step sends nothing (a field changed without an action,
	// a flash message closed).
	silent bool
	// wait: a JavaScript condition Chromium's page must meet before the
	// comparison, for a step whose effect comes from a frame that answers
	// no event (an upload refused).
	wait string
}

func (s ruleStep) String() string {
	return fmt.Sprintf("%s %s %q", s.do, s.sel, s.args)
}

// ruleSteps cover every trigger of /p/rules (the second click on a :once
// action, which sends nothing, is left to internal/clientrules' tests:
// liveviewtest fails an action that makes nothing happen).
var ruleSteps = []ruleStep{
	{do: "click", sel: "#r-click"},
	{do: "click", sel: "#r-bold"},
	{do: "click", sel: "#r-form-submit"},
	{do: "click", sel: "#r-form-button"},
	{do: "submit", sel: "#r-form"},
	{do: "fill", sel: "#r-fill", args: []string{"typed text"}},
	{do: "fill", sel: "#r-change-text", args: []string{"committed"}},
	{do: "blur", sel: "#r-change-text"},
	{do: "change", sel: "#r-select", args: []string{"b"}},
	{do: "change", sel: "#r-multi", args: []string{"a", "c"}},
	{do: "blur", sel: "#r-blur"},
	{do: "click", sel: "#r-check"},
	{do: "click", sel: "#r-check-change"},
	{do: "click", sel: "#r-radio"},
	{do: "click", sel: "#r-bubble-inner"},
	{do: "click", sel: "#r-bubble-stop"},
	{do: "click", sel: "#r-bubble-own"},
	{do: "click", sel: "#r-once"},
	{do: "key", sel: "#r-keys", args: []string{"ctrl+s"}, cdp: "s", mods: input.ModifierCtrl},
	{do: "key", sel: "#r-keys", args: []string{"ctrl+shift+p"}, cdp: "P", mods: input.ModifierCtrl | input.ModifierShift},
	{do: "key", sel: "#r-keys", args: []string{"ctrl+shift+o"}, cdp: "O", mods: input.ModifierCtrl | input.ModifierShift},
	{do: "key", sel: "#r-keys", args: []string{"shift+!"}, cdp: "!", mods: input.ModifierShift},
	{do: "key", sel: "#r-keys-input", args: []string{"Escape"}, cdp: kb.Escape},
	{do: "key", sel: "#r-keys-input", args: []string{"Enter"}, cdp: kb.Enter},
	{do: "key", sel: "#r-enter", args: []string{"Enter"}, cdp: kb.Enter},
	{do: "key", sel: "#r-implicit", args: []string{"Enter"}, cdp: kb.Enter},
	{do: "key", sel: "body", args: []string{"x"}, cdp: "x"},
	{do: "key", sel: "body", args: []string{"y"}, cdp: "y"},
	{do: "click", sel: "#r-nested-btn"},
	{do: "click", sel: "#r-frames"},
	{do: "fill", sel: "#r-mtyped", args: []string{"morphed"}},
	{do: "click", sel: "#r-insert", spontaneous: true, then: func(p *liveviewtest.Page) { p.Intersect("#r-late-see") }},
	{do: "key", sel: "#r-late-keys", args: []string{"a"}, cdp: "a"},
	{do: "click", sel: "#r-late-btn"},
	{do: "click", sel: "#r-mv-submit"},
	{do: "change", sel: "#r-mv select", args: []string{"red", "blue"}, silent: true},
	{do: "click", sel: "#r-mv-1", silent: true},
	{do: "click", sel: "#r-mv-2", silent: true},
	{do: "click", sel: "#r-mv-alone", silent: true},
	{do: "submit", sel: "#r-mv"},
	{do: "click", sel: "#r-mv-1", silent: true},
	{do: "click", sel: "#r-mv-3", silent: true},
	{do: "change", sel: "#r-mv select", args: []string{"green"}, silent: true},
	{do: "submit", sel: "#r-mv"},
	{do: "click", sel: "#r-flash-btn"},
	{do: "click", sel: "#r-flash-btn"},
	{do: "click", sel: "#r-flash-nav"},
	{do: "click", sel: "#r-flash .liveview-flash-info button", silent: true},
	{do: "click", sel: "#r-loading"},
	{do: "click", sel: "#r-js"},
	{do: "click", sel: "#r-js-chain"},
	{do: "click", sel: "#r-js-chain"},
	{do: "fill", sel: "#r-throttle", args: []string{"throttled"}},
	// Streams (stream_box, streamOp in examples/clienttest/streams.go):
	// x a b c y, x a p b q c y m, b in place, b in place while its input
	// is focused and typed into, q deleted, then trimmed, reset, missed.
	{do: "click", sel: "#r-stream-ends"},
	{do: "click", sel: "#r-stream-around"},
	{do: "click", sel: "#r-stream-update"},
	{do: "fill", sel: "#r-stream-typed", args: []string{"kept <here>"}},
	{do: "click", sel: "#r-stream-delete"},
	{do: "click", sel: "#r-stream-limit"},
	{do: "click", sel: "#r-stream-limit-start"},
	{do: "click", sel: "#r-stream-reset"},
	{do: "click", sel: "#r-stream-missing"},
	// Uploads (rules_upload takes files of at most 1000 bytes): two files
	// with their progress (the <progress> and the input's CSS variable),
	// an empty one, one refused with the message shown, then accepted
	// again (the message goes). Choosing files sends nothing; the click
	// announces, uploads and then sends the event.
	{do: "files", sel: "#r-up-file", args: []string{"a.txt:300", "b.bin:700"}, silent: true},
	{do: "click", sel: "#r-up-save"},
	{do: "files", sel: "#r-up-file", args: []string{"empty.txt:0"}, silent: true},
	{do: "click", sel: "#r-up-save"},
	{do: "files", sel: "#r-up-file", args: []string{"big.bin:1001"}, silent: true},
	{do: "click", sel: "#r-up-save", silent: true, wait: `document.querySelector("#r-up-error").textContent !== ""`},
	{do: "files", sel: "#r-up-file", args: []string{"c.txt:1000"}, silent: true},
	{do: "click", sel: "#r-up-save"},
}

// ruleFile is a file of a "files" step, "name:size": size bytes made from
// the name, the same on both sides.
func ruleFile(t *testing.T, spec string) (name string, content []byte) {
	t.Helper()
	name, size, ok := strings.Cut(spec, ":")
	n, err := strconv.Atoi(size)
	if !ok || err != nil {
		t.Fatalf("bad file %q", spec)
	}
	content = make([]byte, n)
	for i := range content {
		content[i] = name[i%len(name)] + byte(i/len(name))
	}
	return name, content
}

// TestClientRulesParity checks liveviewtest's copy of the client's rules
// (internal/clientrules) against the bundled client (DESIGN §11): the same
// fixture page, /p/rules of examples/clienttest, is driven in Chromium and
// through liveviewtest, step by step, against the same server; after each
// step both must have sent the same frames (byte for byte, the room aside)
// and have the same <body> (attributes compared as sets: what a browser
// keeps in properties liveviewtest keeps in attributes, set in another
// order), URL and title.
func TestClientRulesParity(t *testing.T) {
	// About a hundred steps, each waiting for both sides: more than one
	// tab's TabTimeout on a loaded machine.
	ctx := NewTabTimeout(t, 2*time.Minute)
	app := Start(t, clienttest)
	jsErrors := CaptureJSErrors(ctx)
	// Everything in view: no scrolling, so no intersection changes.
	Run(t, ctx, "a tall viewport", chromedp.EmulateViewport(1280, 8000))
	Run(t, ctx, "opening /p/rules", chromedp.Navigate(app.URL+"/p/rules"))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)

	lt := liveviewtest.New(t, proxyTo(t, app.URL))
	page := lt.Open("/p/rules")
	page.Intersect("#r-see") // the browser's first intersection callback: in view
	p := &parity{t: t, ctx: ctx, page: page, room: EvalJS[string](t, ctx, `document.documentElement.dataset.room`)}
	p.compare("loading the page", true)

	for _, s := range ruleSteps {
		p.browser(s)
		p.liveviewtest(s)
		if s.do == "fill" || s.do == "change" || s.do == "click" {
			p.touched = append(p.touched, s.sel)
		}
		p.compare(s.String(), s.spontaneous)
	}
	sending := 0
	for _, s := range ruleSteps {
		if !s.silent {
			sending++
		}
	}
	if n := len(page.Sent()); n < sending {
		t.Errorf("only %d frames sent for %d steps that send", n, sending)
	}
	assertNoExceptions(t, jsErrors) // the client logs the missing target of rules_frames
}

// parity drives the two sides and compares them.
type parity struct {
	t       *testing.T
	ctx     context.Context
	page    *liveviewtest.Page
	room    string   // the browser page's room
	done    int      // frames compared so far
	touched []string // elements whose state a step changed
}

// browser does s in Chromium as a person does: real mouse clicks and key
// presses; typing as one insertText (a paste); focus moves with focus() and
// blur().
func (p *parity) browser(s ruleStep) {
	t, ctx := p.t, p.ctx
	t.Helper()
	sel, _ := json.Marshal(s.sel)
	el := "document.querySelector(" + string(sel) + ")"
	switch s.do {
	case "click":
		Run(t, ctx, "clicking "+s.sel, chromedp.Click(s.sel, chromedp.ByQuery))
	case "fill":
		Run(t, ctx, "typing into "+s.sel,
			chromedp.Evaluate(el+".focus(); "+el+".select()", nil),
			chromedp.ActionFunc(func(ctx context.Context) error { return input.InsertText(s.args[0]).Do(ctx) }))
	case "change":
		values, _ := json.Marshal(s.args)
		Run(t, ctx, "choosing in "+s.sel, chromedp.Evaluate(fmt.Sprintf(`(() => {
			const el = %s, values = %s;
			el.focus();
			for (const o of el.options) o.selected = values.includes(o.value);
			el.dispatchEvent(new Event("input", {bubbles: true}));
			el.dispatchEvent(new Event("change", {bubbles: true}));
		})()`, el, values), nil))
	case "blur":
		Run(t, ctx, "leaving "+s.sel, chromedp.Evaluate(el+".focus(); "+el+".blur()", nil))
	case "submit":
		Run(t, ctx, "submitting "+s.sel, chromedp.Evaluate(el+".requestSubmit()", nil))
	case "files":
		dir := t.TempDir()
		var paths []string
		for _, spec := range s.args {
			name, content := ruleFile(t, spec)
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, path)
		}
		Run(t, ctx, "choosing files for "+s.sel, chromedp.SetUploadFiles(s.sel, paths, chromedp.ByQuery))
	case "key":
		focus := el + ".focus()"
		if s.sel == "body" {
			focus = "document.activeElement && document.activeElement.blur()"
		}
		Run(t, ctx, "pressing "+s.args[0]+" in "+s.sel,
			chromedp.Evaluate(focus, nil),
			chromedp.KeyEvent(s.cdp, chromedp.KeyModifiers(s.mods)))
	default:
		t.Fatalf("unknown step %s", s)
	}
	if s.wait != "" {
		WaitJS(t, ctx, s.wait, s.wait)
	}
}

// liveviewtest does s with liveviewtest.
func (p *parity) liveviewtest(s ruleStep) {
	switch s.do {
	case "click":
		p.page.Click(s.sel)
	case "fill":
		p.page.Fill(s.sel, s.args[0])
	case "change":
		p.page.Change(s.sel, s.args...)
	case "blur":
		p.page.Blur(s.sel)
	case "submit":
		p.page.Submit(s.sel)
	case "key":
		p.page.Key(s.sel, s.args[0])
	case "files":
		var files []liveviewtest.File
		for _, spec := range s.args {
			name, content := ruleFile(p.t, spec)
			files = append(files, liveviewtest.File{Name: name, Content: content})
		}
		p.page.SetFiles(s.sel, files...)
	}
	if s.then != nil {
		s.then(p.page)
	}
}

// compare waits until Chromium has sent as many frames as liveviewtest,
// all answered, then compares the new frames, the body, the URL and the
// title.
func (p *parity) compare(step string, spontaneous bool) {
	t, ctx := p.t, p.ctx
	t.Helper()
	want := rawList(p.page.Sent())
	var got []string
	deadline := time.Now().Add(WaitTimeout)
	for {
		var state struct {
			Sent     []string `json:"sent"`
			Answered bool     `json:"answered"`
		}
		s := EvalJS[string](t, ctx, `JSON.stringify({sent: sentFrames, answered: allAnswered()})`)
		if err := json.Unmarshal([]byte(s), &state); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		got = state.Sent
		if len(got) >= len(want) && state.Answered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: Chromium sent %d frames in all (answered: %v), liveviewtest %d\nChromium's new frames:%s\nliveviewtest's new frames:%s",
				step, len(got), state.Answered, len(want), lines(got[min(p.done, len(got)):]), lines(want[p.done:]))
		}
		time.Sleep(20 * time.Millisecond)
	}
	b := p.normalize(got[min(p.done, len(got)):], p.room, spontaneous)
	g := p.normalize(want[p.done:], p.page.Room(), spontaneous)
	if strings.Join(b, "\n") != strings.Join(g, "\n") {
		t.Fatalf("%s: the frames sent differ\nChromium:%s\nliveviewtest:%s", step, lines(b), lines(g))
	}
	p.done = len(want)

	// The DOM: what Chromium keeps in properties is written to attributes
	// first, for the elements the steps changed.
	touched, _ := json.Marshal(append([]string{}, p.touched...))
	Run(t, ctx, "writing field state to attributes", chromedp.Evaluate(fmt.Sprintf(`(() => {
		for (const sel of %s) {
			const el = document.querySelector(sel);
			if (!el) continue;
			const group = el.type === "radio" && el.name ? document.querySelectorAll('input[type=radio][name="' + el.name + '"]') : [el];
			for (const f of group) {
				if (f.type === "checkbox" || f.type === "radio") {
					if (f.hasAttribute("checked") !== f.checked) f.toggleAttribute("checked", f.checked);
				} else if (f.tagName === "SELECT") {
					for (const o of f.options) if (o.hasAttribute("selected") !== o.selected) o.toggleAttribute("selected", o.selected);
				} else if (f.tagName === "TEXTAREA") {
					if (f.textContent !== f.value) f.textContent = f.value;
				} else if (f.tagName === "INPUT" && f.getAttribute("value") !== f.value) {
					f.setAttribute("value", f.value);
				}
			}
		}
	})()`, touched), nil))
	browserBody := normalizeBody(t, EvalJS[string](t, ctx, `document.body.outerHTML`))
	goBody := normalizeBody(t, p.page.HTML("body"))
	if browserBody != goBody {
		t.Fatalf("%s: the DOM differs:\n%s", step, firstDifference(browserBody, goBody))
	}
	if u := EvalJS[string](t, ctx, `location.pathname + location.search`); u != p.page.URL() {
		t.Errorf("%s: URL %s in Chromium, %s in liveviewtest", step, u, p.page.URL())
	}
	if ti := EvalJS[string](t, ctx, `document.title`); ti != p.page.Title() {
		t.Errorf("%s: title %q in Chromium, %q in liveviewtest", step, ti, p.page.Title())
	}
}

var refKey = regexp.MustCompile(`,"ref":\d+`)

// idKey is an event's "id": a random page-load prefix and the ref, never
// the same in Chromium and liveviewtest; normalize checks its shape and
// drops it.
var idKey = regexp.MustCompile(`,"id":"[A-Za-z0-9_-]+\.\d+"`)

// normalize replaces the page's room, and for a spontaneous step drops the
// refs and sorts the frames (the refs are compared as a set: both sides
// sent the same number).
func (p *parity) normalize(frames []string, room string, spontaneous bool) []string {
	roomJSON, _ := json.Marshal(room)
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = strings.Replace(f, `"room":`+string(roomJSON), `"room":"ROOM"`, 1)
		out[i] = idKey.ReplaceAllString(out[i], "")
		if spontaneous {
			out[i] = refKey.ReplaceAllString(out[i], "")
		}
	}
	if spontaneous {
		sort.Strings(out)
	}
	return out
}

// normalizeBody parses a <body> as the page and renders it with every
// element's attributes sorted.
func normalizeBody(t *testing.T, body string) string {
	t.Helper()
	doc, err := clientrules.ParseDocument("<!DOCTYPE html><html><head></head>" + body + "</html>")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			sort.SliceStable(n.Attr, func(i, j int) bool { return n.Attr[i].Key < n.Attr[j].Key })
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	var b strings.Builder
	if err := html.Render(&b, doc); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// firstDifference shows where two renderings part, one tag per line.
func firstDifference(a, b string) string {
	split := func(s string) []string { return strings.SplitAfter(s, ">") }
	x, y := split(a), split(b)
	for i := 0; i < len(x) || i < len(y); i++ {
		if i < len(x) && i < len(y) && x[i] == y[i] {
			continue
		}
		from := max(0, i-3)
		return fmt.Sprintf("Chromium:%s\nliveviewtest:%s", lines(x[from:min(len(x), i+4)]), lines(y[from:min(len(y), i+4)]))
	}
	return "(no difference)"
}

func rawList(list []json.RawMessage) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = string(r)
	}
	return out
}

func lines(list []string) string {
	if len(list) == 0 {
		return " none"
	}
	return "\n  " + strings.Join(list, "\n  ")
}

// proxyTo returns an Echo app that forwards everything, WebSockets
// included, to the server at target, so liveviewtest talks to the very
// server Chromium does. The Host header is kept, so the Hub's origin check
// sees the proxy's origin on both.
func proxyTo(t *testing.T, target string) *echo.Echo {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Any("/*", echo.WrapHandler(httputil.NewSingleHostReverseProxy(u)))
	return e
}
