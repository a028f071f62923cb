package clientrules

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// What the browser does without the client: load the client script or
// not, follow a link, submit a form natively.

// clientScript matches the file names under which the plugin serves the
// bundled client: liveview.js, liveview.min.js, liveview.<hash>.min.js.
var clientScript = regexp.MustCompile(`^liveview(\.[0-9a-zA-Z_-]+)?(\.min)?\.js$`)

var (
	scriptSrcSel    = mustCompile("script[src]")
	inlineModuleSel = mustCompile(`script[type="module"]:not([src])`)
	// esmStart is an inline module that imports the ES module build and
	// calls its start().
	esmStart = regexp.MustCompile(`(?s)liveview\.esm\.js["'].*\bstart\(`)
)

// LoadsClient reports whether the page loads the bundled client: a
// <script src> whose file name is liveview.js, liveview.min.js or the
// content-hashed liveview.<hash>.min.js, or an inline <script
// type="module"> that imports liveview.esm.js and calls start(). A page
// without it opens no WebSocket in a browser.
func LoadsClient(doc *html.Node) bool {
	for _, s := range QueryAll(doc, scriptSrcSel) {
		u, err := url.Parse(strings.TrimSpace(attrOr(s, "src", "")))
		if name := path.Base(u.Path); err == nil && clientScript.MatchString(name) && !strings.HasSuffix(name, ".esm.js") {
			return true // the ES module starts nothing by itself
		}
	}
	for _, s := range QueryAll(doc, inlineModuleSel) {
		if esmStart.MatchString(TextContent(s)) {
			return true
		}
	}
	return false
}

// ScriptPath is config.js's default of webSocketConfig.path: the
// data-liveview-path of the script tag that loads the client (Hub.ScriptTag
// writes it), else of any script that has one; "" when none does.
func ScriptPath(doc *html.Node) string {
	var first string
	for _, s := range QueryAll(doc, scriptSrcSel) {
		p := attrOr(s, "data-liveview-path", "")
		u, err := url.Parse(strings.TrimSpace(attrOr(s, "src", "")))
		if p != "" && err == nil && clientScript.MatchString(path.Base(u.Path)) {
			return p
		}
		if first == "" {
			first = p
		}
	}
	return first
}

// SocketURL is socket.js's socketURL: the endpoint for room from a
// webSocketConfig.path (a prefix, slashes optional, or a pattern with
// ":room"), scheme ("ws" or "wss") and host.
func SocketURL(scheme, host, pathSetting, room string) string {
	p := pathSetting
	seg := encodeURIComponent(room)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if strings.Contains(p, ":room") {
		p = strings.Replace(p, ":room", seg, 1)
	} else {
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		p += seg + "/"
	}
	return scheme + "://" + host + p
}

// PageSocketURL is socketURL of socket.js: SocketURL with the page secret
// as the query parameter "page" (liveview.PageSecretParam).
func PageSocketURL(scheme, host, pathSetting, room, secret string) string {
	return SocketURL(scheme, host, pathSetting, room) + "?page=" + secret
}

// Navigation is a page load the browser makes itself: a link followed or a
// form submitted natively.
type Navigation struct {
	Method string     // "GET" or "POST"
	URL    *url.URL   // absolute; for GET, with the form in its query
	Form   url.Values // POST only: the form data set, urlencoded
}

var linkSel = mustCompile("a[href], area[href]")

// Follow returns the navigation a person starts by following el: the link
// it is (or is in), or the native submission of the form it is, or belongs
// to (with el as the submitter when it is a submit button). Submission
// checks required fields first, as the browser does unless novalidate.
func (c *Client) Follow(el *html.Node) (*Navigation, error) {
	if a := Closest(el, linkSel); a != nil {
		u, err := c.url.Parse(strings.TrimSpace(attrOr(a, "href", "")))
		if err != nil {
			return nil, fmt.Errorf("%w: %s has an invalid href: %v", ErrUnusable, Describe(a), err)
		}
		u.Fragment = ""
		return &Navigation{Method: "GET", URL: u}, nil
	}
	form, submitter := el, (*html.Node)(nil)
	if tag(el) != "form" {
		if submitButton(el) {
			submitter = el
		}
		if form = FormOwner(el); form == nil {
			return nil, fmt.Errorf("%w: %s is neither a link nor in a form", ErrUnusable, Describe(el))
		}
	}
	if submitter != nil && Disabled(submitter) {
		return nil, fmt.Errorf("%w: %s is disabled", ErrUnusable, Describe(submitter))
	}
	if !hasAttr(form, "novalidate") && (submitter == nil || !hasAttr(submitter, "formnovalidate")) {
		if f := MissingRequired(form); f != nil {
			return nil, fmt.Errorf("%w: the browser does not submit the form: %s is required and empty", ErrUnusable, Describe(f))
		}
	}
	pick := func(attr, formattr string) string {
		if submitter != nil {
			if v, ok := Attr(submitter, formattr); ok {
				return v
			}
		}
		return attrOr(form, attr, "")
	}
	method := "GET"
	if strings.EqualFold(strings.TrimSpace(pick("method", "formmethod")), "post") {
		method = "POST"
	}
	action := strings.TrimSpace(pick("action", "formaction"))
	u, err := c.url.Parse(action)
	if err != nil {
		return nil, fmt.Errorf("%w: the form's action %q is invalid: %v", ErrUnusable, action, err)
	}
	u.Fragment = ""
	values := FormDataSet(form, submitter)
	if method == "GET" {
		u.RawQuery = values.Encode()
		return &Navigation{Method: method, URL: u}, nil
	}
	return &Navigation{Method: method, URL: u, Form: values}, nil
}

// FormDataSet is the HTML standard's entry list of a native submission:
// the named, enabled fields of form (submit buttons only as the
// submitter; checkboxes and radios only when checked, "on" when they have
// no value; every selected option of a select; files by an empty name,
// as no file is chosen).
func FormDataSet(form, submitter *html.Node) url.Values {
	values := url.Values{}
	for _, f := range QueryAll(documentOf(form), matcherFunc(func(n *html.Node) bool {
		switch tag(n) {
		case "input", "select", "textarea", "button":
			return FormOwner(n) == form
		}
		return false
	})) {
		name := attrOr(f, "name", "")
		if name == "" || Disabled(f) {
			continue
		}
		switch t := InputType(f); {
		case tag(f) == "button" || t == "submit" || t == "image" || t == "reset" || t == "button":
			if f == submitter && (tag(f) == "button" || t == "submit") {
				values.Add(name, attrOr(f, "value", ""))
			}
		case t == "checkbox" || t == "radio":
			if Checked(f) {
				values.Add(name, Value(f))
			}
		case tag(f) == "select":
			for _, o := range SelectedOptions(f) {
				if !optionDisabled(o) {
					values.Add(name, OptionValue(o))
				}
			}
		case t == "file":
			values.Add(name, "")
		default:
			values.Add(name, strings.ReplaceAll(Value(f), "\r\n", "\n"))
		}
	}
	return values
}

// encodeURIComponent is JavaScript's: everything but A-Z a-z 0-9 - _ . ! ~
// * ' ( ) percent-encoded as UTF-8.
func encodeURIComponent(s string) string {
	const keep = "-_.!~*'()"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
