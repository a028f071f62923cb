package clientrules

import (
	"strings"

	"golang.org/x/net/html"
)

// The Go copy of jsclient/src/collect.js: what a triggering element sends,
// its own dataset ("data") and the values of its form fields ("form").

// omit is collect.js's OMIT: upstream's exact omit list (Django LiveView
// 2.2.0), controller plumbing and internal markers.
var omit = map[string]bool{
	"action":                     true,
	"controller":                 true,
	"liveviewAction":             true,
	"liveviewFunction":           true,
	"liveviewIntersectAppear":    true,
	"liveviewIntersectDisappear": true,
	"liveviewIntersectThreshold": true,
	"intersectionTrigger":        true,
	"liveviewFocus":              true,
	"liveviewInit":               true,
	"initTrigger":                true,
	"liveviewDebounce":           true,
	"liveviewKeyboardMap":        true,
	"keyboardMapInitialized":     true,
}

var (
	fieldsSel      = mustCompile("input, select, textarea")
	namedFieldsSel = mustCompile("input[name], select[name], textarea[name]")
	formSel        = mustCompile("form")
)

// DatasetKey returns the key under which element.dataset shows the
// attribute name: "data-" removed, and every "-" followed by an ASCII
// lower-case letter removed with the letter upper-cased
// ("data-data-alert-id" -> "dataAlertId", "data-foo--bar" -> "foo-Bar").
// ok is false for names that are not data-* attributes. HTML attribute names
// are case-insensitive, so name is lower-cased first, as the parser does.
func DatasetKey(name string) (key string, ok bool) {
	name = strings.ToLower(name)
	rest, ok := strings.CutPrefix(name, "data-")
	if !ok {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c == '-' && i+1 < len(rest) && rest[i+1] >= 'a' && rest[i+1] <= 'z' {
			b.WriteByte(rest[i+1] - 'a' + 'A')
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// Dataset returns el.dataset in attribute order.
func Dataset(el *html.Node) *Object {
	o := &Object{}
	for _, a := range el.Attr {
		if a.Namespace != "" {
			continue
		}
		if k, ok := DatasetKey(a.Key); ok {
			o.Set(k, a.Val)
		}
	}
	return o
}

// Omitted reports whether collectData leaves the dataset key out: the omit
// list and every key starting with "liveview".
func Omitted(key string) bool {
	return omit[key] || strings.HasPrefix(key, "liveview")
}

// CollectData is collectData(el): el's own dataset as strings, camelCase
// keys, minus the omitted keys.
func CollectData(el *html.Node) *Object {
	o := &Object{}
	ds := Dataset(el)
	for _, k := range ds.keys {
		if !Omitted(k) {
			o.Set(k, ds.vals[k])
		}
	}
	return o
}

// CollectForm is collectForm(el): {name: value} for the fields that belong
// to el; checkbox -> bool, or, when several checkboxes among them share its
// name, the []string of the checked ones' values; radio -> its value only
// when checked; <select multiple> -> the []string of its selected values;
// file input -> the name of its file ("" without), the []string of its
// files' names for <input multiple>; others -> .value; a repeated name
// keeps its first place and its last value. No file is chosen here: see
// Client.SetFiles.
func CollectForm(el *html.Node) *Object { return collectForm(el, nil) }

// collectForm is CollectForm with files giving the files chosen in a file
// input (nil: none anywhere).
func collectForm(el *html.Node, files func(*html.Node) []File) *Object {
	o := &Object{}
	fields := FieldsOf(el)
	for _, f := range fields {
		name := attrOr(f, "name", "")
		switch InputType(f) {
		case "file":
			var chosen []File
			if files != nil {
				chosen = files(f)
			}
			o.Set(name, fileValue(f, chosen))
		case "checkbox":
			var group, checked []*html.Node
			for _, g := range fields {
				if InputType(g) == "checkbox" && attrOr(g, "name", "") == name {
					group = append(group, g)
					if Checked(g) {
						checked = append(checked, g)
					}
				}
			}
			if len(group) > 1 {
				o.Set(name, values(checked))
			} else {
				o.Set(name, Checked(f))
			}
		case "radio":
			if Checked(f) {
				o.Set(name, Value(f))
			}
		default:
			if tag(f) == "select" && hasAttr(f, "multiple") {
				o.Set(name, values(SelectedOptions(f)))
			} else {
				o.Set(name, Value(f))
			}
		}
	}
	return o
}

// values is collect.js's values: the .value of each field or option, never
// nil (an empty list is sent as []).
func values(list []*html.Node) []string {
	out := make([]string, 0, len(list))
	for _, n := range list {
		if tag(n) == "option" {
			out = append(out, OptionValue(n))
		} else {
			out = append(out, Value(n))
		}
	}
	return out
}

// FieldsOf is fieldsOf(el): el's fields when el is a form, else those of its
// enclosing form, else el itself when it is a field, else (the client's
// extension, as the upstream docs promise) the named fields inside el's
// parent element.
func FieldsOf(el *html.Node) []*html.Node {
	if tag(el) == "form" {
		return QueryAll(el, fieldsSel)
	}
	if f := Closest(el, formSel); f != nil {
		return QueryAll(f, fieldsSel)
	}
	if fieldsSel.Match(el) {
		return []*html.Node{el}
	}
	if p := el.Parent; isElement(p) {
		return QueryAll(p, namedFieldsSel)
	}
	return nil
}
