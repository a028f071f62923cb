package clientrules

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"

	"github.com/echo-liveview/liveview/internal/jscmd"
)

// The Go copy of jsclient/src/commands.js: JS commands, from the
// data-liveview-js attribute (run by page#run, see dispatch.go) and the
// frame key js (frame.go). The syntax is package jscmd's.

// maxJSDepth bounds commands that dispatch events whose page#run dispatches
// again: the browser would overflow its stack and warn.
const maxJSDepth = 32

// runJS is commands.js's runJS(list, self): each command, in order, on the
// matches of its selector (focus: the first one) or on self (nil in a
// frame); one that cannot run is noted and skipped.
func (c *Client) runJS(list string, self *html.Node) {
	if c.jsDepth >= maxJSDepth {
		c.note("LiveView: cannot run JS command \"" + strings.TrimSpace(list) + "\": too much recursion")
		return
	}
	c.jsDepth++
	defer func() { c.jsDepth-- }()
	for _, cmd := range jscmd.Parse(list) {
		targets, problem := c.jsTargets(cmd, self)
		if problem != "" {
			c.note(fmt.Sprintf("LiveView: cannot run JS command %q: %s", cmd.Text, problem))
			continue
		}
		if cmd.Name == "focus" && len(targets) > 1 {
			targets = targets[:1]
		}
		for _, el := range targets {
			c.jsCommand(cmd, el)
		}
	}
}

// jsTargets returns the elements cmd acts on, or why it cannot run.
func (c *Client) jsTargets(cmd jscmd.Command, self *html.Node) ([]*html.Node, string) {
	switch {
	case cmd.Problem != "":
		return nil, cmd.Problem
	case cmd.Selector == "" && self == nil:
		return nil, "a frame's command needs a selector"
	case cmd.Selector == "":
		return []*html.Node{self}, ""
	}
	m, err := Compile(cmd.Selector)
	if err != nil {
		return nil, fmt.Sprintf("invalid selector %q", cmd.Selector)
	}
	return QueryAll(c.doc, m), ""
}

// jsCommand runs one command on el.
func (c *Client) jsCommand(cmd jscmd.Command, el *html.Node) {
	switch cmd.Name {
	case "show":
		RemoveAttr(el, "hidden")
	case "hide":
		SetAttr(el, "hidden", "")
	case "toggle":
		toggleAttr(el, "hidden", !hasAttr(el, "hidden"))
	case "add-class":
		for _, cl := range jscmd.Classes(cmd) {
			classListAdd(el, cl)
		}
	case "remove-class":
		for _, cl := range jscmd.Classes(cmd) {
			classListRemove(el, cl)
		}
	case "toggle-class":
		for _, cl := range jscmd.Classes(cmd) {
			if containsString(tokens(attrOr(el, "class", "")), cl) {
				classListRemove(el, cl)
			} else {
				classListAdd(el, cl)
			}
		}
	case "toggle-attribute":
		name := strings.ToLower(jscmd.AttrName(cmd)) // HTML elements lower-case it
		toggleAttr(el, name, !hasAttr(el, name))
	case "set-attribute":
		SetAttr(el, strings.ToLower(jscmd.AttrName(cmd)), jscmd.AttrValue(cmd))
	case "focus":
		// focus() does nothing on what cannot take focus or is not
		// rendered (inside [hidden], whose display is none).
		if Focusable(el) && !inHidden(el) && documentOf(el) == c.doc {
			c.moveFocus(el)
		}
	case "dispatch":
		c.dispatch(el, &domEvent{typ: cmd.Arg, bubbles: true, cancelable: true})
	}
}

// inHidden reports whether el or an ancestor has the hidden attribute.
func inHidden(el *html.Node) bool {
	for n := el; isElement(n); n = n.Parent {
		if hasAttr(n, "hidden") {
			return true
		}
	}
	return false
}
