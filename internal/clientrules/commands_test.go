package clientrules

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// outer renders the element matching sel, attributes as written.
func outer(t *testing.T, doc *html.Node, sel string) string {
	t.Helper()
	var b strings.Builder
	if err := html.Render(&b, find(t, doc, sel)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestJSCommands runs each command from data-liveview-js (page#run) and
// checks the DOM and what was sent.
func TestJSCommands(t *testing.T) {
	for _, tc := range []struct {
		name, body, js string
		fn             string // data-liveview-function of the button, "" for none
		check          string // the element to render after the click, "" for none
		want           string
		sent           string
		notes          int
	}{
		{"toggle shows", `<ul id="m" hidden><li>a</li></ul>`, "toggle:#m", "", "#m", `<ul id="m"><li>a</li></ul>`, "", 0},
		{"toggle hides", `<ul id="m"><li>a</li></ul>`, "toggle:#m", "", "#m", `<ul id="m" hidden=""><li>a</li></ul>`, "", 0},
		{"show with a pseudo-class", `<ul id="m"><li hidden>a</li><li hidden>b</li></ul>`, "show:#m li:first-child", "", "#m", `<ul id="m"><li>a</li><li hidden="">b</li></ul>`, "", 0},
		{"hide all matches", `<p class="x">1</p><p class="x">2</p><div id="w"></div>`, "hide:.x", "", "body", `<body data-controller="page"><p class="x" hidden="">1</p><p class="x" hidden="">2</p><div id="w"></div><button id="b" data-action="page#run" data-liveview-js="hide:.x">b</button></body>`, "", 0},
		{"classes", `<div id="m" class="a open"></div>`, "add-class(b  c):#m; remove-class(a):#m; toggle-class(open d):#m", "", "#m", `<div id="m" class="b c d"></div>`, "", 0},
		{"toggle-attribute", `<button id="s">s</button>`, "toggle-attribute(disabled):#s", "", "#s", `<button id="s" disabled="">s</button>`, "", 0},
		{"set-attribute", `<div id="m"></div>`, "set-attribute(aria-expanded=true):#m; set-attribute(data-state=a=b):#m", "", "#m", `<div id="m" aria-expanded="true" data-state="a=b"></div>`, "", 0},
		{"the element itself", `<div id="w"></div>`, "add-class(on); toggle-attribute(aria-pressed)", "", "#b", `<button id="b" data-action="page#run" data-liveview-js="add-class(on); toggle-attribute(aria-pressed)" class="on" aria-pressed="">b</button>`, "", 0},
		{"chained with the event", `<ul id="m" hidden></ul>`, "show:#m", "open", "#m", `<ul id="m"></ul>`, "open:", 0},
		{"a bad command, the rest runs", `<ul id="m" hidden></ul>`, "toggel:#m; show:#m; add-class:#m; hide(x):#m", "", "#m", `<ul id="m"></ul>`, "", 3},
		{"a bad selector, the rest runs", `<ul id="m" hidden></ul>`, "hide:#[; show:#m", "", "#m", `<ul id="m"></ul>`, "", 1},
		{"no match: nothing, no warning", `<ul id="m"></ul>`, "hide:#none", "", "#m", `<ul id="m"></ul>`, "", 0},
		{"dispatch reaches page#run", `<div id="chart" data-liveview-function="refresh" data-action="chart:refresh->page#run"></div>`, "dispatch(chart:refresh):#chart", "", "", "", "refresh:", 0},
		{"dispatch bubbles", `<div id="p" data-liveview-function="up" data-action="ping->page#run"><i id="c"></i></div>`, "dispatch(ping):#c", "", "", "", "up:", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := ""
			if tc.fn != "" {
				fn = ` data-liveview-function="` + tc.fn + `"`
			}
			c, doc := page(t, tc.body+`<button id="b" data-action="page#run" data-liveview-js="`+tc.js+`"`+fn+`>b</button>`)
			c.Connect(true)
			o, err := c.Click(find(t, doc, "#b"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != "" {
				if got := outer(t, doc, tc.check); got != tc.want {
					t.Errorf("DOM\n got %s\nwant %s", got, tc.want)
				}
			}
			if got := sent(o); got != tc.sent || !o.Ran {
				t.Errorf("sent %q (ran %v), want %q", got, o.Ran, tc.sent)
			}
			if len(o.Notes) != tc.notes {
				t.Errorf("notes %q, want %d", o.Notes, tc.notes)
			}
		})
	}
}

// TestJSFocus: focus moves to the first match (with change and blur on the
// field left), and not to what cannot take it.
func TestJSFocus(t *testing.T) {
	c, doc := page(t, `<input id="typed" name="t" data-liveview-function="typed" data-action="change->page#run">
<input class="q" id="q1"><input class="q" id="q2"><div id="d"></div><div hidden><input id="h"></div>
<button id="f" data-action="page#run" data-liveview-js="focus:.q">f</button>
<button id="nf" data-action="page#run" data-liveview-js="focus:#d">nf</button>
<button id="hf" data-action="page#run" data-liveview-js="focus:#h">hf</button>`)
	c.Connect(true)
	if _, err := c.Fill(find(t, doc, "#typed"), "x"); err != nil {
		t.Fatal(err)
	}
	o, err := c.Click(find(t, doc, "#f"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Active() != find(t, doc, "#q1") || sent(o) != "typed:" {
		t.Errorf("focus: active %s, sent %q", Describe(c.Active()), sent(o))
	}
	for _, b := range []string{"#nf", "#hf"} {
		if _, err := c.Click(find(t, doc, b)); err != nil {
			t.Fatal(err)
		}
		if c.Active() != find(t, doc, b) {
			t.Errorf("%s: active %s, want the button (focus did nothing)", b, Describe(c.Active()))
		}
	}
}

// TestJSFrame: the js key runs after the target changed, and needs
// selectors.
func TestJSFrame(t *testing.T) {
	c, doc := page(t, `<ul id="l"></ul><p id="toast" hidden>saved</p><div id="chart" data-liveview-function="refresh" data-action="chart:refresh->page#run"></div>`)
	c.Connect(true)
	r := c.ApplyFrame([]byte(`{"target":"#l","html":"<li>a</li><li>b</li>","append":true,"js":"add-class(new):#l li:last-child; show:#toast; dispatch(chart:refresh):#chart; hide"}`))
	if got := outer(t, doc, "#l"); got != `<ul id="l"><li>a</li><li class="new">b</li></ul>` {
		t.Errorf("list %s", got)
	}
	if hasAttr(find(t, doc, "#toast"), "hidden") {
		t.Error("toast still hidden")
	}
	if got := sent(r.Outcome); got != "refresh:" {
		t.Errorf("dispatch from a frame sent %q", got)
	}
	if len(r.Outcome.Notes) != 1 || !strings.Contains(r.Outcome.Notes[0], "needs a selector") {
		t.Errorf("notes %q", r.Outcome.Notes)
	}
	// A js frame without target.
	c.ApplyFrame([]byte(`{"js":"hide:#toast"}`))
	if !hasAttr(find(t, doc, "#toast"), "hidden") {
		t.Error("js alone did not run")
	}
}

// TestJSRecursion: an element dispatching the event it listens to stops.
func TestJSRecursion(t *testing.T) {
	c, doc := page(t, `<div id="loop" data-action="again->page#run" data-liveview-js="dispatch(again)"></div><button id="b" data-action="page#run" data-liveview-js="dispatch(again):#loop">b</button>`)
	c.Connect(true)
	o, err := c.Click(find(t, doc, "#b"))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Notes) != 1 || !strings.Contains(o.Notes[0], "too much recursion") {
		t.Errorf("notes %q", o.Notes)
	}
}

// TestThrottle: the first run of a window sends at once; the rest of the
// window makes one send at its end, with the state then. Without Hold a
// gesture ends every window; Hold keeps them open across gestures.
func TestThrottle(t *testing.T) {
	c, doc := page(t, `<input id="q" name="q" data-liveview-function="search" data-liveview-throttle="300" data-action="input->page#run change->page#run">
<input id="d" name="d" data-liveview-function="deb" data-liveview-debounce="300" data-liveview-throttle="300" data-action="input->page#run">
<input id="z" name="z" data-liveview-function="zero" data-liveview-throttle="0" data-action="input->page#run">`)
	c.Connect(true)
	q := find(t, doc, "#q")
	values := func(o *Outcome) string {
		var out []string
		for _, e := range o.Events {
			v, _ := e.Form.Get(firstKey(e))
			s, _ := v.(string)
			out = append(out, e.Function+"="+s)
		}
		return strings.Join(out, ",")
	}
	fill := func(el *html.Node, v string) *Outcome {
		t.Helper()
		o, err := c.Fill(el, v)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	// One gesture, one event: sent at once.
	if got := values(fill(q, "a")); got != "search=a" {
		t.Errorf("one input: %s", got)
	}
	// One gesture, two events (input and change): at once, then at the end.
	o, err := c.Change(q, []string{"ab"})
	if err != nil {
		t.Fatal(err)
	}
	if got := values(o); got != "search=ab,search=ab" {
		t.Errorf("input+change: %s", got)
	}
	// Held: five inputs in one window: the first at once, one at Release.
	c.Hold()
	var during []string
	for _, v := range []string{"1", "12", "123", "1234", "12345"} {
		if s := values(fill(q, v)); s != "" {
			during = append(during, s)
		}
	}
	if got := strings.Join(during, ";"); got != "search=1" {
		t.Errorf("held inputs sent %s, want only the first", got)
	}
	if got := values(c.Release()); got != "search=12345" {
		t.Errorf("Release sent %s, want the last state", got)
	}
	// A window with only its first event sends nothing at its end.
	c.Hold()
	fill(q, "x")
	if got := values(c.Release()); got != "" {
		t.Errorf("Release after one event sent %s", got)
	}
	// Debounce wins over throttle (leaving #q first: its change is sent).
	if o, err := c.Blur(q); err != nil || values(o) != "search=x" {
		t.Fatalf("blur: %v %v", o, err)
	}
	c.Hold()
	d := find(t, doc, "#d")
	if got := values(fill(d, "1")) + values(fill(d, "12")); got != "" {
		t.Errorf("debounce+throttle sent %s before the end", got)
	}
	if got := values(c.Release()); got != "deb=12" {
		t.Errorf("debounce+throttle: %s", got)
	}
	// throttle="0": no throttle.
	c.Hold()
	z := find(t, doc, "#z")
	if got := values(fill(z, "1")) + "," + values(fill(z, "2")); got != "zero=1,zero=2" {
		t.Errorf("throttle 0: %s", got)
	}
	c.Release()
}

func firstKey(e *Event) string {
	if keys := e.Form.Keys(); len(keys) > 0 {
		return keys[0]
	}
	return ""
}

// TestPoll: Poll is one tick: refused for what does not poll, for a removed
// element and for a hidden page; inserted elements poll.
func TestPoll(t *testing.T) {
	c, doc := page(t, `<div id="p" data-liveview-poll="5000" data-liveview-function="tick" data-n="p"><input name="f" value="v"></div>
<div id="fast" data-liveview-poll="10" data-liveview-function="fast"></div>
<div id="bad" data-liveview-poll="soon" data-liveview-function="bad"></div>
<div id="none" data-liveview-function="none"></div><div id="box"></div>`)
	c.Connect(true)
	poll := func(sel string) (*Outcome, error) {
		t.Helper()
		return c.Poll(find(t, doc, sel))
	}
	o, err := poll("#p")
	if err != nil || sent(o) != "tick:p" {
		t.Fatalf("poll: %v %v", o, err)
	}
	if v, _ := o.Events[0].Form.Get("f"); v != "v" {
		t.Errorf("poll form %v", v)
	}
	if _, err := poll("#fast"); err != nil {
		t.Errorf("a 10 ms poll (clamped to 100): %v", err)
	}
	for sel, want := range map[string]string{"#bad": "not a positive number", "#none": "has no data-liveview-poll"} {
		if _, err := poll(sel); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", sel, err, want)
		}
	}
	c.SetHidden(true)
	if _, err := poll("#p"); err == nil || !strings.Contains(err.Error(), "hidden") {
		t.Errorf("hidden: %v", err)
	}
	c.SetHidden(false)
	// Inserted: polls; removed: does not.
	c.ApplyFrame([]byte(`{"target":"#box","html":"<i id=\"late\" data-liveview-poll=\"1000\" data-liveview-function=\"late\"></i>"}`))
	if o, err := poll("#late"); err != nil || sent(o) != "late:" {
		t.Errorf("inserted poll: %v %v", o, err)
	}
	p := find(t, doc, "#p")
	c.ApplyFrame([]byte(`{"target":"#p","remove":true}`))
	if _, err := c.Poll(p); err == nil {
		t.Error("a removed element polled")
	}
	// Outside a page controller.
	doc2, _ := ParseDocument(`<!DOCTYPE html><html><body><div id="o" data-liveview-poll="100" data-liveview-function="o"></div></body></html>`)
	c2 := New(doc2, c.URL(), "r")
	c2.Connect(true)
	if _, err := c2.Poll(find(t, doc2, "#o")); err == nil || !strings.Contains(err.Error(), "not inside") {
		t.Errorf("outside: %v", err)
	}
}
