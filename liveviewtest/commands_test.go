package liveviewtest_test

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
)

// TestJSCommands: data-liveview-js changes the page without a frame; with a
// function the event follows; the js key of a frame runs after its target
// changed.
func TestJSCommands(t *testing.T) {
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<button id="menu-btn" data-action="page#run" data-liveview-js="toggle:#menu; toggle-class(open); set-attribute(aria-expanded=true)">Menu</button>
<ul id="menu" hidden><li>a</li></ul>
<button id="save" data-liveview-function="save" data-action="page#run" data-liveview-js="toggle-attribute(disabled); show:#spinner">Save</button>
<p id="spinner" hidden>saving</p>
<ul id="list"></ul>
<input id="q" name="q">`)}, func(h *liveview.Hub) {
		h.Handle("save", func(c *liveview.Context) error {
			return c.Send(liveview.Message{Target: "#list", HTML: "<li>saved</li>", Append: true,
				JS: "hide:#spinner; add-class(new):#list li:last-child; focus:#q"})
		})
	})
	page := liveviewtest.New(t, a.e).Open("/")
	page.Click("#menu-btn")
	if _, hidden := page.Attr("#menu", "hidden"); hidden {
		t.Error("#menu still hidden after toggle")
	}
	if got := page.HTML("#menu-btn"); !strings.Contains(got, `class="open"`) || !strings.Contains(got, `aria-expanded="true"`) {
		t.Errorf("the button: %s", got)
	}
	if n := len(page.Sent()); n != 0 {
		t.Errorf("a pure command sent %d frames", n)
	}
	page.Click("#save")
	if n := len(page.Sent()); n != 1 {
		t.Fatalf("command + event sent %d frames", n)
	}
	if _, disabled := page.Attr("#save", "disabled"); !disabled {
		t.Error("#save not disabled by its command")
	}
	if _, hidden := page.Attr("#spinner", "hidden"); !hidden {
		t.Error("the frame's js did not hide #spinner")
	}
	if c, _ := page.Attr("#list li", "class"); c != "new" {
		t.Errorf("the just-inserted item's class %q", c)
	}
	frames := page.Frames()
	if len(frames) == 0 || frames[len(frames)-1].JS != "hide:#spinner; add-class(new):#list li:last-child; focus:#q" {
		t.Errorf("frames %+v: the js key is not decoded into Message.JS", frames)
	}
}

// TestJSCommandFailures: a broken command fails the action, naming it.
func TestJSCommandFailures(t *testing.T) {
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<button id="bad" data-action="page#run" data-liveview-js="toggel:#menu">Bad</button><ul id="menu"></ul>`)}, nil)
	msg := failure(t, func(tb testing.TB) {
		liveviewtest.New(tb, a.e).Open("/").Click("#bad")
	})
	mustContain(t, "the failure", msg, `Click("#bad")`, `toggel:#menu`, "names no command")
}

// TestThrottleAndDebounce: alone, each action is followed by a long pause;
// within Quickly the windows stay open.
func TestThrottleAndDebounce(t *testing.T) {
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<input id="t" name="q" data-liveview-function="record" data-liveview-throttle="300" data-action="input->page#run">
<input id="d" name="q" data-liveview-function="record" data-liveview-debounce="300" data-action="input->page#run">
<div id="got"></div>`)}, func(h *liveview.Hub) { h.Handle("record", record) })
	page := liveviewtest.New(t, a.e).Open("/")
	typed := func(from int) string {
		var out []string
		for _, raw := range page.Sent()[from:] {
			ev, err := liveview.ParseEvent(raw)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ev.Form["q"].(string))
		}
		return strings.Join(out, ",")
	}
	burst := func(sel string) {
		page.Quickly(func() {
			for _, s := range []string{"a", "ab", "abc", "abcd"} {
				page.Fill(sel, s)
			}
		})
	}
	page.Fill("#t", "x")
	page.Fill("#t", "xy")
	if got := typed(0); got != "x,xy" {
		t.Errorf("throttled, one action each: sent %s", got)
	}
	n := len(page.Sent())
	burst("#t")
	if got := typed(n); got != "a,abcd" {
		t.Errorf("throttled, quickly: sent %s, want the first and the last", got)
	}
	if got := page.Text("#got"); !strings.Contains(got, `"q":"abcd"`) {
		t.Errorf("the trailing send was not answered before Quickly returned: %s", got)
	}
	n = len(page.Sent())
	burst("#d")
	if got := typed(n); got != "abcd" {
		t.Errorf("debounced, quickly: sent %s, want only the last", got)
	}
}

// TestPoll: Poll ticks; a removed element, a hidden page and an element
// without a valid interval do not.
func TestPoll(t *testing.T) {
	var ticks atomic.Int32
	a := newApp(t, liveview.Config{}, map[string]string{"/": doc(`
<div id="clock" data-liveview-poll="5000" data-liveview-function="tick" data-data-zone="utc"><span id="now">0</span></div>
<div id="bad" data-liveview-poll="soon" data-liveview-function="tick"></div>
<button id="stop" data-liveview-function="stop" data-action="page#run">Stop</button>
<button id="add" data-liveview-function="add" data-action="page#run">Add</button>
<div id="box"></div>`)}, func(h *liveview.Hub) {
		h.Handle("tick", func(c *liveview.Context) error {
			n := ticks.Add(1)
			b, _ := json.Marshal(c.Data("zone"))
			return c.HTML("#now", string(rune('0'+n))+string(b))
		})
		h.Handle("stop", func(c *liveview.Context) error { return c.Remove("#clock") })
		h.Handle("add", func(c *liveview.Context) error {
			return c.HTML("#box", `<i id="late" data-liveview-poll="1000" data-liveview-function="tick"></i>`)
		})
	})
	lt := liveviewtest.New(t, a.e)
	page := lt.Open("/")
	page.Poll("#clock")
	if got := page.Text("#now"); got != `1"utc"` {
		t.Errorf("after one tick: %q", got)
	}
	msg := failure(t, func(tb testing.TB) {
		p := liveviewtest.New(tb, a.e).Open("/")
		p.SetHidden(true)
		p.Poll("#clock")
	})
	mustContain(t, "a hidden page's Poll", msg, `Poll("#clock")`, "hidden")
	page.SetHidden(true)
	page.SetHidden(false) // back in front: polls tick again
	page.Click("#add")
	page.Poll("#late")
	page.Click("#stop")
	for sel, want := range map[string]string{"#clock": "no element matches", "#bad": "not a positive number"} {
		msg := failure(t, func(tb testing.TB) {
			p := liveviewtest.New(tb, a.e).Open("/")
			if sel == "#clock" {
				p.Click("#stop")
			}
			p.Poll(sel)
		})
		mustContain(t, "Poll("+sel+")", msg, want)
	}
	if n := ticks.Load(); n != 2 {
		t.Errorf("%d ticks handled, want 2", n)
	}
}
