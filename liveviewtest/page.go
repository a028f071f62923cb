package liveviewtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/html"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/clientrules"
)

// Page is one open page (a browser tab): its DOM, kept on the test's side
// and changed by every frame the server sends, exactly as the bundled
// client changes it (see the package documentation for the two
// simplifications), and the WebSocket it sends its events on.
//
// Frames are applied as they arrive, by a goroutine of the Page; every
// method is safe for concurrent use and sees a consistent DOM. Methods
// that fail the test (the actions, HTML and Text of a missing element,
// the waits) must run on the test's goroutine, as t.Fatal requires.
type Page struct {
	t       testing.TB
	user    *User
	s       *settings
	timeout time.Duration
	path    string // as opened, for messages
	// The page's WebSocket URL and handshake headers, for Reconnect.
	wsURL    string
	wsHeader http.Header
	once     sync.Once

	mu          sync.Mutex
	c           *clientrules.Client
	ws          *websocket.Conn // nil: the page loads no client
	done        chan struct{}   // closed when ws's reader has stopped
	tabClosed   bool            // Close was called
	changed     chan struct{}   // closed and replaced at every change
	closedErr   error           // why ws ended; nil while open
	outstanding map[int]bool    // refs sent and not answered
	history     []string        // the history of the pages left with Follow
	raw         []string        // every frame received, as received
	frames      []liveview.Message
	errs        []liveview.Message
	events      []CustomEvent
	scrolls     []string
	sent        []json.RawMessage
	replies     map[int]liveview.Message // answers to PushEvent's refs
	quick       bool                     // inside Quickly
	connecting  bool                     // Open's or Reconnect's first gesture runs; set by the test's goroutine
	notes       []string                 // what the client logged while applying frames
	redirect    *url.URL                 // the last redirect a frame asked for since the page loaded
	carried     []clientrules.Flash      // flash messages a redirect stored in the tab (sessionStorage)
	uploads     map[int]*pageUpload      // uploads in progress, by id (upload.go)
	uploadIDs   int                      // the last upload id
	unacked     int                      // chunks sent and not acknowledged, all uploads together
	uploadErrs  []UploadError            // the refusals
	unanswered  []*clientrules.Event     // events with an id sent and not answered (once.go)
	lastID      *clientrules.Event       // the last event with an id sent, for Resend
	onces       []string                 // the "once" answers received
}

// CustomEvent is a CustomEvent the client dispatched on document for a
// frame's "event" key (Context.Dispatch): its name and its detail, the
// frame's eventData as sent (nil when there was none).
type CustomEvent struct {
	Name   string
	Detail json.RawMessage
}

func newPage(t testing.TB, u *User, s *settings, path string) *Page {
	return &Page{
		t: t, user: u, s: s, timeout: s.timeout, path: path,
		changed: make(chan struct{}), outstanding: map[int]bool{},
		replies: map[int]liveview.Message{}, uploads: map[int]*pageUpload{},
	}
}

// read applies the frames of ws until it closes. It never calls the
// testing.TB: the test may have ended.
func (p *Page) read(ws *websocket.Conn, done chan struct{}) {
	defer close(done)
	for {
		typ, data, err := ws.ReadMessage()
		p.mu.Lock()
		if p.ws != ws { // the tab has moved on (Follow)
			p.mu.Unlock()
			if err != nil {
				return
			}
			continue
		}
		if err != nil {
			p.closedErr = err
			code, reason := websocket.CloseAbnormalClosure, ""
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				code, reason = ce.Code, ce.Text
			}
			p.c.Disconnected(code, reason)
			if p.c.Expired() || p.kicked() {
				// The session ended (4401, 4403): its pending events are
				// dropped, as socket.js's stop() does, never re-sent.
				p.unanswered = nil
			}
			p.signal()
			p.mu.Unlock()
			return
		}
		if typ == websocket.TextMessage {
			p.apply(data)
		} else {
			p.notes = append(p.notes, "LiveView: invalid JSON frame (a binary frame)")
		}
		p.signal()
		p.mu.Unlock()
	}
}

// apply applies one frame and records it. p.mu is held.
func (p *Page) apply(data []byte) {
	res := p.c.ApplyFrame(data)
	p.notes = append(p.notes, res.Outcome.Notes...)
	if res.Upload != nil {
		// The upload protocol's frames, neither in Frames nor in the
		// failure reports (a large file has thousands of acks).
		p.onUpload(res.Upload)
		return
	}
	p.raw = append(p.raw, string(data))
	if res.Object {
		m, bare := decodeMessage(data)
		if !bare {
			p.frames = append(p.frames, m)
		}
		if res.Error {
			p.errs = append(p.errs, m)
		}
	}
	if res.Event != nil {
		p.events = append(p.events, CustomEvent{Name: res.Event.Name, Detail: res.Event.Detail})
	}
	p.scrolls = append(p.scrolls, res.Scrolls...)
	if res.Redirect != nil {
		p.redirect, p.carried = res.Redirect, res.Carried
	}
	if res.Ref != 0 && res.Once == "retry" {
		// The event stays pending: sent again a little later (socket.js).
		p.onces = append(p.onces, res.Once)
		p.retryLater(res.Ref)
		return
	}
	if res.Ref != 0 {
		if res.Once != "" {
			p.onces = append(p.onces, res.Once)
		}
		p.answered(res.Ref)
		delete(p.outstanding, res.Ref)
		if _, ok := p.replies[res.Ref]; ok {
			p.replies[res.Ref], _ = decodeMessage(data)
		}
	}
	// Page controllers the frame inserted send their inits.
	if err := p.transmit(res.Outcome.Events); err != nil {
		p.notes = append(p.notes, err.Error())
	}
}

// transmit sends events in order and marks their refs outstanding. p.mu is
// held, so frames leave in ref order whoever sends them.
func (p *Page) transmit(events []*clientrules.Event) error {
	for _, e := range events {
		if len(e.Files) > 0 {
			// Its files first: the event is sent once they arrived
			// (upload.go).
			if err := p.startUpload(e); err != nil {
				return err
			}
			continue
		}
		b := e.JSON()
		p.sent = append(p.sent, json.RawMessage(b))
		if e.ID != "" {
			p.keepPending(e)
		}
		p.outstanding[e.Ref] = true
		_ = p.ws.SetWriteDeadline(time.Now().Add(p.timeout))
		if err := p.ws.WriteMessage(websocket.TextMessage, b); err != nil {
			return fmt.Errorf("liveviewtest: sending %s: %w", b, err)
		}
	}
	return nil
}

// signal wakes the waiters. p.mu is held.
func (p *Page) signal() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Close closes the page's WebSocket (close code 1000, as a tab that is
// closed) and waits for its goroutine. It is called when the test ends;
// calling it again does nothing. Later actions fail the test.
func (p *Page) Close() {
	p.once.Do(func() {
		p.mu.Lock()
		p.tabClosed = true
		ws, done := p.ws, p.done
		p.mu.Unlock()
		if ws != nil {
			closeConn(ws, done, websocket.CloseNormalClosure, p.timeout)
		}
	})
}

// query returns the first element matching selector, nil when none. p.mu
// is held.
func (p *Page) query(selector string) (*html.Node, error) {
	m, err := clientrules.Compile(selector)
	if err != nil {
		return nil, fmt.Errorf("invalid selector %q: %w", selector, err)
	}
	return clientrules.Query(p.c.Doc(), m), nil
}

// find is query for accessors: it fails the test when nothing matches.
func (p *Page) find(call, selector string) *html.Node {
	p.t.Helper()
	n, err := p.query(selector)
	if err == nil && n == nil {
		err = fmt.Errorf("no element matches %q", selector)
	}
	if err != nil {
		p.mu.Unlock()
		p.fatalf("%s: %v", call, err)
	}
	return n
}

// HTML returns the outer HTML of the first element matching selector, as
// golang.org/x/net/html renders it (attributes in double quotes, void
// elements as <br/>); "" as selector gives the whole document. It fails
// the test when nothing matches; use Exists to test for absence.
func (p *Page) HTML(selector string) string {
	p.t.Helper()
	p.mu.Lock()
	n := p.c.Doc()
	if selector != "" {
		n = p.find("HTML", selector)
	}
	var b strings.Builder
	_ = html.Render(&b, n)
	p.mu.Unlock()
	return b.String()
}

// Text returns the text of the first element matching selector as a
// person reads it: its textContent with runs of spaces, tabs and newlines
// collapsed to one space and none at the ends. It fails the test when
// nothing matches.
func (p *Page) Text(selector string) string {
	p.t.Helper()
	p.mu.Lock()
	s := clientrules.CollapseSpace(clientrules.TextContent(p.find("Text", selector)))
	p.mu.Unlock()
	return s
}

// Attr returns the attribute name of the first element matching selector
// and whether it has it. What a test typed or checked is in the value,
// checked and selected attributes. It fails the test when nothing matches.
func (p *Page) Attr(selector, name string) (string, bool) {
	p.t.Helper()
	p.mu.Lock()
	v, ok := clientrules.Attr(p.find("Attr", selector), name)
	p.mu.Unlock()
	return v, ok
}

// SetAttr sets the attribute name of the first element matching selector
// to value, for what a page's own scripts would do (liveviewtest runs no
// JavaScript): a language switcher written as
// onclick="document.documentElement.lang='es'" is
// page.SetAttr("html", "lang", "es"), and the next event carries lang "es".
// It fails the test when nothing matches.
func (p *Page) SetAttr(selector, name, value string) {
	p.t.Helper()
	p.mu.Lock()
	clientrules.SetAttr(p.find("SetAttr", selector), name, value)
	p.signal()
	p.mu.Unlock()
}

// IDs returns the ids of the element children of the first element
// matching selector, in order ("" for a child without one): the items of
// a stream's container (Context.StreamInsert), as a test compares them.
// It fails the test when nothing matches.
func (p *Page) IDs(selector string) []string {
	p.t.Helper()
	p.mu.Lock()
	ids := []string{}
	for n := p.find("IDs", selector).FirstChild; n != nil; n = n.NextSibling {
		if n.Type == html.ElementNode {
			v, _ := clientrules.Attr(n, "id")
			ids = append(ids, v)
		}
	}
	p.mu.Unlock()
	return ids
}

// Exists reports whether an element matches selector. An invalid selector
// fails the test.
func (p *Page) Exists(selector string) bool {
	p.t.Helper()
	return p.Count(selector) > 0
}

// Count returns the number of elements matching selector. An invalid
// selector fails the test.
func (p *Page) Count(selector string) int {
	p.t.Helper()
	m, err := clientrules.Compile(selector)
	if err != nil {
		p.fatalf("Count: invalid selector %q: %v", selector, err)
	}
	p.mu.Lock()
	n := len(clientrules.QueryAll(p.c.Doc(), m))
	p.mu.Unlock()
	return n
}

// URL returns the page's current URL, path and query (and fragment), such
// as "/p/history?page=2": the opened page's, then the last url a frame
// pushed.
func (p *Page) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c.URL().RequestURI() + fragment(p.c.URL().Fragment)
}

func fragment(f string) string {
	if f == "" {
		return ""
	}
	return "#" + f
}

// History returns the history list, as URL returns them: the opened page,
// then every url a frame pushed (only frames whose target exists push, as
// in the client), and the same for each page Follow loaded. Back and
// Forward are not simulated.
func (p *Page) History() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range append(append([]string(nil), p.history...), p.c.History()...) {
		if u, err := p.c.URL().Parse(s); err == nil {
			out = append(out, u.RequestURI()+fragment(u.Fragment))
		}
	}
	return out
}

// Title returns document.title: the page's <title>, then the last title a
// frame set.
func (p *Page) Title() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c.Title()
}

// Room returns the room the page connected to: its <html data-room>, or
// the UUID made for it (the server may put the connection in another
// room, from Config.Room); "" for a page that loads no client.
func (p *Page) Room() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c.Room()
}

// Frames returns the frames received so far, in order, decoded (keys
// outside Message's fields in Extra), without the bare {"ref": n} answers
// and the upload protocol's frames (see UploadErrors).
func (p *Page) Frames() []liveview.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]liveview.Message(nil), p.frames...)
}

// Errors returns the error frames the client surfaced (an "error" without
// "target": the liveview:error event), in order.
func (p *Page) Errors() []liveview.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]liveview.Message(nil), p.errs...)
}

// Events returns the CustomEvents frames dispatched on document, in order.
func (p *Page) Events() []CustomEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]CustomEvent(nil), p.events...)
}

// Scrolls returns what frames scrolled into view, in order: the selector
// of each "scroll", "body" for each "scrollTop".
func (p *Page) Scrolls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.scrolls...)
}

// Flashes returns the flash messages the page holds (Context.Flash), in
// order: shown in its data-liveview-flash container, or waiting for one.
// Messages are not dismissed by time (no timers run); a click on a
// message's close button removes it (Click(".liveview-flash-info button")).
func (p *Page) Flashes() []liveview.Flash {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []liveview.Flash
	for _, f := range p.c.Flashes() {
		out = append(out, liveview.Flash{Kind: f.Kind, Text: f.Text})
	}
	return out
}

// Redirected returns where the last redirect frame (Context.Redirect) sent
// the page since it was loaded, as URL returns a URL ("/login?next=%2F")
// for the app's own origin, else the whole URL; "" when none (a refused
// URL is none: the client logs it). The page stays as it is until
// FollowRedirect loads the new one, as the browser would at once; other
// actions fail meanwhile.
func (p *Page) Redirected() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.redirectString()
}

// redirectString is Redirected with p.mu held.
func (p *Page) redirectString() string {
	if p.redirect == nil {
		return ""
	}
	if p.c.SameOrigin(p.redirect) {
		return p.redirect.RequestURI() + fragment(p.redirect.Fragment)
	}
	return p.redirect.String()
}

// Expired reports whether the server closed the page's WebSocket with
// 4401 (liveview.ErrSessionExpired, from Config.Room, Config.OnConnect, a
// handler or middleware). In a browser the client then shows its
// expiredMessage in the #no-connection banner (here, its default text)
// and reloads the page after one to five seconds; here the page stays,
// and actions fail (Open the page again to see what the reload gets). A
// handshake expired by Room or OnConnect opens and closes at once, so
// after Open wait for it: page.Wait("the session to expire", page.Expired).
func (p *Page) Expired() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c != nil && p.c.Expired()
}

// Disconnected reports whether the server closed the page's WebSocket
// with 4403 (liveview.CloseDisconnected, from Hub.Disconnect), and the
// text the client then shows in the #no-connection banner: the reason
// given to Disconnect, else webSocketConfig.disconnectedMessage (here, its
// default text). In a browser the page stays and never reconnects; here
// actions fail (Open the page again to see what a new load gets). Wait
// for it with page.Wait("the disconnect", func() bool { ok, _ :=
// page.Disconnected(); return ok }).
func (p *Page) Disconnected() (bool, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		return false, ""
	}
	return p.c.Kicked()
}

// Sent returns the event frames the page sent, in order, byte for byte as
// the bundled client's JSON.stringify writes them (keys function, data,
// form, ref, lang, room), except the random "id" the client puts after
// ref, left out here (Pending gives the ids; a handler's Context.EventID).
// liveview.ParseEvent decodes one as the server sees it.
func (p *Page) Sent() []json.RawMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]json.RawMessage, len(p.sent))
	for i, b := range p.sent {
		out[i] = json.RawMessage(idKey.ReplaceAll(b, nil))
	}
	return out
}

// idKey is an event's "id", random per page: Sent leaves it out.
var idKey = regexp.MustCompile(`,"id":"[A-Za-z0-9._-]*"`)

// fatalf fails the test with the message and the page's recent history.
// p.mu must not be held.
func (p *Page) fatalf(format string, args ...any) {
	p.t.Helper()
	p.t.Fatalf("liveviewtest: "+format+"\n%s", append(args, p.report())...)
}

// report describes the page for failure messages: its URL, the last
// events it sent and the last frames it received.
func (p *Page) report() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	if p.c == nil {
		return fmt.Sprintf("page %q, not loaded", p.path)
	}
	fmt.Fprintf(&b, "page %s (opened as %q, room %q)", p.c.URL(), p.path, p.c.Room())
	if p.ws == nil {
		b.WriteString(", no WebSocket (the page loads no client)")
	}
	if p.closedErr != nil {
		fmt.Fprintf(&b, ", socket closed: %v", p.closedErr)
	}
	if p.redirect != nil {
		fmt.Fprintf(&b, ", redirected to %s", p.redirect)
	}
	if len(p.outstanding) > 0 {
		refs := make([]int, 0, len(p.outstanding))
		for r := range p.outstanding {
			refs = append(refs, r)
		}
		sort.Ints(refs)
		fmt.Fprintf(&b, "\nunanswered refs: %v", refs)
	}
	b.WriteString("\nlast events sent (newest last):")
	writeLast(&b, rawStrings(p.sent), 3)
	b.WriteString("\nlast frames received (newest last):")
	writeLast(&b, p.raw, 6)
	if len(p.notes) > 0 {
		b.WriteString("\nthe client logged:")
		writeLast(&b, p.notes, 5)
	}
	return b.String()
}

func rawStrings(list []json.RawMessage) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = string(r)
	}
	return out
}

func writeLast(b *strings.Builder, list []string, n int) {
	if len(list) == 0 {
		b.WriteString(" none")
		return
	}
	if len(list) > n {
		fmt.Fprintf(b, "\n  (%d earlier)", len(list)-n)
		list = list[len(list)-n:]
	}
	for _, s := range list {
		b.WriteString("\n  " + clip(s, 600))
	}
}
