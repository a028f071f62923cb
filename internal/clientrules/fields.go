package clientrules

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// Form fields: what the browser's .type, .value, .checked and .selected
// return for a node, and the setters the test actions use.
//
// The state of a field lives in its attributes: value="..." for inputs,
// the text of a <textarea>, checked on checkboxes and radios, selected on
// options. A browser keeps typed values in properties instead, which
// outerHTML does not show; here what a test typed is visible in HTML, and a
// replaced field starts from its new attributes, as in a browser.

// inputTypes are the types an <input> keeps; any other is "text".
var inputTypes = map[string]bool{
	"hidden": true, "text": true, "search": true, "tel": true, "url": true,
	"email": true, "password": true, "date": true, "month": true, "week": true,
	"time": true, "datetime-local": true, "number": true, "range": true,
	"color": true, "checkbox": true, "radio": true, "file": true,
	"submit": true, "image": true, "reset": true, "button": true,
}

// InputType is input.type: the type attribute lower-cased, "text" when
// missing or unknown; "" for elements that are not <input>.
func InputType(n *html.Node) string {
	if tag(n) != "input" {
		return ""
	}
	t := strings.ToLower(attrOr(n, "type", ""))
	if !inputTypes[t] {
		return "text"
	}
	return t
}

// IsTextField reports whether n takes typed text: a <textarea>, or an
// <input> whose value is edited as text (not a checkbox, radio, file or
// button).
func IsTextField(n *html.Node) bool {
	switch tag(n) {
	case "textarea":
		return true
	case "input":
		switch InputType(n) {
		case "hidden", "checkbox", "radio", "file", "submit", "image", "reset", "button":
			return false
		}
		return true
	}
	return false
}

var (
	validFloat = regexp.MustCompile(`^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$`)
	validDate  = map[string]*regexp.Regexp{
		"date":           regexp.MustCompile(`^[0-9]{4,}-[0-9]{2}-[0-9]{2}$`),
		"month":          regexp.MustCompile(`^[0-9]{4,}-[0-9]{2}$`),
		"week":           regexp.MustCompile(`^[0-9]{4,}-W[0-9]{2}$`),
		"time":           regexp.MustCompile(`^[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,3})?)?$`),
		"datetime-local": regexp.MustCompile(`^[0-9]{4,}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,3})?)?$`),
	}
)

// Value is the .value of an input, select or textarea, with the value
// sanitization of the common input types (newlines stripped from text,
// invalid numbers and dates emptied, colors as Chromium serializes them, ranges clamped);
// a file input has no file, so "".
func Value(n *html.Node) string {
	switch tag(n) {
	case "textarea":
		return TextContent(n)
	case "select":
		if sel := SelectedOptions(n); len(sel) > 0 {
			return OptionValue(sel[0])
		}
		return ""
	case "input":
	default:
		return attrOr(n, "value", "")
	}
	raw, has := Attr(n, "value")
	stripNL := strings.NewReplacer("\r", "", "\n", "")
	switch t := InputType(n); t {
	case "checkbox", "radio":
		if !has {
			return "on"
		}
		return raw
	case "file":
		return ""
	case "text", "search", "tel", "password":
		return stripNL.Replace(raw)
	case "url", "email":
		return strings.TrimFunc(stripNL.Replace(raw), asciiSpace)
	case "number":
		if validFloat.MatchString(raw) {
			return raw
		}
		return ""
	case "range":
		return rangeValue(n, raw)
	case "color":
		return colorValue(raw)
	case "date", "month", "week", "time", "datetime-local":
		if validDate[t].MatchString(raw) {
			return raw
		}
		return ""
	default:
		return raw
	}
}

// rangeValue sanitizes a range input's value: a valid number clamped to
// [min, max] and rounded to the step, else the default (the middle).
func rangeValue(n *html.Node, raw string) string {
	num := func(name string, def float64) float64 {
		if v, ok := Attr(n, name); ok && validFloat.MatchString(v) {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
		return def
	}
	lo, hi := num("min", 0), num("max", 100)
	if hi < lo {
		hi = lo
	}
	step := num("step", 1)
	if step <= 0 {
		step = 1
	}
	v := lo + (hi-lo)/2
	if validFloat.MatchString(raw) {
		v, _ = strconv.ParseFloat(raw, 64)
	}
	v = math.Max(lo, math.Min(hi, v))
	v = lo + math.Round((v-lo)/step)*step
	if v > hi {
		v -= step
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

var radioSel = matcherFunc(func(n *html.Node) bool { return InputType(n) == "radio" })

// Checked is .checked: the checked attribute of a checkbox; for a radio,
// also that no later radio of its group has one (the last checked wins, as
// when the parser inserts them).
func Checked(n *html.Node) bool {
	if !hasAttr(n, "checked") {
		return false
	}
	if InputType(n) != "radio" {
		return true
	}
	group := radioGroup(n)
	for i := len(group) - 1; i >= 0; i-- {
		if hasAttr(group[i], "checked") {
			return group[i] == n
		}
	}
	return true
}

// radioGroup returns the radios of n's group, n included, in tree order:
// same non-empty name and same form owner.
func radioGroup(n *html.Node) []*html.Node {
	name := attrOr(n, "name", "")
	if name == "" {
		return []*html.Node{n}
	}
	owner := FormOwner(n)
	root := owner
	if root == nil {
		root = documentOf(n)
	}
	if root == nil {
		return []*html.Node{n}
	}
	var group []*html.Node
	for _, r := range QueryAll(root, radioSel) {
		if attrOr(r, "name", "") == name && FormOwner(r) == owner {
			group = append(group, r)
		}
	}
	return group
}

// SetChecked sets a checkbox's or radio's checked attribute; checking a
// radio unchecks the others of its group.
func SetChecked(n *html.Node, on bool) {
	if on && InputType(n) == "radio" {
		for _, r := range radioGroup(n) {
			if r != n {
				RemoveAttr(r, "checked")
			}
		}
	}
	toggleAttr(n, "checked", on)
}

// FormOwner returns the form n belongs to: the form its form attribute
// names, else its nearest <form> ancestor, else nil.
func FormOwner(n *html.Node) *html.Node {
	if id, ok := Attr(n, "form"); ok {
		if f := getElementByID(documentOf(n), id); tag(f) == "form" {
			return f
		}
		return nil
	}
	return Closest(n.Parent, formSel)
}

// Options returns a select's list of options: its <option> children and
// those of its <optgroup> children, in tree order.
func Options(sel *html.Node) []*html.Node {
	var out []*html.Node
	for c := sel.FirstChild; c != nil; c = c.NextSibling {
		switch tag(c) {
		case "option":
			out = append(out, c)
		case "optgroup":
			for o := c.FirstChild; o != nil; o = o.NextSibling {
				if tag(o) == "option" {
					out = append(out, o)
				}
			}
		}
	}
	return out
}

// OptionValue is option.value: its value attribute, else its text with
// whitespace stripped and collapsed.
func OptionValue(o *html.Node) string {
	if v, ok := Attr(o, "value"); ok {
		return v
	}
	return stripAndCollapse(TextContent(o))
}

// optionDisabled reports a disabled option, or one in a disabled optgroup.
func optionDisabled(o *html.Node) bool {
	return hasAttr(o, "disabled") || (tag(o.Parent) == "optgroup" && hasAttr(o.Parent, "disabled"))
}

// SelectedOptions is select.selectedOptions: the options with a selected
// attribute (for a single select, the last of them); when none has one, a
// single select with a display size of 1 shows its first enabled option.
func SelectedOptions(sel *html.Node) []*html.Node {
	opts := Options(sel)
	var marked []*html.Node
	for _, o := range opts {
		if hasAttr(o, "selected") {
			marked = append(marked, o)
		}
	}
	if hasAttr(sel, "multiple") {
		return marked
	}
	if len(marked) > 0 {
		return marked[len(marked)-1:]
	}
	if size, err := strconv.Atoi(strings.TrimSpace(attrOr(sel, "size", "1"))); err == nil && size > 1 {
		return nil
	}
	for _, o := range opts {
		if !optionDisabled(o) {
			return []*html.Node{o}
		}
	}
	return nil
}

// SelectValues selects the options of sel whose values are in values (and
// deselects the others). It returns the values that match no option.
func SelectValues(sel *html.Node, values []string) (unknown []string) {
	want := map[string]bool{}
	for _, v := range values {
		want[v] = true
	}
	found := map[string]bool{}
	for _, o := range Options(sel) {
		v := OptionValue(o)
		on := want[v] && (hasAttr(sel, "multiple") || !found[v] && len(found) == 0)
		if on {
			found[v] = true
		}
		toggleAttr(o, "selected", on)
	}
	for _, v := range values {
		if !found[v] {
			unknown = append(unknown, v)
		}
	}
	return unknown
}

// OptionValues returns the values of sel's options, for messages.
func OptionValues(sel *html.Node) []string {
	var out []string
	for _, o := range Options(sel) {
		out = append(out, OptionValue(o))
	}
	return out
}

// SetValue sets what .value reads: the value attribute of an input, the text
// of a textarea.
func SetValue(n *html.Node, v string) {
	if tag(n) == "textarea" {
		setTextContent(n, v)
		return
	}
	SetAttr(n, "value", v)
}

// hasDisabledProperty reports whether the element has a .disabled property
// (what `"disabled" in el` tests in loading.js).
func hasDisabledProperty(n *html.Node) bool {
	switch tag(n) {
	case "button", "input", "select", "textarea", "fieldset", "optgroup", "option", "link":
		return true
	}
	return false
}

// Disabled reports a form control the user cannot use: it has a disabled
// attribute, or sits in a disabled <fieldset> outside its first <legend>.
func Disabled(n *html.Node) bool {
	switch tag(n) {
	case "button", "input", "select", "textarea":
	default:
		return false
	}
	if hasAttr(n, "disabled") {
		return true
	}
	for child, p := n, n.Parent; p != nil; child, p = p, p.Parent {
		if tag(p) == "fieldset" && hasAttr(p, "disabled") {
			if legend := childElement(p, "legend"); legend == nil || !contains(legend, child) {
				return true
			}
		}
	}
	return false
}

// Focusable reports whether a click or Tab can focus n.
func Focusable(n *html.Node) bool {
	if !isElement(n) {
		return false
	}
	if Disabled(n) {
		return false
	}
	switch tag(n) {
	case "button", "select", "textarea":
		return true
	case "input":
		return InputType(n) != "hidden"
	case "a":
		if hasAttr(n, "href") {
			return true
		}
	}
	if hasAttr(n, "tabindex") {
		return true
	}
	if v, ok := Attr(n, "contenteditable"); ok && strings.ToLower(v) != "false" {
		return true
	}
	return false
}

// submitButton reports a button that submits its form: <button> of type
// submit (the default, also for unknown types), <input type=submit|image>.
func submitButton(n *html.Node) bool {
	switch tag(n) {
	case "button":
		t := strings.ToLower(attrOr(n, "type", "submit"))
		return t != "button" && t != "reset"
	case "input":
		t := InputType(n)
		return t == "submit" || t == "image"
	}
	return false
}

// MissingRequired returns the first field of form that fails the required
// constraint (an empty text field or select, an unchecked checkbox, a radio
// group without a checked radio, a file input), the only constraint the
// copy checks before a submit. Disabled, read-only and hidden fields are
// barred from validation, as in the browser.
func MissingRequired(form *html.Node) *html.Node {
	for _, f := range QueryAll(form, fieldsSel) {
		if FormOwner(f) != form || !hasAttr(f, "required") || Disabled(f) {
			continue
		}
		switch t := InputType(f); {
		case tag(f) == "select":
			sel := SelectedOptions(f)
			if len(sel) == 0 || (len(sel) == 1 && OptionValue(sel[0]) == "" && placeholderOption(f) == sel[0]) {
				return f
			}
		case tag(f) == "textarea":
			if !hasAttr(f, "readonly") && Value(f) == "" {
				return f
			}
		case t == "checkbox":
			if !Checked(f) {
				return f
			}
		case t == "radio":
			checked := false
			for _, r := range radioGroup(f) {
				checked = checked || Checked(r)
			}
			if !checked {
				return f
			}
		case t == "file":
			return f
		case t == "hidden", t == "submit", t == "image", t == "reset", t == "button":
		default:
			if !hasAttr(f, "readonly") && Value(f) == "" {
				return f
			}
		}
	}
	return nil
}

// placeholderOption returns a single select's placeholder label option
// (its first option, when it has an empty value and is the select's child),
// or nil.
func placeholderOption(sel *html.Node) *html.Node {
	if hasAttr(sel, "multiple") {
		return nil
	}
	if size, err := strconv.Atoi(attrOr(sel, "size", "1")); err == nil && size > 1 {
		return nil
	}
	opts := Options(sel)
	if len(opts) == 0 || opts[0].Parent != sel || OptionValue(opts[0]) != "" {
		return nil
	}
	return opts[0]
}
