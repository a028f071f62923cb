package clientrules

import (
	"encoding/json"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// The Go copy of jsclient/src/flash.js: flash messages (the "flash" frame
// key), one per kind, in the page's [data-liveview-flash] container, kept
// across frames that replace it; redirects (the "redirect" key), which take
// the messages along to a page of the same origin. Messages are never
// dismissed by time here: there are no timers (a container's
// data-liveview-flash="ms" does nothing).

// Flash is one message the page holds: its kind and text.
type Flash struct {
	Kind, Text string
}

// flashMsg is one message and its element, in the container or detached.
type flashMsg struct {
	kind string
	text string
	el   *html.Node
}

var flashBoxSel = mustCompile("[data-liveview-flash]")

// flashFrame is flash(f) for a frame's "flash" value (raw, nil when the
// frame has none): an object with a truthy kind replaces the message of
// that kind, and, with a truthy text, shows a new one; then the messages go
// into the container.
func (c *Client) flashFrame(raw json.RawMessage) {
	var f map[string]json.RawMessage
	if json.Unmarshal(raw, &f) == nil && f != nil && truthy(f["kind"]) {
		c.addFlash(jsValueString(f["kind"]), f["text"])
	}
	c.placeFlashes()
}

// addFlash replaces the message of kind with text (a JSON value; falsy
// removes it only).
func (c *Client) addFlash(kind string, text json.RawMessage) {
	c.dropFlash(kind, nil)
	if !truthy(text) {
		return
	}
	t := jsValueString(text)
	el := &html.Node{Type: html.ElementNode, Data: "div"}
	SetAttr(el, "class", "liveview-flash liveview-flash-"+kind)
	role := "status"
	if kind == "error" {
		role = "alert"
	}
	SetAttr(el, "role", role)
	el.AppendChild(&html.Node{Type: html.TextNode, Data: t})
	b := &html.Node{Type: html.ElementNode, Data: "button"}
	SetAttr(b, "type", "button")
	SetAttr(b, "aria-label", "Close")
	b.AppendChild(&html.Node{Type: html.TextNode, Data: "×"})
	el.AppendChild(b)
	c.flashes = append(c.flashes, &flashMsg{kind: kind, text: t, el: el})
}

// dropFlash removes the message of kind, if it still is el (any, for nil).
func (c *Client) dropFlash(kind string, el *html.Node) {
	for i, m := range c.flashes {
		if m.kind != kind {
			continue
		}
		if el != nil && m.el != el {
			return
		}
		if m.el.Parent != nil {
			m.el.Parent.RemoveChild(m.el)
		}
		c.flashes = append(c.flashes[:i], c.flashes[i+1:]...)
		return
	}
}

// placeFlashes is placeFlashes(): the messages not in the page's container
// are appended to it, in order; without a container they wait, and the
// client warns.
func (c *Client) placeFlashes() {
	box := Query(c.doc, flashBoxSel)
	if box == nil {
		if len(c.flashes) > 0 {
			c.warnOnce("LiveView: no [data-liveview-flash] element for a flash")
		}
		return
	}
	for _, m := range c.flashes {
		if m.el.Parent != box {
			if m.el.Parent != nil {
				m.el.Parent.RemoveChild(m.el)
			}
			box.AppendChild(m.el)
		}
	}
}

// closeFlash is the click listener of a message's close button: it reports
// whether el is the close button of a message the page holds, which it then
// removes.
func (c *Client) closeFlash(el *html.Node) bool {
	for _, m := range c.flashes {
		if m.el.LastChild == el {
			c.dropFlash(m.kind, m.el)
			return true
		}
	}
	return false
}

// Flashes returns the messages the page holds, shown in its container or
// waiting for one, in order.
func (c *Client) Flashes() []Flash {
	out := make([]Flash, len(c.flashes))
	for i, m := range c.flashes {
		out[i] = Flash{Kind: m.kind, Text: m.text}
	}
	return out
}

// RestoreFlashes is restoreFlashes: the messages a redirect stored in the
// tab are shown in the new page, as its client starts (before Connect).
// The outcome holds what the client logs.
func (c *Client) RestoreFlashes(saved []Flash) *Outcome {
	c.begin()
	for _, f := range saved {
		if f.Kind == "" {
			continue
		}
		text, _ := json.Marshal(f.Text)
		c.addFlash(f.Kind, text)
		c.placeFlashes()
	}
	return c.end()
}

// warnOnce is warn.js's warnOnce: each text is noted once per page.
func (c *Client) warnOnce(text string) {
	if c.warned[text] {
		return
	}
	c.warned[text] = true
	c.note(text)
}

// redirect is redirect(url): an http, https or relative URL, resolved
// against the page's, is loaded (the result's Redirect), taking the
// messages along when it is of the same origin; anything else is refused
// and logged.
func (c *Client) redirect(s string, res *FrameResult) {
	u, err := c.url.Parse(stripURL(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		c.note("LiveView: redirect refused " + s)
		return
	}
	res.Redirect = u
	if c.SameOrigin(u) {
		res.Carried = c.Flashes()
	}
}

// stripURL does what the URL parser does first with a string: strip
// leading and trailing C0 controls and spaces, and remove tabs and
// newlines.
func stripURL(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	return strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
}

// SameOrigin reports whether u is of the page's origin: scheme, host and
// port (the scheme's default when missing).
func (c *Client) SameOrigin(u *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if u.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return u.Scheme == c.url.Scheme && strings.EqualFold(u.Hostname(), c.url.Hostname()) && port(u) == port(c.url)
}
