package clientrules

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// page parses body into a document whose <body> is a page controller.
func page(t testing.TB, body string) (*Client, *html.Node) {
	t.Helper()
	doc, err := ParseDocument(`<!DOCTYPE html><html lang="en" data-room="r1"><head><title>T</title></head><body data-controller="page">` + body + `</body></html>`)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://example.test/p")
	c := New(doc, u, ResolveRoom(doc))
	c.tab = "" // no random ids in the expected JSON (TestEventIDs checks them)
	return c, doc
}

// Every event with a ref carries the id tab + "." + ref (socket.js), and a
// "retry" answer keeps its loading state.
func TestEventIDs(t *testing.T) {
	doc, _ := ParseDocument(`<!DOCTYPE html><html lang="en" data-room="r1"><body data-controller="page"><button id="b" data-action="click->page#run" data-liveview-function="inc">+</button></body></html>`)
	u, _ := url.Parse("http://example.test/p")
	c := New(doc, u, "r1")
	b := find(t, doc, "#b")
	out, err := c.Click(b)
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("click: %v %v", out, err)
	}
	e := out.Events[0]
	if e.ID != c.tab+".1" || c.tab == "" || !strings.Contains(string(e.JSON()), `"ref":1,"id":"`+e.ID+`"`) {
		t.Fatalf("id %q, tab %q, JSON %s", e.ID, c.tab, e.JSON())
	}
	for _, tt := range []struct {
		frame   string
		pending bool
	}{
		{`{"ref":1,"once":"retry"}`, true},
		{`{"ref":1,"once":"replayed","target":"#x","html":""}`, false},
	} {
		res := c.ApplyFrame([]byte(tt.frame))
		if res.Ref != 1 || c.Pending(1) != tt.pending {
			t.Errorf("%s: ref %d once %q, pending %v", tt.frame, res.Ref, res.Once, c.Pending(1))
		}
	}
	if New(doc, u, "r1").tab == c.tab {
		t.Error("two page loads have the same tab")
	}
}

func find(t testing.TB, doc *html.Node, sel string) *html.Node {
	t.Helper()
	m, err := Compile(sel)
	if err != nil {
		t.Fatal(err)
	}
	n := Query(doc, m)
	if n == nil {
		t.Fatalf("no %s", sel)
	}
	return n
}

func TestDatasetKey(t *testing.T) {
	for _, tc := range []struct{ attr, key string }{
		{"data-data-alert-id", "dataAlertId"},
		{"data-product-id", "productId"},
		{"data-foo--bar", "foo-Bar"},
		{"data-x-1", "x-1"},
		{"data-", ""},
		{"DATA-Comment-Id", "commentId"},
		{"data-a-", "a-"},
	} {
		if got, ok := DatasetKey(tc.attr); !ok || got != tc.key {
			t.Errorf("DatasetKey(%q) = %q, %v; want %q", tc.attr, got, ok, tc.key)
		}
	}
	if _, ok := DatasetKey("id"); ok {
		t.Error(`DatasetKey("id") is a data key`)
	}
}

func TestCollect(t *testing.T) {
	for _, tc := range []struct {
		name, body, sel, want string
	}{
		{"own field", `<input id="x" name="q" value="v" data-n="1">`, "#x", `{"function":"f","data":{"n":"1"},"form":{"q":"v"}`},
		{"parent named fields", `<div><button id="x" data-liveview-function="f" data-action="page#run" data-data-id="5"></button><input name="a" value="1"><input value="unnamed"><input type="checkbox" name="c" checked><input type="radio" name="r" value="p"><input type="radio" name="r" value="q" checked></div>`, "#x", `{"function":"f","data":{"dataId":"5"},"form":{"a":"1","c":true,"r":"q"}`},
		{"form: unnamed too", `<form><input value="u"><select name="s"><option>one</option><option value="2" selected>two</option></select><select name="m" multiple><option>a</option><option selected>b</option><option selected>c</option></select><textarea name="t">
hi</textarea><button id="x"></button></form>`, "#x", `{"function":"f","data":{},"form":{"":"u","s":"2","m":["b","c"],"t":"hi"}`},
		{"integer keys first", `<div><i id="x" data-b="b" data-1="one" data-0="zero"></i><input name="z" value="z"><input name="10" value="ten"><input name="z" value="z2"></div>`, "#x", `{"function":"f","data":{"0":"zero","1":"one","b":"b"},"form":{"10":"ten","z":"z2"}`},
		{"omitted keys", `<i id="x" data-action="a" data-controller="c" data-liveview-permanent data-liveview-x="1" data-init-trigger="i" data-page-x-param="p" data-intersection-observed="true"></i>`, "#x", `{"function":"f","data":{"pageXParam":"p","intersectionObserved":"true"},"form":{}`},
		{"sanitized values", `<div><i id="x"></i><input name="n" type="number" value="12abc"><input name="r" type="range"><input name="c" type="color" value="#ABCDEF"><input name="c2" type="color" value="Red"><input name="c3" type="color" value="#abc"><input name="c4" type="color" value="nope"><input name="e" type="email" value=" a@b.c "><input name="s" type="select-one" value="x"><select name="d"><option disabled>no</option><option>  yes  please </option></select><select name="e2" multiple><option>m</option></select></div>`, "#x", `{"function":"f","data":{},"form":{"n":"","r":"50","c":"#abcdef","c2":"#ff0000","c3":"#aabbcc","c4":"#000000","e":"a@b.c","s":"x","d":"yes please","e2":[]}`},
		{"multi-value: checkbox groups and single checkboxes", `<form><input type="checkbox" name="g" value="1" checked><input type="text" name="x" value="t"><input type="checkbox" name="g" value="2"><input type="checkbox" name="g" checked><input type="checkbox" name="none" value="a"><input type="checkbox" name="none" value="b"><input type="checkbox" name="one" value="v" checked><input type="hidden" name="h" value="0"><input type="checkbox" name="h" value="1" checked><button id="x"></button></form>`, "#x", `{"function":"f","data":{},"form":{"g":["1","on"],"x":"t","none":[],"one":true,"h":true}`},
		{"multi-value: the trigger's own field alone", `<div><input type="checkbox" id="x" name="g" value="1" checked><input type="checkbox" name="g" value="2" checked></div>`, "#x", `{"function":"f","data":{},"form":{"g":true}`},
		{"multi-value: a select multiple in a group of one", `<div><i id="x"></i><select name="s" multiple><optgroup label="o"><option value="1" selected>one</option></optgroup><option selected>  two  </option><option>3</option></select></div>`, "#x", `{"function":"f","data":{},"form":{"s":["1","two"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, doc := page(t, tc.body)
			el := find(t, doc, tc.sel)
			e := &Event{Function: "f", Data: CollectData(el), Form: CollectForm(el), Room: c.Room()}
			got := string(e.JSON())
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got  %s\nwant %s...", got, tc.want)
			}
		})
	}
}

func TestJSONEscaping(t *testing.T) {
	e := &Event{Function: "a\"b\\c\n\t\x01<&>\u2028é", Room: "r"}
	want := `{"function":"a\"b\\c\n\t\u0001<&>` + "\u2028" + `é","data":{},"form":{},"lang":null,"room":"r"}`
	if got := string(e.JSON()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestKeyStrings(t *testing.T) {
	for _, tc := range []struct {
		combo string
		want  string
	}{
		{"ctrl+s", "ctrl+s"},
		{"ctrl+shift+p", "ctrl+shift+p|ctrl+p"},
		{"shift+a", "shift+a|a"},
		{"shift+!", "shift+!"},
		{"Escape", "esc"},
		{"esc", "esc"},
		{"enter", "enter"},
		{"space", "space"},
		{"alt+meta+ArrowUp", "alt+meta+up"},
		{"+", "+"},
		{"ctrl++", "ctrl++"},
	} {
		k, err := ParseKey(tc.combo)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(k.Strings(), "|"); got != tc.want {
			t.Errorf("Strings of %q = %s, want %s", tc.combo, got, tc.want)
		}
	}
	if _, err := ParseKey("hyper+x"); err == nil {
		t.Error("hyper+x parsed")
	}
}

func TestParseAction(t *testing.T) {
	_, doc := page(t, `<button id="b"></button><div id="d"></div><input id="s" type="submit">`)
	b, d, s := find(t, doc, "#b"), find(t, doc, "#d"), find(t, doc, "#s")
	for _, tc := range []struct {
		el   *html.Node
		desc string
		ok   bool
		want string // Event|Global|Method|KeyFilter|options
	}{
		{b, "page#run", true, "click||run||"},
		{d, "page#run", false, ""},
		{s, "page#run", true, "click||run||"},
		{d, "keydown.ctrl+s@window->page#run:prevent:!once", true, "keydown|window|run|ctrl+s|prevent=true,once=false"},
		{d, "click.ctrl->page#run", true, "click.ctrl||run||"},
		{d, "ctrl+click->page#run", true, "click||run|ctrl|"},
		{d, "input->other#x", true, "input||x||"},
	} {
		a, ok := ParseAction(tc.el, 0, tc.desc)
		if ok != tc.ok {
			t.Errorf("%s: ok %v", tc.desc, ok)
			continue
		}
		if !ok {
			continue
		}
		var opts []string
		for _, o := range a.Options {
			opts = append(opts, o.Name+"="+map[bool]string{true: "true", false: "false"}[o.Value])
		}
		got := strings.Join([]string{a.Event, a.Global, a.Method, a.KeyFilter, strings.Join(opts, ",")}, "|")
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.desc, got, tc.want)
		}
	}
}

// sent returns the functions and data-n of the events of o.
func sent(o *Outcome) string {
	var out []string
	for _, e := range o.Events {
		n, _ := e.Data.Get("n")
		s, _ := n.(string)
		out = append(out, e.Function+":"+s)
	}
	return strings.Join(out, ",")
}

func TestGestures(t *testing.T) {
	c, doc := page(t, `
<div id="outer" data-liveview-function="outer" data-action="click->page#run" data-n="o">
  <button id="inner" data-liveview-function="inner" data-n="i" data-action="page#run">in</button>
  <button id="stop" data-action="click->page#stop">stop</button>
  <span id="plain">plain</span>
</div>
<input type="checkbox" id="cb" name="cb" data-liveview-function="cb" data-action="click->page#run">
<input type="checkbox" id="cc" name="cc" data-liveview-function="cc" data-action="change->page#run">
<form id="f" data-liveview-function="sub" data-action="submit->page#run"><input name="t" id="t" value="x"><button id="go">Go</button></form>
<form id="nf"><input name="q" id="q" required><button id="ngo">Go</button></form>
<input id="typed" name="typed" data-liveview-function="typed" data-action="change->page#run">
<div id="keys" data-liveview-keyboard-map='{"ctrl+s":"save","esc":"close"}'><input id="kin" name="k"></div>
<span id="w1" data-liveview-function="w1" data-action="keyup.x@window->page#run"></span>
<span id="w2" data-liveview-function="w2" data-action="keyup.y@window->page#run"></span>
<button id="once" data-liveview-function="once" data-action="page#run:once">once</button>
<span id="init" data-liveview-init="boot" data-n="init"></span>
<section data-controller="page"><button id="nested" data-liveview-function="nested" data-action="page#run"></button></section>
`)
	start := c.Connect(true)
	if got := sent(start); got != "boot:init" {
		t.Errorf("Connect sent %s", got)
	}
	if v, _ := Attr(find(t, doc, "#keys"), "tabindex"); v != "-1" {
		t.Errorf("keyboard map tabindex %q", v)
	}
	click := func(sel string) *Outcome {
		t.Helper()
		o, err := c.Click(find(t, doc, sel))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if got := sent(click("#inner")); got != "inner:i,outer:o" {
		t.Errorf("inner click sent %s (bubbling to #outer expected)", got)
	}
	if o := click("#stop"); sent(o) != "" || !o.Ran {
		t.Errorf("stop: sent %s, ran %v", sent(o), o.Ran)
	}
	if got := sent(click("#plain")); got != "outer:o" {
		t.Errorf("plain sent %s", got)
	}
	o := click("#cb")
	if v, _ := o.Events[0].Form.Get("cb"); v != true || Checked(find(t, doc, "#cb")) {
		t.Errorf("checkbox with click->page#run: sent %v, checked after %v; want true sent and the toggle undone", v, Checked(find(t, doc, "#cb")))
	}
	o = click("#cc")
	if v, _ := o.Events[0].Form.Get("cc"); v != true || !Checked(find(t, doc, "#cc")) {
		t.Errorf("checkbox with change->page#run: sent %v, checked %v", v, Checked(find(t, doc, "#cc")))
	}
	if o = click("#go"); sent(o) != "sub:" || o.Native != "" {
		t.Errorf("submit button: sent %s, native %q", sent(o), o.Native)
	}
	if o = click("#ngo"); o.Native != "" || len(o.Notes) == 0 {
		t.Errorf("required field empty: native %q, notes %q", o.Native, o.Notes)
	}
	if _, err := c.Fill(find(t, doc, "#q"), "x"); err != nil {
		t.Fatal(err)
	}
	if o = click("#ngo"); !strings.Contains(o.Native, "natively") {
		t.Errorf("unhandled submit: native %q", o.Native)
	}
	// change on leaving a field typed into.
	if o, _ = c.Fill(find(t, doc, "#typed"), "abc"); sent(o) != "" {
		t.Errorf("Fill sent %s", sent(o))
	}
	if o = click("#plain"); sent(o) != "typed:,outer:o" {
		t.Errorf("leaving a typed field: sent %s, want the change first", sent(o))
	}
	key := func(sel, combo string) *Outcome {
		t.Helper()
		k, err := ParseKey(combo)
		if err != nil {
			t.Fatal(err)
		}
		o, err := c.Key(find(t, doc, sel), k)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if got := sent(key("#kin", "ctrl+s")); got != "save:" {
		t.Errorf("ctrl+s in the map's child sent %s", got)
	}
	if got := sent(key("#kin", "Escape")); got != "close:" {
		t.Errorf("Escape sent %s", got)
	}
	if got := sent(key("#t", "Enter")); got != "sub:" {
		t.Errorf("Enter in a form field sent %s, want the implicit submit", got)
	}
	// The client's globalTrigger picks the element whose key filter let
	// the event through (it used to take the first keyup@window by document
	// order, so y sent w1's function).
	if got := sent(key("#plain", "y")); got != "w2:" {
		t.Errorf("keyup.y@window sent %s, want w2's function", got)
	}
	if got := sent(click("#once")) + "/" + sent(click("#once")); got != "once:/" {
		t.Errorf(":once sent %s", got)
	}
	if got := sent(click("#nested")); got != "nested:" {
		t.Errorf("nested controller sent %s", got)
	}
	// Loading states end with the answer; a class attribute stays, empty.
	b := find(t, doc, "#nested")
	if v, _ := Attr(b, "aria-busy"); v != "true" {
		t.Fatalf("no aria-busy while pending")
	}
	ref := c.lastRef
	c.ApplyFrame([]byte(`{"ref":` + strconv.Itoa(ref) + `}`))
	if v, ok := Attr(b, "class"); hasAttr(b, "aria-busy") || !ok || v != "" {
		t.Errorf("after the answer: aria-busy %v, class %q %v", hasAttr(b, "aria-busy"), v, ok)
	}
}

func TestApplyFrame(t *testing.T) {
	c, doc := page(t, `<div id="t"><p>old</p></div><table><tbody id="rows"></tbody></table><ul id="l"><li id="gone">x</li></ul>
<form id="mf"><input id="m" name="m" data-liveview-function="m" data-action="input->page#run"></form>`)
	c.Connect(true)
	apply := func(s string) *FrameResult {
		t.Helper()
		return c.ApplyFrame([]byte(s))
	}
	render := func(sel string) string {
		t.Helper()
		var b strings.Builder
		for ch := find(t, doc, sel).FirstChild; ch != nil; ch = ch.NextSibling {
			_ = html.Render(&b, ch)
		}
		return b.String()
	}
	apply(`{"target":"#t","html":"<b>new</b>","url":"/p?x=1","title":"New"}`)
	if got := render("#t"); got != "<b>new</b>" || c.Title() != "New" || c.URL().String() != "http://example.test/p?x=1" {
		t.Errorf("replace: %s, title %q, url %s", got, c.Title(), c.URL())
	}
	apply(`{"target":"#rows","html":"<tr><td>r</td></tr>","append":true}`)
	if got := render("#rows"); got != "<tr><td>r</td></tr>" {
		t.Errorf("append rows: %s", got)
	}
	apply(`{"target":"#gone","remove":true}`)
	if got := render("#l"); got != "" {
		t.Errorf("remove: %q", got)
	}
	if r := apply(`{"target":"#missing","html":"x","url":"/nope"}`); r.Applied || len(c.History()) != 2 {
		t.Errorf("missing target applied %v, history %v", r.Applied, c.History())
	}
	apply(`{"target":"#t","html":""}`)
	if got := render("#t"); got != "" {
		t.Errorf(`html "" left %q`, got)
	}
	apply(`{"target":"#t"}`)
	r := apply(`{"error":"Handler error","function":"x","ref":0}`)
	if !r.Error {
		t.Error("error frame not surfaced")
	}
	r = apply(`{"event":"cart:updated","eventData":{"n":1},"scroll":"#t","scrollTop":true}`)
	if r.Event == nil || r.Event.Name != "cart:updated" || string(r.Event.Detail) != `{"n":1}` || strings.Join(r.Scrolls, ",") != "#t,body" {
		t.Errorf("event/scroll: %+v %v", r.Event, r.Scrolls)
	}
	// Morph keeps the focused field's typed value.
	if _, err := c.Fill(find(t, doc, "#m"), "typed"); err != nil {
		t.Fatal(err)
	}
	apply(`{"target":"#mf","html":"<input id=\"m\" name=\"m\"><span>1</span>","morph":true}`)
	if got := render("#mf"); got != `<input id="m" name="m" value="typed"/><span>1</span>` {
		t.Errorf("morph: %s", got)
	}
	apply(`{"target":"#mf","html":"<input id=\"m\" name=\"m\"><span>2</span>"}`)
	if got := render("#mf"); got != `<input id="m" name="m"/><span>2</span>` {
		t.Errorf("replace after morph: %s", got)
	}
	// Inserted controllers send their inits; inserted key maps are bound.
	r = apply(`{"target":"#t","html":"<section data-controller=\"page\"><i data-liveview-init=\"late\"></i><div data-liveview-keyboard-map='{\"a\":\"b\"}'></div></section>"}`)
	if got := sent(r.Outcome); got != "late:" {
		t.Errorf("inserted controller's init: %s", got)
	}
	if v, _ := Attr(find(t, doc, "[data-liveview-keyboard-map]"), "data-keyboard-map-initialized"); v != "true" {
		t.Error("inserted keyboard map not bound")
	}
}

// TestFormattingAttrOrder: golang.org/x/net/html sorts the attributes of
// formatting elements (<a>, <b>, <i>...); the dataset keeps source order.
func TestFormattingAttrOrder(t *testing.T) {
	_, doc := page(t, `<a id="x" href="#" data-z="1" data-a="2"></a><b data-z="1" data-a="2"><i id="y" data-z="1" data-a="2"></i></b>`)
	for _, sel := range []string{"#x", "#y"} {
		if got := strings.Join(CollectData(find(t, doc, sel)).Keys(), ","); got != "z,a" {
			t.Errorf("%s: data keys %s, want z,a (source order)", sel, got)
		}
	}
	nodes, err := ParseFragment(`<b data-z="1" data-a="2">x</b>`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(CollectData(nodes[0]).Keys(), ","); got != "z,a" {
		t.Errorf("fragment: data keys %s, want z,a", got)
	}
}

func TestLoadsClient(t *testing.T) {
	for src, want := range map[string]bool{
		"/static/liveview/liveview.min.js":          true,
		"/static/liveview/liveview.js":              true,
		"/static/liveview/liveview.3f2a1b9c.min.js": true,
		"/prefix/liveview.min.js?v=2":               true,
		"/static/app.js":                            false,
		"/static/liveview/other.js":                 false,
	} {
		doc, err := ParseDocument(`<!DOCTYPE html><html><body><script src="` + src + `" defer></script></body></html>`)
		if err != nil {
			t.Fatal(err)
		}
		if got := LoadsClient(doc); got != want {
			t.Errorf("LoadsClient(%s) = %v", src, got)
		}
	}
	// The ES module starts nothing by itself: only a module that imports
	// it and calls start() loads the client.
	for script, want := range map[string]bool{
		`<script type="module" src="/static/liveview/liveview.esm.js"></script>`:                              false,
		`<script type="module">import { start } from "/static/liveview/liveview.esm.js"; start({});</script>`: true,
		`<script type="module">import * as lv from './liveview.esm.js';` + "\n" + `lv.start();</script>`:      true,
		`<script type="module">import { Controller } from "/static/liveview/liveview.esm.js";</script>`:       false,
		`<script>import { start } from "/static/liveview/liveview.esm.js"; start();</script>`:                 false,
	} {
		doc, err := ParseDocument(`<!DOCTYPE html><html><body>` + script + `</body></html>`)
		if err != nil {
			t.Fatal(err)
		}
		if got := LoadsClient(doc); got != want {
			t.Errorf("LoadsClient(%s) = %v", script, got)
		}
	}
}
