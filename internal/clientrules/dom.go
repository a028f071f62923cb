package clientrules

import (
	"sort"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// This file holds the small DOM layer the rules are written in: the
// browser's attribute, text and query operations on golang.org/x/net/html
// nodes, with the browser's semantics where they matter (attributes set
// anew go last, querySelectorAll never returns its root).

// Compile parses a CSS selector group as document.querySelector does
// ("a, b" included). The error is cascadia's.
func Compile(selector string) (cascadia.Matcher, error) {
	return cascadia.ParseGroup(selector)
}

// mustCompile is Compile for the selectors of this package.
func mustCompile(selector string) cascadia.Matcher {
	m, err := Compile(selector)
	if err != nil {
		panic("clientrules: " + err.Error())
	}
	return m
}

// matcherFunc is a cascadia.Matcher written in Go.
type matcherFunc func(*html.Node) bool

// Match implements cascadia.Matcher.
func (f matcherFunc) Match(n *html.Node) bool { return f(n) }

// isElement reports whether n is an HTML element (not text, comment,
// document, or an SVG/MathML element, whose dataset the rules never read
// differently but whose tags would confuse the tag tests).
func isElement(n *html.Node) bool {
	return n != nil && n.Type == html.ElementNode
}

// tag returns n's lower-case tag name, "" for non-elements.
func tag(n *html.Node) string {
	if !isElement(n) {
		return ""
	}
	return n.Data
}

// Attr returns the value of n's attribute name and whether it is present.
func Attr(n *html.Node, name string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// attrOr returns n's attribute name, or def when it is absent.
func attrOr(n *html.Node, name, def string) string {
	if v, ok := Attr(n, name); ok {
		return v
	}
	return def
}

// hasAttr reports whether n has the attribute name.
func hasAttr(n *html.Node, name string) bool {
	_, ok := Attr(n, name)
	return ok
}

// SetAttr is setAttribute: it replaces the value in place, or appends the
// attribute after the others.
func SetAttr(n *html.Node, name, val string) {
	for i, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: name, Val: val})
}

// RemoveAttr is removeAttribute.
func RemoveAttr(n *html.Node, name string) {
	for i, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			n.Attr = append(n.Attr[:i:i], n.Attr[i+1:]...)
			return
		}
	}
}

// toggleAttr sets (as "") or removes the boolean attribute name.
func toggleAttr(n *html.Node, name string, on bool) {
	if !on {
		RemoveAttr(n, name)
	} else if !hasAttr(n, name) {
		SetAttr(n, name, "")
	}
}

// TextContent is the DOM's textContent: the text of every descendant text
// node, in order.
func TextContent(n *html.Node) string {
	if n == nil {
		return ""
	}
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				b.WriteString(c.Data)
			case html.ElementNode, html.DocumentNode:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// setTextContent replaces n's children with one text node (none for "").
func setTextContent(n *html.Node, s string) {
	removeChildren(n)
	if s != "" {
		n.AppendChild(&html.Node{Type: html.TextNode, Data: s})
	}
}

// removeChildren detaches every child of n and returns them.
func removeChildren(n *html.Node) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		n.RemoveChild(c)
		out = append(out, c)
		c = next
	}
	return out
}

// Closest is element.closest: n itself or its nearest ancestor element
// matching m, or nil.
func Closest(n *html.Node, m cascadia.Matcher) *html.Node {
	for ; n != nil; n = n.Parent {
		if isElement(n) && m.Match(n) {
			return n
		}
	}
	return nil
}

// QueryAll is root.querySelectorAll: the descendant elements of root (not
// root itself) matching m, in document order.
func QueryAll(root *html.Node, m cascadia.Matcher) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if isElement(c) && m.Match(c) {
				out = append(out, c)
			}
			walk(c)
		}
	}
	if root != nil {
		walk(root)
	}
	return out
}

// Query is root.querySelector: the first of QueryAll, or nil.
func Query(root *html.Node, m cascadia.Matcher) *html.Node {
	var found *html.Node
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if isElement(c) && m.Match(c) {
				found = c
				return true
			}
			if walk(c) {
				return true
			}
		}
		return false
	}
	if root != nil {
		walk(root)
	}
	return found
}

// withSelf returns root (when it matches) followed by QueryAll(root, m).
func withSelf(root *html.Node, m cascadia.Matcher) []*html.Node {
	var out []*html.Node
	if isElement(root) && m.Match(root) {
		out = append(out, root)
	}
	return append(out, QueryAll(root, m)...)
}

// contains is Node.contains: a is b or an ancestor of b.
func contains(a, b *html.Node) bool {
	for ; b != nil; b = b.Parent {
		if a == b {
			return true
		}
	}
	return false
}

// documentOf returns the document node n belongs to, or nil when n is
// detached (the DOM's isConnected).
func documentOf(n *html.Node) *html.Node {
	for ; n != nil; n = n.Parent {
		if n.Type == html.DocumentNode {
			return n
		}
	}
	return nil
}

// DocumentElement returns the <html> element of doc.
func DocumentElement(doc *html.Node) *html.Node {
	for c := doc.FirstChild; c != nil; c = c.NextSibling {
		if isElement(c) {
			return c
		}
	}
	return nil
}

// childElement returns the first child element of n with tag name.
func childElement(n *html.Node, name string) *html.Node {
	if n == nil {
		return nil
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if tag(c) == name {
			return c
		}
	}
	return nil
}

// getElementByID is document.getElementById.
func getElementByID(doc *html.Node, id string) *html.Node {
	if id == "" {
		return nil
	}
	var found *html.Node
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if isElement(c) {
				if v, ok := Attr(c, "id"); ok && v == id {
					found = c
					return true
				}
			}
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(doc)
	return found
}

// ParseDocument parses a page as the browser does.
func ParseDocument(src string) (*html.Node, error) {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return nil, err
	}
	restoreAttrOrder([]*html.Node{doc}, src)
	return doc, nil
}

// ParseFragment parses s as <template>.innerHTML = s does, which keeps
// table rows, <style> and the like where a <div> context would drop them.
func ParseFragment(s string) ([]*html.Node, error) {
	ctx := &html.Node{Type: html.ElementNode, Data: "template", DataAtom: atom.Template}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return nil, err
	}
	restoreAttrOrder(nodes, s)
	return nodes, nil
}

// formattingTags are the elements whose attributes golang.org/x/net/html
// (v0.60 to v0.62 at least) sorts in place while parsing, for its "Noah's
// Ark" comparison: the browser keeps them in source order, and so does
// element.dataset, so the data keys of <a data-b data-a> come out b, a.
var formattingTags = map[string]bool{
	"a": true, "b": true, "big": true, "code": true, "em": true, "font": true, "i": true,
	"nobr": true, "s": true, "small": true, "strike": true, "strong": true, "tt": true, "u": true,
}

// restoreAttrOrder puts the attributes of the formatting elements under
// roots back in source order: it tokenizes src again and gives each such
// element, in document order, the order of the first unused start tag with
// the same name and the same attributes (clones the parser made of an
// element take the order of any such tag).
func restoreAttrOrder(roots []*html.Node, src string) {
	if !hasSortedAttrs(roots) {
		return // nothing to restore: no need to tokenize src again
	}
	type startTag struct {
		attrs []html.Attribute
		used  bool
	}
	byKey := map[string][]*startTag{}
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if formattingTags[tok.Data] && len(tok.Attr) > 1 {
			k := tok.Data + "\x00" + attrSetKey(tok.Attr)
			byKey[k] = append(byKey[k], &startTag{attrs: tok.Attr})
		}
	}
	if len(byKey) == 0 {
		return
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Namespace == "" && formattingTags[n.Data] && len(n.Attr) > 1 {
			tags := byKey[n.Data+"\x00"+attrSetKey(n.Attr)]
			var pick *startTag
			for _, t := range tags {
				if !t.used {
					pick = t
					break
				}
			}
			if pick == nil && len(tags) > 0 {
				pick = tags[0]
			}
			if pick != nil {
				pick.used = true
				n.Attr = append([]html.Attribute(nil), pick.attrs...)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, r := range roots {
		walk(r)
	}
}

// hasSortedAttrs reports whether a formatting element with several
// attributes, whose order the parser may have changed, is under roots.
func hasSortedAttrs(roots []*html.Node) bool {
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.Namespace == "" && len(n.Attr) > 1 && formattingTags[n.Data] {
			return true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	for _, r := range roots {
		if walk(r) {
			return true
		}
	}
	return false
}

// attrSetKey identifies a set of attributes whatever their order.
func attrSetKey(attrs []html.Attribute) string {
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		parts[i] = a.Namespace + "\x00" + a.Key + "\x00" + a.Val
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01")
}

// asciiSpace reports the HTML standard's ASCII whitespace.
func asciiSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r'
}

// CollapseSpace is the HTML standard's "strip and collapse ASCII
// whitespace": runs of spaces, tabs and newlines become one space, none at
// the ends (a no-break space stays).
func CollapseSpace(s string) string { return stripAndCollapse(s) }

// stripAndCollapse is CollapseSpace.
func stripAndCollapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, asciiSpace), " ")
}

// tokens splits an attribute value on ASCII whitespace (class, data-action,
// data-controller).
func tokens(s string) []string {
	return strings.FieldsFunc(s, asciiSpace)
}

// classListAdd and classListRemove are element.classList.add and .remove,
// with the DOMTokenList update steps: the attribute is rewritten as the
// ordered set of its tokens (duplicates and extra spaces go), and it is not
// created when it was absent and nothing remains.
func classListAdd(n *html.Node, token string) {
	set := orderedTokens(attrOr(n, "class", ""))
	if !containsString(set, token) {
		set = append(set, token)
	}
	SetAttr(n, "class", strings.Join(set, " "))
}

func classListRemove(n *html.Node, token string) {
	v, ok := Attr(n, "class")
	if !ok {
		return
	}
	var kept []string
	for _, t := range orderedTokens(v) {
		if t != token {
			kept = append(kept, t)
		}
	}
	SetAttr(n, "class", strings.Join(kept, " "))
}

func orderedTokens(s string) []string {
	var out []string
	for _, t := range tokens(s) {
		if !containsString(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
