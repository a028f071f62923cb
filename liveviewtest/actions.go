package liveviewtest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/clientrules"
)

// Actions. Each is what a person does to the first element matching the
// selector, with the browser's events and default actions around it, so the
// page sends exactly what the bundled client would send for that element
// (its data-* attributes, its form fields, the page's lang, a ref), through
// the same Stimulus actions (data-action, bubbling, key filters, :prevent,
// :stop, :once, @window), and then waits until the server has answered
// every event sent. Debounces and throttles (data-liveview-debounce,
// -throttle) do not wait: each action counts as followed by a pause longer
// than any of their windows (a debounced element sends at the end of the
// action, a throttled one at once); Quickly runs actions within the
// windows instead. JS commands (data-liveview-js) change the DOM at once.
//
// An action fails the test when nothing matches the selector, when the
// browser would not let a person do it (a disabled button), when it makes
// nothing happen (no page action runs and no field changes: the failure
// says why, e.g. the element is outside data-controller="page"), when the
// browser would do something natively instead (submit a form with a page
// load, follow a link), or when an answer does not come within the
// timeout. An error frame in answer does not fail it: it is logged and kept
// in Errors.

// Click clicks the element: focus moves to it (a field left after Fill gets
// its change event), then the click, with its default actions (a checkbox
// or radio toggles, put back if a page action prevents the click; a submit
// button submits its form, which a submit->page#run on the form takes).
func (p *Page) Click(selector string) {
	p.t.Helper()
	p.gesture(fmt.Sprintf("Click(%q)", selector), selector, "click", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Click(el)
	})
}

// Fill types value into a text input or textarea, replacing its text, as
// one input event (an input->page#run sends it). The field keeps the
// focus; leaving it (another action, Blur) fires its change event, as in
// the browser. Choose options with Change and check boxes with Click.
func (p *Page) Fill(selector, value string) {
	p.t.Helper()
	p.gesture(fmt.Sprintf("Fill(%q, %q)", selector, value), selector, "", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Fill(el, value)
	})
}

// Change commits a value to a field: with values, a select's options are
// chosen (several for a <select multiple>), a text field gets values[0], a
// checkbox or radio is set to values[0] ("true" or "false"); then input and
// change fire. Without values only change fires.
func (p *Page) Change(selector string, values ...string) {
	p.t.Helper()
	p.gesture(fmt.Sprintf("Change(%q, %q)", selector, values), selector, "change", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Change(el, values)
	})
}

// Submit submits the form matching selector (or the form of the element
// matching it) as form.requestSubmit() does: required fields are checked,
// then the submit event fires (a submit->page#run on the form sends it).
func (p *Page) Submit(selector string) {
	p.t.Helper()
	p.gesture(fmt.Sprintf("Submit(%q)", selector), selector, "submit", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Submit(el)
	})
}

// Blur moves the focus away from the element (focusing it first if it was
// not): change if it was typed into, then blur and focusout.
func (p *Page) Blur(selector string) {
	p.t.Helper()
	p.gesture(fmt.Sprintf("Blur(%q)", selector), selector, "blur", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Blur(el)
	})
}

// Key presses a key with the element focused: keydown (keyboard maps,
// data-action="keydown.enter->page#run"), the browser's default (Enter
// submits a form implicitly or clicks a button), keyup. key is a
// combination such as "ctrl+s", "ctrl+shift+p", "Escape", "esc", "Enter",
// "shift+!": modifiers (ctrl, alt, meta, shift) joined by "+", then a
// KeyboardEvent.key value or one of the client's names (esc, space, up,
// down, left, right, enter, tab, home, end, page_up, page_down). No text
// is typed: use Fill.
func (p *Page) Key(selector, key string) {
	p.t.Helper()
	k, err := clientrules.ParseKey(key)
	if err != nil {
		p.fatalf("Key(%q, %q): %v", selector, key, err)
	}
	p.gesture(fmt.Sprintf("Key(%q, %q)", selector, key), selector, "keydown", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Key(el, k)
	})
}

// Init sends the element's data-liveview-init again (Open sends every init
// of the page, unless WithoutInit).
func (p *Page) Init(selector string) {
	p.t.Helper()
	p.gesture(fmt.Sprintf("Init(%q)", selector), selector, "", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Init(el)
	})
}

// Intersect scrolls the element into view: it sends its
// data-liveview-intersect-appear. The page has no layout, so no
// intersection happens by itself (a browser also sends appear or
// disappear for each observed element when the page loads).
func (p *Page) Intersect(selector string) {
	p.t.Helper()
	p.gesture(fmt.Sprintf("Intersect(%q)", selector), selector, "", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Intersect(el, true)
	})
}

// Disappear scrolls the element out of view: it sends its
// data-liveview-intersect-disappear.
func (p *Page) Disappear(selector string) {
	p.t.Helper()
	p.gesture(fmt.Sprintf("Disappear(%q)", selector), selector, "", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Intersect(el, false)
	})
}

// PushEvent does what a client hook's this.pushEvent(function, data) does
// for the hook element matching selector (data-liveview-hook): it sends
// function with data as the event's data (nil: {}) and no form, with a ref
// and the element's loading state, and waits for the answers. It returns
// the server's reply (Context.Reply), decoded from JSON (nil when the
// handler replied nothing), or, like the promise's rejection, an error
// with the text of the error frame that answered. The test fails when the
// element does not exist or data does not encode.
func (p *Page) PushEvent(selector, function string, data any) (any, error) {
	p.t.Helper()
	call := fmt.Sprintf("PushEvent(%q, %q)", selector, function)
	raw := json.RawMessage("{}")
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			p.fatalf("%s: %v", call, err)
		}
		raw = b
	}
	var ref int
	p.gesture(call, selector, "", func(el *html.Node) (*clientrules.Outcome, error) {
		out := p.c.PushEvent(el, function, raw)
		if len(out.Events) > 0 {
			ref = out.Events[0].Ref
			p.replies[ref] = liveview.Message{}
		}
		return out, nil
	})
	p.mu.Lock()
	m := p.replies[ref]
	delete(p.replies, ref)
	p.mu.Unlock()
	if m.Error != "" {
		return nil, fmt.Errorf("liveviewtest: %s: %s", call, m.Error)
	}
	return m.Reply, nil
}

// Poll makes one tick of the element's data-liveview-poll happen: it
// sends the element's data-liveview-function with its data and form, as
// the bundled client does every N ms while the element is in the page and
// the tab is visible. It fails the test when the element does not poll
// (no valid data-liveview-poll, outside data-controller="page") or the
// page is hidden (SetHidden), where the client's ticks send nothing.
func (p *Page) Poll(selector string) {
	p.t.Helper()
	p.gesture(fmt.Sprintf("Poll(%q)", selector), selector, "", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.Poll(el)
	})
}

// SetHidden puts the tab in the background (true: document.hidden, the
// "hidden" visibilityState) or brings it back (false): a hidden page's
// polls send nothing, so Poll fails on it. Other actions are unaffected.
func (p *Page) SetHidden(hidden bool) {
	p.mu.Lock()
	p.c.SetHidden(hidden)
	p.mu.Unlock()
}

// Quickly runs f, whose actions on this page then count as done in quick
// succession, within every debounce and throttle window (alone, each
// action counts as followed by a pause longer than any window). Each
// action still waits for the answers to what it sent. When f returns the
// windows end: a debounced element sends once, with the state it has
// then; a throttled one (data-liveview-throttle) has sent at its first
// event and sends once more if more events came; Quickly waits for those
// answers too. So
//
//	page.Quickly(func() {
//		for _, s := range []string{"a", "ab", "abc"} {
//			page.Fill("#search", s)
//		}
//	})
//
// sends "a" and "abc" for a throttled #search, only "abc" for a debounced
// one. A Quickly inside Quickly joins the outer one.
func (p *Page) Quickly(f func()) {
	p.t.Helper()
	p.mu.Lock()
	if p.quick {
		p.mu.Unlock()
		f()
		return
	}
	p.quick = true
	p.c.Hold()
	p.mu.Unlock()
	done := false
	defer func() {
		if !done { // f failed the test: end the hold, send nothing
			p.mu.Lock()
			p.quick = false
			p.c.Release()
			p.mu.Unlock()
		}
	}()
	f()
	done = true
	p.mu.Lock()
	p.quick = false
	p.mu.Unlock()
	p.gesture("Quickly", "", "", func(*html.Node) (*clientrules.Outcome, error) {
		return p.c.Release(), nil
	})
}

// gesture runs f on the element matching selector (none for ""), sends
// the events it produced, checks that something happened, and waits for
// the answers. typ names the event that would have to be handled, for the
// failure message.
func (p *Page) gesture(call, selector, typ string, f func(*html.Node) (*clientrules.Outcome, error)) {
	p.t.Helper()
	p.mu.Lock()
	switch {
	case p.tabClosed:
		p.mu.Unlock()
		p.fatalf("%s: the page is closed", call)
	case p.ws != nil && p.c.Expired() && p.connecting:
		// The handshake was expired (Config.OnConnect, Room): the socket
		// opened and closed with 4401 before the page could send anything.
		p.mu.Unlock()
		p.t.Logf("liveviewtest: %s: the session expired (close 4401) as the socket opened; in a browser the page reloads", call)
		return
	case p.ws != nil && p.c.Expired():
		p.mu.Unlock()
		p.fatalf("%s: the session expired (the server closed the WebSocket with 4401, liveview.ErrSessionExpired): in a browser the page now reloads; Open it again", call)
	case p.ws != nil && p.kicked():
		_, text := p.c.Kicked()
		p.mu.Unlock()
		p.fatalf("%s: the server disconnected the page (close 4403, Hub.Disconnect; the banner says %q): in a browser it never reconnects; Open it again", call, text)
	case p.ws != nil && p.closedErr != nil:
		p.mu.Unlock()
		p.fatalf("%s: the page's WebSocket is closed: %v", call, p.closedErr)
	case p.redirect != nil:
		to := p.redirectString()
		p.mu.Unlock()
		p.fatalf("%s: the page was redirected to %s (a full page load in a browser): FollowRedirect loads it", call, to)
	}
	var el *html.Node
	if selector != "" {
		el = p.find(call, selector)
	}
	out, err := f(el)
	if err != nil {
		p.mu.Unlock()
		p.fatalf("%s: %s", call, strings.TrimPrefix(err.Error(), clientrules.ErrUnusable.Error()+": "))
	}
	for _, n := range out.Notes {
		p.t.Logf("liveviewtest: %s: the client logs: %s", call, n)
	}
	errsBefore, upBefore := len(p.errs), len(p.uploadErrs)
	var werr error
	if p.ws != nil {
		werr = p.transmit(out.Events)
	}
	var problem string
	switch {
	case out.Native != "":
		problem = "the browser " + out.Native + ": no page action prevented it (Follow does that on purpose)"
	case p.ws == nil && (len(out.Events) > 0 || out.Ran):
		problem = "the page loads no liveview client script (liveview.min.js), so in a browser nothing handles this"
	case selector != "" && len(out.Events) == 0 && len(out.Notes) > 0:
		problem = "nothing is sent: " + strings.Join(out.Notes, "; ")
	case selector != "" && len(out.Events) == 0 && !out.Ran && !out.Changed:
		if typ == "" {
			problem = "nothing happens"
		} else {
			problem = "nothing happens: " + p.c.Explain(el, typ)
		}
	}
	done := p.done
	p.mu.Unlock()
	if werr != nil && p.expiredAfter(done) {
		werr = nil // the socket closed with 4401 under the events: not the test's failure
	}
	if werr != nil {
		p.fatalf("%s: %v", call, werr)
	}
	if problem != "" {
		p.fatalf("%s: %s", call, problem)
	}
	p.awaitAnswers(call)
	p.mu.Lock()
	fresh := append([]string(nil), rawErrors(p.errs[errsBefore:])...)
	refused := append([]UploadError(nil), p.uploadErrs[min(upBefore, len(p.uploadErrs)):]...)
	p.mu.Unlock()
	for _, e := range fresh {
		p.t.Logf("liveviewtest: %s: the server answered with an error frame: %s", call, e)
	}
	for _, u := range refused {
		p.t.Logf("liveviewtest: %s: the server refused the upload (field %q, file %q): %s", call, u.Field, u.Name, u.Message)
	}
}

func rawErrors(list []liveview.Message) []string {
	out := make([]string, len(list))
	for i, m := range list {
		b, err := m.MarshalJSON()
		if err != nil {
			out[i] = fmt.Sprintf("%+v", m)
			continue
		}
		out[i] = string(b)
	}
	return out
}

// kicked reports whether the socket closed with 4403. p.mu is held.
func (p *Page) kicked() bool { ok, _ := p.c.Kicked(); return ok }

// expiredAfter waits for the page's reader (done) to stop, at most the
// timeout, and reports whether the socket closed with 4401: a write that
// failed because the server had just closed the socket for an expired
// session (a handshake that Config.OnConnect expired) is no failure.
func (p *Page) expiredAfter(done chan struct{}) bool {
	if done == nil {
		return false
	}
	t := time.NewTimer(p.timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	return p.Expired()
}

// awaitAnswers waits until every ref the page sent has been answered
// (those of init events that frames made it send included).
func (p *Page) awaitAnswers(call string) {
	p.t.Helper()
	timer := time.NewTimer(p.timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		n, ch, closed := len(p.outstanding), p.changed, p.closedErr
		var refs []int
		for r := range p.outstanding {
			refs = append(refs, r)
		}
		p.mu.Unlock()
		sort.Ints(refs)
		switch {
		case n == 0:
			return
		case closed != nil && p.Expired():
			p.t.Logf("liveviewtest: %s: the session expired (close 4401): refs %v stay unanswered; in a browser the page reloads", call, refs)
			return
		case closed != nil:
			p.fatalf("%s: the WebSocket closed before the answer to ref %v: %v", call, refs, closed)
		}
		select {
		case <-ch:
		case <-timer.C:
			p.fatalf("%s: no answer to ref %v within %v", call, refs, p.timeout)
		}
	}
}
