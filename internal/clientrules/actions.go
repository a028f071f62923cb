package clientrules

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"golang.org/x/net/html"
)

// The Go copy of the part of Stimulus 3.2.2 (bundled in jsclient/dist) that
// decides which actions an event invokes: the action descriptor grammar,
// default events, key and mouse filters, action options and controller
// scopes.

// Action is one Stimulus action descriptor of a data-action attribute,
// such as "keydown.ctrl+s@window->page#run:prevent".
type Action struct {
	Element    *html.Node // the element carrying the data-action
	Index      int        // position of the descriptor in data-action
	Event      string     // event name (the element's default when omitted)
	Global     string     // "", "window" or "document"
	Options    []Option   // in the order written
	Identifier string     // controller identifier ("page")
	Method     string     // "run", "stop", ...
	KeyFilter  string     // "enter", "ctrl+s" for key events; "ctrl" in "ctrl+click"
}

// Option is one action option (":once", ":!prevent").
type Option struct {
	Name  string
	Value bool
}

// option returns the value of the option name and whether it is set.
func (a *Action) option(name string) (value, ok bool) {
	for _, o := range a.Options {
		if o.Name == name {
			value, ok = o.Value, true // Object.assign: the last one wins
		}
	}
	return value, ok
}

// listenerKey is Stimulus's Dispatcher.cacheKey: the event name and the
// options sorted, "!" marking false ones. Actions with equal keys on one
// event target share one DOM listener.
func (a *Action) listenerKey() string {
	seen := map[string]bool{}
	for _, o := range a.Options {
		seen[o.Name] = o.Value
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := []string{a.Event}
	for _, n := range names {
		if seen[n] {
			parts = append(parts, n)
		} else {
			parts = append(parts, "!"+n)
		}
	}
	return strings.Join(parts, ":")
}

// descriptorPattern is Stimulus 3.2.2's, unchanged.
var descriptorPattern = regexp.MustCompile(`^(?:(?:([^.]+?)\+)?(.+?)(?:\.(.+?))?(?:@(window|document))?->)?(.+?)(?:#([^:]+?))(?::(.+))?$`)

// ParseAction is Action.forToken: one descriptor of el's data-action.
// ok is false where Stimulus throws (no event name and no default event
// for el, no identifier, no method): such a descriptor binds nothing.
func ParseAction(el *html.Node, index int, descriptor string) (Action, bool) {
	m := descriptorPattern.FindStringSubmatch(strings.TrimSpace(descriptor))
	if m == nil {
		return Action{}, false
	}
	event, keyFilter := m[2], m[3]
	if keyFilter != "" && event != "keydown" && event != "keyup" && event != "keypress" {
		event += "." + keyFilter
		keyFilter = ""
	}
	if m[1] != "" {
		keyFilter = m[1]
	}
	a := Action{Element: el, Index: index, Event: event, Global: m[4], Identifier: m[5], Method: m[6], KeyFilter: keyFilter}
	if m[7] != "" {
		for _, t := range strings.Split(m[7], ":") {
			a.Options = append(a.Options, Option{Name: strings.TrimPrefix(t, "!"), Value: !strings.HasPrefix(t, "!")})
		}
	}
	if a.Event == "" {
		a.Event = DefaultEvent(el)
	}
	if a.Event == "" || a.Identifier == "" || a.Method == "" {
		return Action{}, false
	}
	return a, true
}

// DefaultEvent is Stimulus's getDefaultEventNameForElement: the event an
// action without one listens to, "" for elements that have none.
func DefaultEvent(el *html.Node) string {
	switch tag(el) {
	case "a", "button":
		return "click"
	case "form":
		return "submit"
	case "details":
		return "toggle"
	case "input":
		if v, _ := Attr(el, "type"); v == "submit" { // exact, as Stimulus compares
			return "click"
		}
		return "input"
	case "select":
		return "change"
	case "textarea":
		return "input"
	}
	return ""
}

// Actions returns the valid actions of el's data-action for identifier, in
// order.
func Actions(el *html.Node, identifier string) []Action {
	var out []Action
	for i, t := range tokens(attrOr(el, "data-action", "")) {
		if a, ok := ParseAction(el, i, t); ok && a.Identifier == identifier {
			out = append(out, a)
		}
	}
	return out
}

// ignoresKey is Action.shouldIgnoreKeyboardEvent. unknown reports a filter
// Stimulus does not know, for which it throws.
func (a *Action) ignoresKey(k Key) (ignore, unknown bool) {
	if a.KeyFilter == "" {
		return false, false
	}
	filters := strings.Split(a.KeyFilter, "+")
	if modifiersDiffer(k, filters) {
		return true, false
	}
	var standard string
	for _, f := range filters {
		if f != "meta" && f != "ctrl" && f != "alt" && f != "shift" {
			standard = f
			break
		}
	}
	if standard == "" {
		return false, false
	}
	want, ok := stimulusKeys[standard]
	if !ok {
		return true, true
	}
	return !strings.EqualFold(want, k.Key), false
}

// ignoresMouse is Action.shouldIgnoreMouseEvent: the whole filter is one
// modifier name, and the event's modifiers must be exactly it.
func (a *Action) ignoresMouse(k Key) bool {
	if a.KeyFilter == "" {
		return false
	}
	return modifiersDiffer(k, []string{a.KeyFilter})
}

// modifiersDiffer is Action.keyFilterDissatisfied.
func modifiersDiffer(k Key, filters []string) bool {
	has := func(m string) bool { return containsString(filters, m) }
	return k.Meta != has("meta") || k.Ctrl != has("ctrl") || k.Alt != has("alt") || k.Shift != has("shift")
}

// controllerSel finds the elements of a page controller.
var controllerSel = matcherFunc(func(n *html.Node) bool {
	return containsString(tokens(attrOr(n, "data-controller", "")), "page")
})

// Controllers returns the elements of doc's page controllers, in document
// order (the order Stimulus connects them).
func Controllers(doc *html.Node) []*html.Node {
	return withSelf(doc, controllerSel)
}

// ControllerOf returns the page controller that owns el (the nearest
// data-controller="page" element, el included), or nil.
func ControllerOf(el *html.Node) *html.Node {
	return Closest(el, controllerSel)
}

// owned is the page controller's owned(): the matches under root (root
// included) that belong to controller c, not to a nested one.
func owned(c, root *html.Node, m matcherFunc) []*html.Node {
	var out []*html.Node
	for _, el := range withSelf(root, m) {
		if ControllerOf(el) == c {
			out = append(out, el)
		}
	}
	return out
}

// binding is an action bound in a controller's context: Stimulus makes one
// for every page action inside a controller's element, nested controllers'
// elements included, and Binding.willBeInvokedByEvent sorts out which one
// runs.
type binding struct {
	controller *html.Node
	action     Action
}

// bindingsOn returns the bindings of doc that may have a listener on the
// nodes of path (an event's path: elements, the document, window), in the
// order Stimulus connects them: controllers in document order, then their
// elements in document order, then the descriptors in order. Only the
// bindings of path's elements and the global ones (@window, @document,
// whose descriptors hold an "@") are parsed: the other elements' are on
// themselves, off the path, so an event costs no descriptor parsing for
// the thousands of rows of a big page.
func bindingsOn(doc *html.Node, path []*html.Node) []binding {
	// One walk finds the controllers and the elements that matter, in
	// document order.
	var ctrls, els []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if controllerSel(n) {
				ctrls = append(ctrls, n)
			}
			if v, ok := Attr(n, "data-action"); ok && (strings.Contains(v, "@") || slices.Contains(path, n)) {
				els = append(els, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	var out []binding
	for _, c := range ctrls {
		for _, el := range els {
			if contains(c, el) {
				for _, a := range Actions(el, "page") {
					out = append(out, binding{controller: c, action: a})
				}
			}
		}
	}
	return out
}

// willBeInvoked is Binding.willBeInvokedByEvent, without the key and mouse
// filters: an event targeted inside the controller's element must not come
// from a nested controller's element.
func (b *binding) willBeInvoked(target *html.Node) bool {
	if b.controller == target {
		return true
	}
	if isElement(target) && contains(b.controller, target) {
		return ControllerOf(target) == b.controller
	}
	return ControllerOf(b.action.Element) == b.controller
}
