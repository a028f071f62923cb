package clientrules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// What a person does to a page, with the browser's default actions around
// the events: focus moving (change on leaving a typed-into field, blur,
// focusout, focus, focusin), a checkbox toggled before its click and put
// back when the click is canceled, a submit button submitting its form,
// Enter submitting a form implicitly, Enter and Space clicking buttons.
// Events are dispatched as a browser dispatches them, so Stimulus's
// bubbling, filters and options apply; see dispatch.go.

// ErrUnusable is returned (wrapped) for a gesture the browser would not
// let a person make: clicking or typing into a disabled field, typing into
// a checkbox.
var ErrUnusable = errors.New("clientrules: not possible in a browser")

var submitterSel = matcherFunc(submitButton)

// Click is a person clicking el: focus moves to el (or its nearest
// focusable ancestor, else away), then the click and its activation. Only
// the click event is dispatched (no mousedown, mouseup or pointer events).
func (c *Client) Click(el *html.Node) (*Outcome, error) {
	if Disabled(el) {
		return nil, fmt.Errorf("%w: %s is disabled, so a click does nothing", ErrUnusable, Describe(el))
	}
	c.begin()
	var focus *html.Node
	for n := el; isElement(n); n = n.Parent {
		if Focusable(n) {
			focus = n
			break
		}
	}
	c.moveFocus(focus)
	c.activate(el)
	return c.end(), nil
}

// activate dispatches a click at el with the activation behaviour of el (a
// checkbox, radio, submit button) or of its nearest <button> or <a href>
// ancestor.
func (c *Client) activate(el *html.Node) {
	act := el
	if tag(el) != "input" {
		act = nil
		for n := el; isElement(n); n = n.Parent {
			if tag(n) == "button" || (tag(n) == "a" && hasAttr(n, "href")) {
				act = n
				break
			}
		}
	}
	var restore func()
	checkable := false
	switch InputType(act) {
	case "checkbox":
		checkable = true
		was := hasAttr(act, "checked")
		SetChecked(act, !was)
		restore = func() { toggleAttr(act, "checked", was) }
	case "radio":
		checkable = true
		group := radioGroup(act)
		was := make([]bool, len(group))
		for i, r := range group {
			was[i] = hasAttr(r, "checked")
		}
		wasChecked := Checked(act)
		SetChecked(act, true)
		restore = func() {
			for i, r := range group {
				toggleAttr(r, "checked", was[i])
			}
		}
		if wasChecked {
			restore = nil // nothing changed, nothing to put back or announce
		}
	}
	ev := c.dispatch(el, &domEvent{typ: "click", kind: kindMouse, bubbles: true, cancelable: true})
	if c.closeFlash(el) { // the close button's own click listener (flash.js)
		c.out.Ran = true
	}
	switch {
	case checkable:
		if restore == nil {
			return
		}
		if ev.canceled {
			restore()
			return
		}
		c.out.Changed = true
		c.fire(act, "input", true)
		c.fire(act, "change", true)
	case act == nil || ev.canceled:
	case submitButton(act) && !Disabled(act):
		if f := FormOwner(act); f != nil {
			c.submit(f, act)
		}
	case tag(act) == "a":
		c.out.Native = "follows the link to " + attrOr(act, "href", "")
	}
}

// fire dispatches a plain, not cancelable event.
func (c *Client) fire(el *html.Node, typ string, bubbles bool) *domEvent {
	return c.dispatch(el, &domEvent{typ: typ, bubbles: bubbles})
}

// submit is a form submission with constraint validation (required only)
// and the submit event; not canceled, the browser would load a new page.
func (c *Client) submit(form, submitter *html.Node) {
	if !hasAttr(form, "novalidate") && (submitter == nil || !hasAttr(submitter, "formnovalidate")) {
		if f := MissingRequired(form); f != nil {
			c.note("the browser does not submit the form: " + Describe(f) + " is required and empty")
			return
		}
	}
	ev := c.dispatch(form, &domEvent{typ: "submit", bubbles: true, cancelable: true})
	if !ev.canceled {
		c.out.Native = "submits the form natively (a full page load)"
		if hasAttr(form, "onsubmit") {
			// No JavaScript runs here: the page's own handler may cancel it.
			c.out.Native += `, unless its onsubmit="` + attrOr(form, "onsubmit", "") + `" cancels it, which liveviewtest cannot run: use a :prevent action (submit->page#run:prevent) instead of inline JavaScript`
		}
	}
}

// Submit is form.requestSubmit() on el's form (el itself, or the form it
// belongs to): validation, then the submit event.
func (c *Client) Submit(el *html.Node) (*Outcome, error) {
	form := el
	if tag(el) != "form" {
		if form = FormOwner(el); form == nil {
			return nil, fmt.Errorf("%w: %s is not in a <form>", ErrUnusable, Describe(el))
		}
	}
	c.begin()
	c.submit(form, nil)
	return c.end(), nil
}

// Fill is a person replacing the text of a text field or textarea with v in
// one input event (as pasting does); leaving the field later fires change.
func (c *Client) Fill(el *html.Node, v string) (*Outcome, error) {
	switch {
	case !IsTextField(el):
		return nil, fmt.Errorf("%w: %s takes no typed text (Fill is for text inputs and textareas; choose options with Change, check boxes with Click)", ErrUnusable, Describe(el))
	case Disabled(el):
		return nil, fmt.Errorf("%w: %s is disabled", ErrUnusable, Describe(el))
	case hasAttr(el, "readonly"):
		return nil, fmt.Errorf("%w: %s is read-only", ErrUnusable, Describe(el))
	}
	c.begin()
	c.moveFocus(el)
	SetValue(el, v)
	c.dirty[el] = true
	c.out.Changed = true
	c.fire(el, "input", true)
	return c.end(), nil
}

// Change is a person committing a value: with values, a select's options
// are chosen (one value unless multiple), a text field gets values[0] (as
// Fill), a checkbox or radio is set to values[0] ("true" or "false"), then
// input and change fire; without values only change fires.
func (c *Client) Change(el *html.Node, values []string) (*Outcome, error) {
	if Disabled(el) {
		return nil, fmt.Errorf("%w: %s is disabled", ErrUnusable, Describe(el))
	}
	set := len(values) > 0
	var check bool
	switch {
	case !set:
	case tag(el) == "select":
		if len(values) > 1 && !hasAttr(el, "multiple") {
			return nil, fmt.Errorf("%w: %s is not multiple: choose one value, not %q", ErrUnusable, Describe(el), values)
		}
		for _, v := range values {
			if !containsString(OptionValues(el), v) {
				return nil, fmt.Errorf("%w: %s has no option with value %q (values: %q)", ErrUnusable, Describe(el), v, OptionValues(el))
			}
		}
	case InputType(el) == "checkbox" || InputType(el) == "radio":
		b, err := strconv.ParseBool(values[0])
		if err != nil || len(values) > 1 {
			return nil, fmt.Errorf("%w: %s is checked with \"true\" or \"false\", not %q", ErrUnusable, Describe(el), values)
		}
		check = b
	case IsTextField(el):
		if len(values) > 1 || hasAttr(el, "readonly") {
			return nil, fmt.Errorf("%w: %s takes one typed value and must not be read-only, got %q", ErrUnusable, Describe(el), values)
		}
	default:
		return nil, fmt.Errorf("%w: %s has no value to change (Change is for inputs, selects and textareas)", ErrUnusable, Describe(el))
	}
	c.begin()
	c.moveFocus(el)
	if set {
		switch {
		case tag(el) == "select":
			SelectValues(el, values)
		case InputType(el) == "checkbox" || InputType(el) == "radio":
			SetChecked(el, check)
		default:
			SetValue(el, values[0])
		}
		c.out.Changed = true
		c.fire(el, "input", true)
	}
	delete(c.dirty, el)
	c.fire(el, "change", true)
	return c.end(), nil
}

// Blur is focus leaving el (focused first if it was not): change when it
// was typed into, then blur and focusout.
func (c *Client) Blur(el *html.Node) (*Outcome, error) {
	c.begin()
	if c.active != el {
		c.moveFocus(el)
	}
	c.moveFocus(nil)
	return c.end(), nil
}

// Key is a person pressing k with el focused (an element that cannot take
// focus, such as <body>, gets the keys when nothing has the focus: the
// focus leaves the focused element first): keydown, then the browser's
// default (Enter submits a form implicitly or clicks a button or link),
// then keyup (Space clicks a button, checkbox or radio). No text is typed.
func (c *Client) Key(el *html.Node, k Key) (*Outcome, error) {
	c.begin()
	if Focusable(el) {
		c.moveFocus(el)
	} else {
		c.moveFocus(nil)
	}
	down := c.dispatch(el, &domEvent{typ: "keydown", kind: kindKeyboard, bubbles: true, cancelable: true, key: k})
	if !down.canceled && k.Key == "Enter" && !Disabled(el) {
		switch {
		case implicitSubmitter(el):
			c.implicitSubmit(el)
		case tag(el) == "button", tag(el) == "a" && hasAttr(el, "href"),
			InputType(el) == "submit", InputType(el) == "image", InputType(el) == "reset", InputType(el) == "button":
			c.activate(el)
		}
	}
	up := c.dispatch(el, &domEvent{typ: "keyup", kind: kindKeyboard, bubbles: true, cancelable: true, key: k})
	if !down.canceled && !up.canceled && k.Key == " " && !Disabled(el) {
		switch t := InputType(el); {
		case tag(el) == "button", t == "checkbox", t == "radio", t == "submit", t == "image", t == "reset", t == "button":
			c.activate(el)
		}
	}
	return c.end(), nil
}

// implicitSubmitter reports the input types whose Enter submits the form.
func implicitSubmitter(el *html.Node) bool {
	switch InputType(el) {
	case "text", "search", "url", "tel", "email", "password", "date", "month", "week", "time", "datetime-local", "number":
		return true
	}
	return false
}

// implicitSubmit is the HTML standard's implicit submission: the form's
// default button is clicked, else a form with one such field is submitted.
func (c *Client) implicitSubmit(el *html.Node) {
	form := FormOwner(el)
	if form == nil {
		return
	}
	for _, b := range QueryAll(c.doc, submitterSel) {
		if FormOwner(b) == form {
			if !Disabled(b) {
				c.activate(b)
			}
			return
		}
	}
	n := 0
	for _, f := range QueryAll(c.doc, fieldsSel) {
		if FormOwner(f) == form && implicitSubmitter(f) {
			n++
		}
	}
	if n == 1 {
		c.submit(form, nil)
	}
}

// moveFocus moves the focus to n (nil: to the body), with change (when the
// field was typed into), blur and focusout on the element leaving, focus
// and focusin on n.
func (c *Client) moveFocus(n *html.Node) {
	old := c.active
	if old == n {
		return
	}
	c.active = n
	if old != nil && documentOf(old) == c.doc {
		if c.dirty[old] {
			delete(c.dirty, old)
			c.fire(old, "change", true)
		}
		c.dispatch(old, &domEvent{typ: "blur"})
		c.fire(old, "focusout", true)
	}
	if n != nil {
		c.dispatch(n, &domEvent{typ: "focus"})
		c.fire(n, "focusin", true)
	}
}

// Init sends el's data-liveview-init, as its page controller does when it
// connects.
func (c *Client) Init(el *html.Node) (*Outcome, error) {
	name, ok := Attr(el, "data-liveview-init")
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: %s has no data-liveview-init", ErrUnusable, Describe(el))
	case ControllerOf(el) == nil:
		return nil, fmt.Errorf("%w: %s is not inside a data-controller=\"page\" element, so its init never runs", ErrUnusable, Describe(el))
	}
	c.begin()
	c.execute(el, &name, "init")
	return c.end(), nil
}

// Intersect is el entering the viewport (appear) or leaving it: its
// IntersectionObserver sends data-liveview-intersect-appear or -disappear.
func (c *Client) Intersect(el *html.Node, appear bool) (*Outcome, error) {
	attr := "data-liveview-intersect-disappear"
	if appear {
		attr = "data-liveview-intersect-appear"
	}
	name, _ := Attr(el, attr)
	switch {
	case !c.observed[el] || documentOf(el) != c.doc:
		if ControllerOf(el) == nil {
			return nil, fmt.Errorf("%w: %s is not inside a data-controller=\"page\" element, so nothing observes it", ErrUnusable, Describe(el))
		}
		return nil, fmt.Errorf("%w: %s is not observed (it needs data-liveview-intersect-appear or -disappear)", ErrUnusable, Describe(el))
	case name == "":
		return nil, fmt.Errorf("%w: %s has no %s, so nothing is sent", ErrUnusable, Describe(el), attr)
	}
	c.begin()
	trigger := "disappear"
	if appear {
		trigger = "appear"
	}
	c.execute(el, &name, trigger)
	return c.end(), nil
}

// Explain says why an event of type typ at el makes the client send
// nothing, for failure messages.
func (c *Client) Explain(el *html.Node, typ string) string {
	ctrl := ControllerOf(el)
	if ctrl == nil {
		return Describe(el) + " is not inside a data-controller=\"page\" element, so the client binds none of its actions"
	}
	var seen []string
	for n := el; n != nil && n != ctrl.Parent; n = n.Parent {
		if v, ok := Attr(n, "data-action"); ok {
			seen = append(seen, fmt.Sprintf("%s has data-action=%q", Describe(n), v))
		}
	}
	if len(seen) == 0 {
		return "no data-action on " + Describe(el) + " or its ancestors"
	}
	return "no page action runs for a " + typ + " there (" + strings.Join(seen, "; ") + ")"
}
