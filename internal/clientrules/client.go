package clientrules

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// Client is the state the bundled client keeps for one page, without the
// network: the document, the history list, refs and loading states,
// bound keyboard maps and observed elements, the focused field. Its
// gestures (Click, Fill, ...) return the events the page would send; its
// ApplyFrame changes the document as render.js does. A Client is not safe
// for concurrent use.
type Client struct {
	doc     *html.Node
	room    string
	url     *url.URL
	history []string

	lastRef int
	tab     string                    // socket.js's tab: the prefix of event ids
	secret  string                    // socket.js's page secret: ?page= on every handshake
	pending map[int]*html.Node        // ref -> trigger (loading.js)
	busy    map[*html.Node]*busyState // trigger -> loading state

	keymaps  map[*html.Node]map[string]string // bound keyboard maps
	observed map[*html.Node]bool              // elements with intersection markers
	once     map[onceKey]bool                 // :once listeners already used
	active   *html.Node                       // document.activeElement, nil for <body>
	dirty    map[*html.Node]bool              // typed into since focused: change on blur
	flashes  []*flashMsg                      // flash.js's shown, in order
	expired  bool                             // the socket closed with 4401
	kicked   string                           // the banner's text after a close 4403, "" before
	warned   map[string]bool                  // warn.js's texts already logged
	files    map[*html.Node][]File            // the files chosen in file inputs (upload.go)

	out       *Outcome            // the gesture in progress
	debounced []*html.Node        // debounced runs and throttled ends waiting to fire, in firing order
	throttled map[*html.Node]bool // elements whose throttle window is open
	holding   bool                // Hold: gestures stay within every window
	polls     map[*html.Node]bool // elements that poll (data-liveview-poll)
	hidden    bool                // document.hidden (SetHidden)
	jsDepth   int                 // runJS calls in progress (dispatch may nest them)
}

// Outcome is what one gesture or frame made the page do.
type Outcome struct {
	// Events are the frames the page sends, in order, refs assigned.
	Events []*Event
	// Ran reports that a page action (page#run, page#stop), a keyboard
	// map or a listener of the client (a flash message's close button)
	// handled an event, whether or not anything was sent.
	Ran bool
	// Changed reports a field whose value or checked state changed.
	Changed bool
	// Native describes what the browser would do itself instead of the
	// client ("submits the form natively (a full page load)", "follows the
	// link to /x"), "" when nothing.
	Native string
	// Notes are what the client or Stimulus would log (console.error,
	// console.warn), and why a submit did not happen.
	Notes []string
}

type busyState struct {
	count    int
	text     *string
	disabled bool
}

type onceKey struct {
	target *html.Node
	key    string
}

// New returns the client of doc, the page at pageURL, connected to room
// (see ResolveRoom).
func New(doc *html.Node, pageURL *url.URL, room string) *Client {
	u := *pageURL
	secret, tab := newTab()
	return &Client{
		secret:    secret,
		doc:       doc,
		room:      room,
		url:       &u,
		history:   []string{pageURL.String()},
		tab:       tab,
		pending:   map[int]*html.Node{},
		busy:      map[*html.Node]*busyState{},
		keymaps:   map[*html.Node]map[string]string{},
		observed:  map[*html.Node]bool{},
		once:      map[onceKey]bool{},
		dirty:     map[*html.Node]bool{},
		throttled: map[*html.Node]bool{},
		polls:     map[*html.Node]bool{},
		warned:    map[string]bool{},
	}
}

// ResolveRoom is room.js's resolveRoom without legacyRoomStorage: <html
// data-room> trimmed, else a random UUID v4 written back to it.
func ResolveRoom(doc *html.Node) string {
	root := DocumentElement(doc)
	room := strings.TrimSpace(attrOr(root, "data-room", ""))
	if room == "" {
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		room = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
		if root != nil {
			SetAttr(root, "data-room", room)
		}
	}
	return room
}

// Doc returns the document. Callers must not keep nodes across frames.
func (c *Client) Doc() *html.Node { return c.doc }

// Room returns the connection's room.
func (c *Client) Room() string { return c.room }

// URL returns the current URL (location.href).
func (c *Client) URL() *url.URL { u := *c.url; return &u }

// History returns the URLs of the history list, the opened page first.
func (c *Client) History() []string { return append([]string(nil), c.history...) }

// Active returns the focused element, nil for none (<body>).
func (c *Client) Active() *html.Node { return c.active }

var titleSel = mustCompile("title")

// Title is document.title: the first <title>'s text, whitespace stripped and
// collapsed.
func (c *Client) Title() string {
	return stripAndCollapse(TextContent(Query(c.doc, titleSel)))
}

// setTitle is the document.title setter.
func (c *Client) setTitle(s string) {
	if t := Query(c.doc, titleSel); t != nil {
		setTextContent(t, s)
		return
	}
	if head := childElement(DocumentElement(c.doc), "head"); head != nil {
		t := &html.Node{Type: html.ElementNode, Data: "title"}
		head.AppendChild(t)
		setTextContent(t, s)
	}
}

// lang is <html lang> as getAttribute returns it: nil when absent.
func (c *Client) lang() *string {
	if v, ok := Attr(DocumentElement(c.doc), "lang"); ok {
		return &v
	}
	return nil
}

// Connect does what the page does once the client has started: every page
// controller observes its intersections and binds its keyboard maps, the
// #no-connection banner is hidden (the socket opened), then each
// controller sends its data-liveview-init events, in document order
// (unless inits is false).
func (c *Client) Connect(inits bool) *Outcome {
	c.begin()
	ctrls := Controllers(c.doc)
	for _, ctrl := range ctrls {
		c.scan(ctrl, ctrl)
	}
	c.banner(false, "")
	for _, ctrl := range ctrls {
		if inits {
			c.runInits(ctrl)
		}
	}
	return c.end()
}

// CloseSessionExpired is the close code of an expired session
// (liveview.CloseSessionExpired).
const CloseSessionExpired = 4401

// ExpiredMessage is webSocketConfig.expiredMessage's default, the banner's
// text after a close 4401.
const ExpiredMessage = "Your session has expired. Reloading..."

// CloseDisconnected is the close code of Hub.Disconnect
// (liveview.CloseDisconnected).
const CloseDisconnected = 4403

// DisconnectedMessage is webSocketConfig.disconnectedMessage's default,
// the banner's text after a close 4403 whose reason has no text.
const DisconnectedMessage = "You have been disconnected."

// disconnectedPrefix starts the text in a close 4403's reason
// ("liveview:disconnected:<text>"); socket.js takes reason.slice(22).
const disconnectedPrefix = "liveview:disconnected:"

// Disconnected shows the #no-connection banner for a socket that closed
// with code and reason, for any code but 1000 (normal), as socket.js does
// before reconnecting; for 4401 (the session expired) with ExpiredMessage
// as its text, and the client does not reconnect: the page reloads
// (Expired); for 4403 (Hub.Disconnect) with the reason's text after
// "liveview:disconnected:", else DisconnectedMessage, and the client
// never reconnects (Kicked).
func (c *Client) Disconnected(code int, reason string) {
	switch code {
	case 1000:
	case CloseSessionExpired:
		c.expired = true
		c.banner(true, ExpiredMessage)
	case CloseDisconnected:
		c.kicked = DisconnectedMessage
		if len(reason) > len(disconnectedPrefix) { // slice(22) of a shorter reason is ""
			c.kicked = reason[len(disconnectedPrefix):]
		}
		c.banner(true, c.kicked)
	default:
		c.banner(true, "")
	}
}

// Kicked reports whether the socket closed with 4403 (Hub.Disconnect),
// and the text the banner shows: in a browser the page stays as it is and
// never reconnects, until it is loaded again.
func (c *Client) Kicked() (bool, string) { return c.kicked != "", c.kicked }

// Expired reports whether the socket closed with 4401: in a browser the
// page now reloads, after one to five seconds.
func (c *Client) Expired() bool { return c.expired }

// banner is banner.js's showBanner (show, with text replacing its content
// when not empty) and hideBanner.
func (c *Client) banner(show bool, text string) {
	el := getElementByID(c.doc, "no-connection")
	if el == nil {
		return
	}
	if text != "" {
		setTextContent(el, text)
	}
	if show {
		classListAdd(el, "no-connection--show")
		classListRemove(el, "no-connection--hide")
	} else {
		classListAdd(el, "no-connection--hide")
		classListRemove(el, "no-connection--show")
	}
}

var (
	intersectSel = matcherFunc(func(n *html.Node) bool {
		return hasAttr(n, "data-liveview-intersect-appear") || hasAttr(n, "data-liveview-intersect-disappear")
	})
	keymapSel = matcherFunc(func(n *html.Node) bool { return hasAttr(n, "data-liveview-keyboard-map") })
	initSel   = matcherFunc(func(n *html.Node) bool { return hasAttr(n, "data-liveview-init") })
	pollSel   = matcherFunc(func(n *html.Node) bool { return hasAttr(n, "data-liveview-poll") })
	focusSel  = mustCompile("a[href], button, input, select, textarea, [contenteditable]")
)

// scan is the page controller's scan(root): observe intersections, bind
// keyboard maps, start polls, for the elements under root that ctrl owns.
func (c *Client) scan(ctrl, root *html.Node) {
	for _, el := range owned(ctrl, root, intersectSel) {
		c.observe(el)
	}
	for _, el := range owned(ctrl, root, keymapSel) {
		c.bindKeyboardMap(el)
	}
	for _, el := range owned(ctrl, root, pollSel) {
		if ms, ok := parseInt(attrOr(el, "data-liveview-poll", "")); ok && ms > 0 {
			c.polls[el] = true // every max(ms, 100) ms, which Poll stands for
		}
	}
}

// observe is Intersections.observe: mark el (once) with
// data-intersection-observed and data-intersection-threshold-used.
func (c *Client) observe(el *html.Node) {
	if attrOr(el, "data-intersection-observed", "") == "true" {
		return
	}
	key := "0"
	if px, ok := parseInt(attrOr(el, "data-liveview-intersect-threshold", "")); ok && px > 0 {
		key = fmt.Sprint(px)
	}
	SetAttr(el, "data-intersection-observed", "true")
	SetAttr(el, "data-intersection-threshold-used", key)
	c.observed[el] = true
}

// bindKeyboardMap is keyboard.js's bindKeyboardMap.
func (c *Client) bindKeyboardMap(el *html.Node) {
	if attrOr(el, "data-keyboard-map-initialized", "") == "true" {
		return
	}
	m, problems, err := ParseKeyMap(attrOr(el, "data-liveview-keyboard-map", ""))
	if err != nil {
		c.note("LiveView: invalid data-liveview-keyboard-map on " + Describe(el))
		return
	}
	for _, p := range problems {
		c.note("LiveView: " + p)
	}
	if !hasAttr(el, "tabindex") && !focusSel.Match(el) {
		SetAttr(el, "tabindex", "-1")
	}
	SetAttr(el, "data-keyboard-map-initialized", "true")
	c.keymaps[el] = m
}

// runInits sends every data-liveview-init that ctrl owns.
func (c *Client) runInits(ctrl *html.Node) {
	for _, el := range owned(ctrl, ctrl, initSel) {
		name, _ := Attr(el, "data-liveview-init")
		c.execute(el, &name, "init")
	}
}

// begin starts a gesture; end finishes it and returns its outcome. A
// gesture counts as followed by a pause longer than any debounce or
// throttle window: at its end debounced runs and the throttled runs
// waiting for their window's end fire, with the state they find then, and
// the windows close; unless Hold keeps them open.
func (c *Client) begin() {
	c.out = &Outcome{}
}

func (c *Client) end() *Outcome {
	for !c.holding && len(c.debounced) > 0 {
		el := c.debounced[0]
		c.debounced = c.debounced[1:]
		if documentOf(el) == c.doc { // a departed element's timer is cleared
			c.execute(el, functionOf(el), "")
		}
	}
	if !c.holding {
		clear(c.throttled)
	}
	out := c.out
	c.out = nil
	return out
}

// Hold makes the gestures and frames that follow, until Release, happen
// within every debounce and throttle window, as a person acting quickly:
// a debounced element sends once, at Release, with the state it finds
// then; a throttled one sends at its first event and, if more came, once
// more at Release.
func (c *Client) Hold() { c.holding = true }

// Release ends Hold: the windows end, and what waited for them is sent.
func (c *Client) Release() *Outcome {
	c.holding = false
	c.begin()
	return c.end()
}

// SetHidden sets document.hidden (a tab in the background, or minimised):
// a hidden page's polls send nothing.
func (c *Client) SetHidden(hidden bool) { c.hidden = hidden }

// Poll is one tick of el's data-liveview-poll interval: it sends el's
// function, as the page controller's poll(el) does, or says why no tick
// happens.
func (c *Client) Poll(el *html.Node) (*Outcome, error) {
	v, ok := Attr(el, "data-liveview-poll")
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: %s has no data-liveview-poll", ErrUnusable, Describe(el))
	case ControllerOf(el) == nil:
		return nil, fmt.Errorf("%w: %s is not inside a data-controller=\"page\" element, so it never polls", ErrUnusable, Describe(el))
	case !c.polls[el] || documentOf(el) != c.doc:
		return nil, fmt.Errorf("%w: %s does not poll: data-liveview-poll=%q is not a positive number of milliseconds (or was set after the element entered the page)", ErrUnusable, Describe(el), v)
	case c.hidden:
		return nil, fmt.Errorf("%w: the page is hidden (SetHidden), so its polls send nothing", ErrUnusable)
	}
	c.begin()
	c.execute(el, functionOf(el), "")
	return c.end(), nil
}

func (c *Client) note(s string) {
	if c.out != nil {
		c.out.Notes = append(c.out.Notes, s)
	}
}

// functionOf returns el's data-liveview-function, nil when absent.
func functionOf(el *html.Node) *string {
	if v, ok := Attr(el, "data-liveview-function"); ok {
		return &v
	}
	return nil
}

// execute is the page controller's execute(el, name, trigger): send name
// with el's data and form. The trigger marker it sets while collecting is
// on the omit list, so it changes nothing here.
func (c *Client) execute(el *html.Node, name *string, trigger string) {
	_ = trigger
	if name == nil || strings.TrimSpace(*name) == "" {
		c.note("LiveView: data-liveview-function is not defined on " + Describe(el))
		return
	}
	form, files := c.collectForm(el)
	c.send(&Event{Function: *name, Data: CollectData(el), Form: form, Files: files}, el)
}

var recoverSelector = mustCompile("[data-liveview-recover]")

// PushEvent is a hook's this.pushEvent(function, data) (hooks.js) on the
// hook element el: data (JSON) as the event's data, an empty form, el as
// the trigger.
func (c *Client) PushEvent(el *html.Node, function string, data json.RawMessage) *Outcome {
	c.begin()
	c.send(&Event{Function: function, RawData: data, Form: &Object{}}, el)
	return c.end()
}

// Reconnected is what the client does when a socket opens after the first
// one (socket.js opened, recover.js): the banner is hidden, and every
// element with data-liveview-recover, in document order, sends that
// function with its data and form.
func (c *Client) Reconnected() *Outcome {
	c.begin()
	c.banner(false, "")
	for _, el := range QueryAll(c.doc, recoverSelector) {
		v, _ := Attr(el, "data-liveview-recover")
		c.execute(el, &v, "")
	}
	return c.end()
}

// send is socket.js's send with a trigger: a ref and a loading state, then
// lang and room stamped as the frame leaves (at once: the socket is open).
func (c *Client) send(e *Event, trigger *html.Node) {
	c.lastRef++
	e.Ref = c.lastRef
	if c.tab != "" {
		e.ID = c.tab + "." + strconv.Itoa(e.Ref)
	}
	c.startLoading(e.Ref, trigger)
	e.Lang = c.lang()
	e.Room = c.room
	if c.out != nil {
		c.out.Events = append(c.out.Events, e)
	}
}

// startLoading is loading.js's startLoading.
func (c *Client) startLoading(ref int, el *html.Node) {
	if el == nil || documentOf(el) != c.doc {
		return
	}
	c.pending[ref] = el
	if st := c.busy[el]; st != nil {
		st.count++
		return
	}
	st := &busyState{count: 1, disabled: hasAttr(el, "disabled")}
	c.busy[el] = st
	SetAttr(el, "aria-busy", "true")
	classListAdd(el, "liveview-loading")
	if label, ok := Attr(el, "data-liveview-disable-with"); ok {
		text := TextContent(el)
		st.text = &text
		setTextContent(el, label)
		if hasDisabledProperty(el) {
			toggleAttr(el, "disabled", true)
		}
	}
}

// finishLoading is loading.js's finishLoading.
func (c *Client) finishLoading(ref int) {
	el := c.pending[ref]
	if el == nil {
		return
	}
	delete(c.pending, ref)
	st := c.busy[el]
	if st == nil {
		return
	}
	if st.count--; st.count > 0 {
		return
	}
	delete(c.busy, el)
	RemoveAttr(el, "aria-busy")
	classListRemove(el, "liveview-loading")
	if st.text != nil {
		setTextContent(el, *st.text)
		if hasDisabledProperty(el) {
			toggleAttr(el, "disabled", st.disabled)
		}
	}
}

// Pending reports whether the ref waits for its answer.
func (c *Client) Pending(ref int) bool {
	_, ok := c.pending[ref]
	return ok
}

// Describe names el for messages: its tag with id, name, class and
// data-liveview-function when present, e.g. `<button id="send">`.
func Describe(el *html.Node) string {
	if el == nil {
		return "<nil>"
	}
	if el.Type == html.DocumentNode {
		return "document"
	}
	var b strings.Builder
	b.WriteString("<" + el.Data)
	for _, name := range []string{"id", "name", "type", "class", "data-liveview-function"} {
		if v, ok := Attr(el, name); ok {
			fmt.Fprintf(&b, " %s=%q", name, v)
		}
	}
	b.WriteString(">")
	return b.String()
}

// newTab is socket.js's one draw of 24 random bytes per page load,
// base64url: the page secret (its first 22 characters) and the tab (the
// last 10), the prefix of event ids.
func newTab() (secret, tab string) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	s := base64.RawURLEncoding.EncodeToString(b[:])
	return s[:22], s[22:]
}

// Secret returns the page secret socket.js sends on every handshake of the
// page (PageSocketURL).
func (c *Client) Secret() string { return c.secret }
