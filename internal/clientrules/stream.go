package clientrules

import (
	"encoding/json"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// The Go copy of jsclient/src/stream.js: the "stream" frame key, keyed
// list updates of a container's children by DOM id. See stream.js for the
// rules; the same simplifications as the rest of this package apply: item
// scripts do not run (they stay in the item, inert), and an update in
// place replaces the item with the new element instead of morphing it,
// the focused text field keeping what was typed into it (see insert).

// applyStream is stream.js's applyStream(v), v the frame's stream value
// (truthy). It reports whether the container existed.
func (c *Client) applyStream(v json.RawMessage) bool {
	var x any
	_ = json.Unmarshal(v, &x)  // once: the rest reads Go values
	s, _ := x.(map[string]any) // a non-object has no keys, as in JavaScript
	sel := "undefined"         // String(undefined), as querySelector gets it
	if t, ok := s["target"]; ok {
		sel = jsString(t)
	}
	box := c.target(sel)
	if box == nil {
		return false
	}
	drop := func(el *html.Node) { // el.remove(), el in the page or in frag
		if contains(el, c.active) {
			c.active = nil
		}
		el.Parent.RemoveChild(el)
	}
	if truthyValue(s["reset"]) {
		if contains(box, c.active) && box != c.active {
			c.active = nil
		}
		removeChildren(box)
	}
	kids := map[string]*html.Node{} // id -> the first child element with that id
	for n := box.FirstChild; n != nil; n = n.NextSibling {
		if id, _ := Attr(n, "id"); n.Type == html.ElementNode && id != "" && kids[id] == nil {
			kids[id] = n
		}
	}
	var (
		frag    *html.Node // the DocumentFragment of pending inserts at one end
		front   bool       // the pending (else the last) insert went to the start
		touched []*html.Node
	)
	flush := func() { // box.prepend(frag) or box.append(frag)
		if frag == nil {
			return
		}
		anchor := box.FirstChild
		if !front {
			anchor = nil
		}
		for _, n := range removeChildren(frag) {
			box.InsertBefore(n, anchor)
		}
		frag = nil
	}
	items, _ := s["items"].([]any) // Array.isArray, else none
	for _, x := range items {
		it, _ := x.(map[string]any) // a non-object has no id
		id, ok := it["id"].(string)
		if !ok || id == "" {
			continue
		}
		el := kids[id]
		if truthyValue(it["delete"]) {
			if el != nil {
				drop(el)
			}
			delete(kids, id)
			continue
		}
		src := "" // String(it.html ?? "")
		if h := it["html"]; h != nil {
			src = jsString(h)
		}
		nodes, err := ParseFragment(src)
		if err != nil {
			c.note("LiveView: cannot parse fragment: " + err.Error())
			continue
		}
		var node *html.Node
		for _, n := range nodes {
			if n.Type == html.ElementNode {
				node = n
				break
			}
		}
		if node == nil {
			c.note("LiveView: stream item " + id + " has no element")
			continue
		}
		if v, _ := Attr(node, "id"); v != id {
			SetAttr(node, "id", id)
		}
		if el != nil {
			c.replaceItem(el, node)
		} else {
			var ref *html.Node // kids.get(it.before || it.after)
			before := truthyValue(it["before"])
			key := it["after"]
			if before {
				key = it["before"]
			}
			if k, ok := key.(string); ok {
				ref = kids[k]
			}
			start := it["at"] == "start"
			switch {
			case ref != nil:
				flush()
				if before {
					box.InsertBefore(node, ref)
				} else {
					box.InsertBefore(node, ref.NextSibling)
				}
				front = false
			default:
				if start != front {
					flush()
				}
				front = start
				if frag == nil {
					frag = &html.Node{Type: html.DocumentNode}
				}
				if start {
					frag.InsertBefore(node, frag.FirstChild)
				} else {
					frag.AppendChild(node)
				}
			}
		}
		kids[id] = node
		touched = append(touched, node)
	}
	flush()
	if limit := jsNumberOf(s["limit"]); limit > 0 { // Number(s.limit) > 0
		for n := float64(countElements(box)) - limit; n > 0; n-- {
			if front {
				drop(lastElementChild(box))
			} else {
				drop(firstElementChild(box))
			}
		}
	}
	c.inserted(touched)
	return true
}

// replaceItem is the simplified morph of an item: new takes old's place,
// and the focused text field inside old keeps what was typed into it when
// new has its counterpart (see insert).
func (c *Client) replaceItem(old, new *html.Node) {
	var keep *html.Node
	if contains(old, c.active) {
		if IsTextField(c.active) {
			keep = c.active
		}
		c.active = nil
	}
	old.Parent.InsertBefore(new, old) // the page or the pending fragment
	old.Parent.RemoveChild(old)
	if keep == nil {
		return
	}
	if twin := counterpart([]*html.Node{new}, keep); twin != nil {
		SetValue(twin, rawValue(keep))
		c.active = twin
		if c.dirty[keep] {
			c.dirty[twin] = true
		}
	}
}

// truthyValue is JavaScript truthiness of a decoded JSON value; absent
// (nil) is falsy.
func truthyValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0 && v == v
	}
	return true // objects and arrays
}

// jsNumberOf is Number(v) for a decoded JSON value (null and false are 0,
// true 1, a string its number), with NaN (objects, junk) as 0.
func jsNumberOf(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case bool:
		if v {
			return 1
		}
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			return f
		}
	case []any:
		if len(v) == 1 {
			return jsNumberOf(v[0])
		}
	}
	return 0
}

func countElements(n *html.Node) int {
	k := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			k++
		}
	}
	return k
}

func firstElementChild(n *html.Node) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}

func lastElementChild(n *html.Node) *html.Node {
	for c := n.LastChild; c != nil; c = c.PrevSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}
