package clientrules

import (
	"bytes"
	"encoding/json"
	"math"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// The Go copy of jsclient/src/render.js: applying one server frame, in
// Django LiveView's order (target: html / append / remove / morph, url,
// title; then stream, in stream.go; then js, our JS commands; then flash,
// scroll, scrollTop; then event, error, ref and redirect), plus what the
// page controllers' MutationObservers and Stimulus do with inserted HTML.
//
// Two things the browser does cannot happen here and are left out: inline
// scripts of fragments do not run (they stay in the DOM, inert, as the
// client leaves them), and a morph is simplified: the target's children are
// replaced by the new ones, which is the content a morph must produce,
// except that the focused text field keeps what was typed into it when the
// new HTML has a field with the same id (else the same tag and name), as
// idiomorph's ignoreActiveValue does. Nodes a real morph would keep (and
// their intersection and keyboard-map markers, which idiomorph strips
// because the new HTML lacks them) are new nodes here, scanned afresh.

// FrameResult is what one frame did.
type FrameResult struct {
	// Object is false for a frame that is not a JSON object: the client
	// ignores it.
	Object bool
	// Ref is the frame's ref (0 for none): that event's loading state ended.
	Ref int
	// Once is the frame's "once" key, the answer to a duplicate event id
	// ("replayed", "processed", "retry"); "" for none. With "retry" the
	// loading state goes on and the event stays pending (socket.js).
	Once string
	// Applied reports that the frame had a target and it was found.
	Applied bool
	// Streamed reports that the frame had a stream and its container was
	// found.
	Streamed bool
	// Scrolls are the selectors scrolled into view: the frame's scroll,
	// then "body" for scrollTop.
	Scrolls []string
	// Event is the CustomEvent dispatched on document ("event" key).
	Event *CustomEvent
	// Error reports an error frame the client surfaces (error without
	// target): the liveview:error CustomEvent.
	Error bool
	// Redirect is the URL the frame's redirect loads (location.assign),
	// resolved against the page's; nil when it has none or the client
	// refused it (not http, https or relative: see Outcome.Notes).
	Redirect *url.URL
	// Carried are the flash messages the redirect takes along in the tab's
	// sessionStorage (a redirect to the page's own origin only): the next
	// page shows them (RestoreFlashes).
	Carried []Flash
	// Upload is the frame's "upload" object (an upload accepted, a chunk
	// acknowledged, a refusal), handed to the upload code; nil when none.
	// The frame does nothing else to the page.
	Upload json.RawMessage
	// Outcome holds the init events of page controllers the frame
	// inserted and the events its JS commands made (a dispatch a page#run
	// listens to), and the client's console messages (target not found...).
	Outcome *Outcome
}

// CustomEvent is a CustomEvent dispatched on document.
type CustomEvent struct {
	Name   string
	Detail json.RawMessage // nil when the frame had no eventData
}

// ApplyFrame is handleFrame(raw): it parses and applies one frame. It never
// fails; what the client would log is in the result's Outcome.Notes.
func (c *Client) ApplyFrame(raw []byte) *FrameResult {
	c.begin()
	res := &FrameResult{}
	defer func() { res.Outcome = c.end() }()
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		if err != nil && !validJSON(raw) {
			c.note("LiveView: invalid JSON frame")
		}
		return res
	}
	res.Object = true
	if u, ok := f["upload"]; ok && truthy(u) {
		res.Upload = append(json.RawMessage(nil), u...)
	}
	if truthy(f["target"]) {
		res.Applied = c.renderTarget(f)
	}
	if truthy(f["stream"]) {
		res.Streamed = c.applyStream(f["stream"]) // stream.go
	}
	if truthy(f["js"]) {
		c.runJS(jsValueString(f["js"]), nil)
	}
	c.flashFrame(f["flash"])
	if truthy(f["scroll"]) {
		res.Scrolls = append(res.Scrolls, jsValueString(f["scroll"]))
	}
	if truthy(f["scrollTop"]) {
		res.Scrolls = append(res.Scrolls, "body")
	}
	var name string
	if json.Unmarshal(f["event"], &name) == nil && name != "" {
		res.Event = &CustomEvent{Name: name}
		if d, ok := f["eventData"]; ok {
			res.Event.Detail = append(json.RawMessage(nil), d...)
		}
	}
	if truthy(f["error"]) && !truthy(f["target"]) {
		res.Error = true
	}
	var ref float64
	if json.Unmarshal(f["ref"], &ref) == nil && ref > 0 && ref == math.Trunc(ref) && ref <= 1<<53 {
		res.Ref = int(ref)
		_ = json.Unmarshal(f["once"], &res.Once)
		if res.Once != "retry" {
			c.finishLoading(res.Ref)
		}
	}
	var to string
	if json.Unmarshal(f["redirect"], &to) == nil && isJSONString(f["redirect"]) {
		c.redirect(to, res)
	}
	return res
}

func validJSON(b []byte) bool { return json.Valid(b) }

// isJSONString reports a JSON string (typeof v === "string").
func isJSONString(v json.RawMessage) bool {
	s := strings.TrimSpace(string(v))
	return s != "" && s[0] == '"'
}

// target is render.js's query(selector) of a frame's target: the first
// match, else nil with the console's message (invalid selector, not found).
func (c *Client) target(sel string) *html.Node {
	m, err := Compile(sel)
	if err != nil {
		c.note("LiveView: invalid selector " + sel)
		return nil
	}
	el := Query(c.doc, m)
	if el == nil {
		c.note("LiveView: target " + sel + " not found")
	}
	return el
}

// renderTarget changes the target element; url and title apply only when
// the target exists (upstream semantics). It reports whether it existed.
func (c *Client) renderTarget(f map[string]json.RawMessage) bool {
	el := c.target(jsValueString(f["target"]))
	if el == nil {
		return false
	}
	if truthy(f["url"]) {
		c.pushURL(jsValueString(f["url"]))
	}
	html, hasHTML := f["html"]
	hasHTML = hasHTML && !bytes.Equal(bytes.TrimSpace(html), []byte("null"))
	switch {
	case truthy(f["remove"]):
		if contains(el, c.active) {
			c.active = nil
		}
		if el.Parent != nil {
			el.Parent.RemoveChild(el)
		}
	case hasHTML:
		c.insert(el, jsValueString(html), truthy(f["append"]), truthy(f["morph"]))
	}
	if truthy(f["title"]) {
		c.setTitle(jsValueString(f["title"]))
	}
	return true
}

// pushURL is history.js's pushUrl as the page sees it: the URL, resolved
// against the current one, becomes a new history entry, forward entries
// dropped; another origin is refused by pushState (logged, not pushed).
func (c *Client) pushURL(s string) {
	u, err := c.url.Parse(s)
	if err != nil {
		c.note("LiveView: cannot push URL " + s)
		return
	}
	if u.Scheme != c.url.Scheme || u.Host != c.url.Host {
		c.note("LiveView: cannot push URL " + s + " (another origin)")
		return
	}
	c.url = u
	c.history = append(c.history, u.String())
}

// insert parses html as <template> does and appends it to el, morphs el
// into it (simplified, see above) or replaces el's children with it; then
// the inserted elements are scanned and inserted page controllers send
// their inits.
func (c *Client) insert(el *html.Node, s string, appendHTML, morph bool) {
	nodes, err := ParseFragment(s)
	if err != nil {
		c.note("LiveView: cannot parse fragment: " + err.Error())
		return
	}
	var keep *html.Node // the focused field whose typed value survives a morph
	if !appendHTML {
		if contains(el, c.active) && el != c.active {
			if morph && IsTextField(c.active) {
				keep = c.active
			}
			c.active = nil
		}
		removeChildren(el)
	}
	for _, n := range nodes {
		el.AppendChild(n)
	}
	if keep != nil {
		if twin := counterpart(nodes, keep); twin != nil {
			SetValue(twin, rawValue(keep))
			c.active = twin
			if c.dirty[keep] {
				c.dirty[twin] = true
			}
		}
	}
	c.inserted(nodes)
}

// counterpart finds, among nodes and their descendants, the text field
// idiomorph would morph old into: the same id, else the same tag and name.
func counterpart(nodes []*html.Node, old *html.Node) *html.Node {
	id, hasID := Attr(old, "id")
	name := attrOr(old, "name", "")
	var byName *html.Node
	for _, root := range nodes {
		for _, n := range withSelf(root, matcherFunc(IsTextField)) {
			if hasID && id != "" {
				if v, _ := Attr(n, "id"); v == id {
					return n
				}
				continue
			}
			if byName == nil && tag(n) == tag(old) && name != "" && attrOr(n, "name", "") == name {
				byName = n
			}
		}
	}
	return byName
}

// rawValue is what was typed into a text field: its value attribute or its
// textarea text.
func rawValue(n *html.Node) string {
	if tag(n) == "textarea" {
		return TextContent(n)
	}
	return attrOr(n, "value", "")
}

// inserted handles nodes just added to the page: Stimulus connects the
// page controllers among them (each observes its intersections, binds its
// keyboard maps, then sends its inits) and the controllers observing the
// insertion point scan the rest.
func (c *Client) inserted(nodes []*html.Node) {
	var fresh []*html.Node
	for _, n := range nodes {
		if !isElement(n) || documentOf(n) != c.doc {
			continue
		}
		for _, ctrl := range withSelf(n, controllerSel) {
			c.scan(ctrl, ctrl)
			fresh = append(fresh, ctrl)
		}
		for _, el := range withSelf(n, matcherFunc(func(e *html.Node) bool { return intersectSel(e) || keymapSel(e) || pollSel(e) })) {
			if ctrl := ControllerOf(el); ctrl != nil && !containsNode(fresh, ctrl) {
				c.scan(ctrl, el)
			}
		}
	}
	for _, ctrl := range fresh {
		c.runInits(ctrl)
	}
}

func containsNode(list []*html.Node, n *html.Node) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// truthy is JavaScript truthiness of a JSON value; absent is falsy.
func truthy(v json.RawMessage) bool {
	s := strings.TrimSpace(string(v))
	switch {
	case s == "", s == "null", s == "false", s == `""`:
		return false
	case s[0] == '-' || (s[0] >= '0' && s[0] <= '9'):
		var f float64
		return json.Unmarshal(v, &f) == nil && f != 0
	}
	return true
}

// jsValueString is String(v) for a JSON value.
func jsValueString(v json.RawMessage) string {
	var x any
	if json.Unmarshal(v, &x) != nil {
		return ""
	}
	return jsString(x)
}
