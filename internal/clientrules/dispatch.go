package clientrules

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// DOM event dispatch as far as the client can see it: the capture, target
// and bubble phases over the element's ancestors, the document and the
// window; the DOM listeners Stimulus adds for page actions (one per event
// target, event name and options, in the order they were created, each
// running its bindings sorted by descriptor index) and the keydown
// listeners of keyboard maps (added after Stimulus's, when the controller
// connects).

// Event kinds decide which Stimulus filter applies.
const (
	kindOther    = iota
	kindKeyboard // KeyboardEvent: key filters
	kindMouse    // MouseEvent (click): modifier filters
)

// window stands for the window in event paths and :once bookkeeping.
var window = &html.Node{Type: html.RawNode, Data: "window"}

// domEvent is one event being dispatched.
type domEvent struct {
	typ        string
	kind       int
	bubbles    bool
	cancelable bool
	key        Key
	target     *html.Node

	canceled   bool // defaultPrevented
	stopped    bool // stopPropagation
	stoppedNow bool // stopImmediatePropagation
	globalSeen int  // page_controller.js's globalCalls for this event
}

func (e *domEvent) preventDefault(passive bool) {
	if e.cancelable && !passive {
		e.canceled = true
	}
}

// listener is one DOM listener on an event target.
type listener struct {
	key      string
	event    string
	capture  bool
	once     bool
	passive  bool
	bindings []binding
	keymap   map[string]string // non-nil: a keyboard map's keydown listener
}

// listenersOn returns the listeners of target (an element, the document or
// window) in the order they were added.
func (c *Client) listenersOn(target *html.Node, all []binding) []*listener {
	var out []*listener
	byKey := map[string]*listener{}
	for _, b := range all {
		a := b.action
		switch {
		case target == window && a.Global == "window":
		case target == c.doc && a.Global == "document":
		case a.Global == "" && a.Element == target:
		default:
			continue
		}
		k := a.listenerKey()
		l := byKey[k]
		if l == nil {
			l = &listener{key: k, event: a.Event}
			l.capture, _ = a.option("capture")
			l.once, _ = a.option("once")
			l.passive, _ = a.option("passive")
			byKey[k] = l
			out = append(out, l)
		}
		l.bindings = append(l.bindings, b)
	}
	for _, l := range out {
		sortStable(l.bindings)
	}
	if m := c.keymaps[target]; m != nil {
		out = append(out, &listener{key: "keymap", event: "keydown", keymap: m})
	}
	return out
}

// sortStable sorts bindings by descriptor index, keeping the connection
// order of equal ones (Array.prototype.sort is stable).
func sortStable(bs []binding) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].action.Index < bs[j-1].action.Index; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
}

// dispatch dispatches ev at target and returns it (canceled tells whether a
// listener prevented the default action).
func (c *Client) dispatch(target *html.Node, ev *domEvent) *domEvent {
	ev.target = target
	// The path, target first: its ancestors up to <html>, the document, the
	// window; a detached target has only itself.
	var path []*html.Node
	for n := target; n != nil; n = n.Parent {
		path = append(path, n)
	}
	if len(path) > 0 && path[len(path)-1] == c.doc {
		path = append(path, window)
	}
	all := bindingsOn(c.doc, path)
	phase := func(at *html.Node, capture bool) {
		for _, l := range c.listenersOn(at, all) {
			if l.event != ev.typ || l.capture != capture || ev.stoppedNow {
				continue
			}
			if l.once {
				k := onceKey{at, l.key}
				if c.once[k] {
					continue
				}
				c.once[k] = true
			}
			c.handle(l, at, ev)
		}
	}
	for i := len(path) - 1; i > 0 && !ev.stopped; i-- { // capture
		phase(path[i], true)
	}
	if !ev.stopped { // at target: capture listeners, then the others
		phase(target, true)
		if !ev.stoppedNow {
			phase(target, false)
		}
	}
	for i := 1; ev.bubbles && i < len(path) && !ev.stopped; i++ { // bubble
		phase(path[i], false)
	}
	return ev
}

// handle runs one listener: a keyboard map's, or Stimulus's
// EventListener.handleEvent over its bindings.
func (c *Client) handle(l *listener, at *html.Node, ev *domEvent) {
	if l.keymap != nil {
		for _, s := range ev.key.Strings() {
			if name, ok := l.keymap[s]; ok {
				ev.preventDefault(false)
				c.out.Ran = true
				c.execute(at, &name, "keyboard")
				return
			}
		}
		return
	}
	for _, b := range l.bindings {
		if ev.stoppedNow {
			return
		}
		a := &b.action
		switch ev.kind {
		case kindKeyboard:
			ignore, unknown := a.ignoresKey(ev.key)
			if unknown {
				// Stimulus throws out of the listener: the other bindings
				// of this listener do not run either.
				c.note("Stimulus: " + a.Event + "." + a.KeyFilter + " contains unknown key filter: " + a.KeyFilter)
				return
			}
			if ignore {
				continue
			}
		case kindMouse:
			if a.ignoresMouse(ev.key) {
				continue
			}
		}
		if !b.willBeInvoked(ev.target) || !c.applyOptions(a, ev, l.passive) {
			continue
		}
		switch a.Method {
		case "run":
			c.out.Ran = true
			c.run(ev, at, &b, l.passive)
		case "stop":
			c.out.Ran = true
			ev.stopped = true
		default:
			c.note(`Stimulus: Action "` + a.Event + "->page#" + a.Method + `" references undefined method "` + a.Method + `"`)
		}
	}
}

// applyOptions is Binding.applyEventModifiers with Stimulus's default
// filters: stop, prevent, self, in the order written, stopping at the first
// that fails.
func (c *Client) applyOptions(a *Action, ev *domEvent, passive bool) bool {
	pass := true
	for _, o := range a.Options {
		if !pass {
			break
		}
		switch o.Name {
		case "stop":
			if o.Value {
				ev.stopped = true
			}
		case "prevent":
			if o.Value {
				ev.preventDefault(passive)
			}
		case "self":
			if o.Value {
				pass = a.Element == ev.target
			}
		}
	}
	return pass
}

// run is the page controller's run(event): the element's JS commands, then
// its function, at once, debounced or throttled.
func (c *Client) run(ev *domEvent, at *html.Node, b *binding, passive bool) {
	ev.preventDefault(passive)
	el := at
	if at == window || at == c.doc {
		el = c.globalTrigger(ev, b.controller)
	}
	if el == nil {
		c.note("LiveView: page#run must be bound to an element")
		return
	}
	// JS commands run at once; with no function they are all there is.
	if js, ok := Attr(el, "data-liveview-js"); ok {
		c.runJS(js, el)
		if !hasAttr(el, "data-liveview-function") {
			return
		}
	}
	if ms, ok := parseInt(attrOr(el, "data-liveview-debounce", "")); ok && ms != 0 {
		// A debounced run fires when the gesture ends (or Release comes),
		// the last one armed last.
		for i, d := range c.debounced {
			if d == el {
				c.debounced = append(c.debounced[:i:i], c.debounced[i+1:]...)
				break
			}
		}
		c.debounced = append(c.debounced, el)
		return
	}
	if ms, ok := parseInt(attrOr(el, "data-liveview-throttle", "")); ok && ms > 0 {
		// The first run of a window sends at once; the others make one
		// send when the window ends: with the gesture (or at Release).
		if !c.throttled[el] {
			c.throttled[el] = true
			c.execute(el, functionOf(el), "")
		} else if !containsNode(c.debounced, el) {
			c.debounced = append(c.debounced, el)
		}
		return
	}
	c.execute(el, functionOf(el), "")
}

var (
	globalAction = regexp.MustCompile(`^([\w:.+-]+)@(window|document)->page#run\b`)
	whitespace   = regexp.MustCompile(`\s+`)
)

// globalTrigger is the page controller's globalTrigger(event): the elements
// ctrl owns whose data-action has an @window or @document page#run binding
// for this event type whose key filter, if any, lets the event through, in
// document order; each invocation for the same event takes the next one.
func (c *Client) globalTrigger(ev *domEvent, ctrl *html.Node) *html.Node {
	var matches []*html.Node
	for _, el := range owned(ctrl, ctrl, matcherFunc(func(n *html.Node) bool { return hasAttr(n, "data-action") })) {
		for _, d := range whitespace.Split(attrOr(el, "data-action", ""), -1) {
			m := globalAction.FindStringSubmatch(d)
			if m == nil {
				continue
			}
			typ, filter, _ := strings.Cut(m[1], ".")
			if typ == ev.typ && passesKeyFilter(filter, ev) {
				matches = append(matches, el)
				break
			}
		}
	}
	seen := ev.globalSeen
	ev.globalSeen++
	if seen < len(matches) {
		return matches[seen]
	}
	return nil
}

// passesKeyFilter is page_controller.js's passesKeyFilter: Stimulus's
// shouldIgnoreKeyboardEvent, negated, for a keyboard event (other events
// pass).
func passesKeyFilter(filter string, ev *domEvent) bool {
	if filter == "" || ev.kind != kindKeyboard {
		return true
	}
	a := Action{KeyFilter: filter}
	ignore, unknown := a.ignoresKey(ev.key)
	return !ignore && !unknown
}

// parseInt is JavaScript's parseInt(s, 10); ok is false for NaN.
func parseInt(s string) (int, bool) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	start := end
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == start {
		return 0, false
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil { // beyond int: a huge debounce is still a debounce
		if s[0] == '-' {
			return -1 << 31, true
		}
		return 1 << 31, true
	}
	return n, true
}
