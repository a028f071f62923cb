package liveview

import (
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Data keys as Django LiveView's docs read them.
//
// The browser's dataset turns data-data-comment-id into dataCommentId, which
// the server snake_cases to data_comment_id, exactly as upstream does (its
// code reads content["data"]["data_comment_id"]). Its docs, though, read
// content["data"]["comment_id"] and data.get("modalId"). Context.Data and
// Bind's data tags keep the docs' promise: a key is looked up as
//
//  1. the key as given ("comment_id"), exactly;
//  2. the key snake_cased, when that differs ("modalId" -> "modal_id");
//  3. "data_" + the snake_cased key ("data_comment_id", "data_modal_id"):
//     the data-data-* attribute.
//
// The first one present wins, so an event that carries both
// data-comment-id and data-data-comment-id gives the former for
// "comment_id"; "data_comment_id" still reads the latter. DataMap returns
// the keys as sent (snake_cased), without these aliases.
//
// With Config.Debug, a key found by none of the three while the event has
// a near spelling ("comment-id", "coment_id", "data_comment_id" when
// data-comment-id was sent) is logged once per function and key, as a hint
// for the developer; the client never sees it.

// dataPrefix is what data-data-* attributes carry after snake_case.
const dataPrefix = "data_"

// lookupData finds key in the fast path's data entries by the rules above,
// without allocating unless key has upper-case or non-ASCII letters.
func lookupData(ps []pair, key string) *pair {
	if p := lookup(ps, key); p != nil {
		return p
	}
	sk := SnakeCase(key) // key itself, without allocating, for lower-case ASCII keys
	if sk != key {
		if p := lookup(ps, sk); p != nil {
			return p
		}
	}
	for i := range ps {
		if k := ps[i].key; len(k) == len(dataPrefix)+len(sk) && strings.HasPrefix(k, dataPrefix) && k[len(dataPrefix):] == sk {
			return &ps[i]
		}
	}
	return nil
}

// dataValue finds key in a data map by the rules above.
func dataValue(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	sk := SnakeCase(key)
	if sk != key {
		if v, ok := m[sk]; ok {
			return v, true
		}
	}
	v, ok := m[dataPrefix+sk]
	return v, ok
}

// aliasData returns src with, for every top-level data name of fields (the
// names of Bind's data tags) missing from it, the value the rules above
// find under another spelling. src is returned as is when nothing is
// added; otherwise a copy (src is the Context's shared map). missing
// receives the names found under no spelling.
func aliasData(src map[string]any, fields map[string]bindField, missing func(name string)) map[string]any {
	out, copied := src, false
	for name := range fields {
		top := name
		if i := strings.IndexAny(name, ".["); i >= 0 {
			top = name[:i]
		}
		if _, ok := out[top]; ok {
			continue
		}
		v, ok := dataValue(src, top)
		if !ok {
			missing(top)
			continue
		}
		if !copied {
			out, copied = maps.Clone(src), true
		}
		out[top] = v
	}
	return out
}

// hintLog remembers the hints already logged, so each is logged once per
// Hub. Its keys are the function (a registered name, since a handler
// asked) and the key the handler asked for, so they are bounded by the
// app's code; maxHints bounds them anyway, for keys built at run time.
type hintLog struct {
	seen sync.Map // what "\x00" function "\x00" key -> struct{}
	n    atomic.Int32
}

const maxHints = 1024

// hint logs, when Config.Debug is on, that what (Data, FormValue, a Bind
// data tag) found nothing under key although the event has near, once per
// what, function and key. near is the client's spelling: clipped.
func (c *Context) hint(what, key, near string) {
	h := c.conn.hub
	l := &h.hints
	if l.n.Load() >= maxHints {
		return
	}
	if _, dup := l.seen.LoadOrStore(what+"\x00"+c.Function()+"\x00"+key, struct{}{}); dup {
		return
	}
	l.n.Add(1)
	h.log.Warn("liveview: "+what+" found no "+strconv.Quote(key)+" in the event, which has "+strconv.Quote(clip(near, MaxClientStringLog))+" (a hint of Config.Debug, never sent to the client)",
		c.conn.logAttrs("function", clip(c.Function(), MaxClientStringLog), "key", key, "near", clip(near, MaxClientStringLog))...)
}

// missingData is called when Data or a Bind data tag found nothing for key.
func (c *Context) missingData(what, key string) {
	if h := c.conn.hub; h == nil || !h.cfg.Debug {
		return
	}
	if near := nearDataKey(key, c.dataKeys()); near != "" {
		c.hint(what, key, near)
	}
}

// missingForm is called when FormValue found nothing for name.
func (c *Context) missingForm(name string) {
	if h := c.conn.hub; h == nil || !h.cfg.Debug {
		return
	}
	if near := closest(name, c.formKeys()); near != "" {
		c.hint("FormValue", name, near)
	}
}

// dataKeys and formKeys list the keys of the event, from whichever form it
// is held in.
func (c *Context) dataKeys() func(yield func(string) bool) {
	if c.fast {
		return pairKeys(c.fe.data)
	}
	var m map[string]any
	if c.event != nil {
		m = c.event.Data
	}
	return maps.Keys(m)
}

func (c *Context) formKeys() func(yield func(string) bool) {
	if c.fast {
		return pairKeys(c.fe.form)
	}
	var m map[string]any
	if c.event != nil {
		m = c.event.Form
	}
	return maps.Keys(m)
}

func pairKeys(ps []pair) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for i := range ps {
			if !yield(ps[i].key) {
				return
			}
		}
	}
}

// nearDataKey returns the key of keys that key was probably meant to be,
// comparing both without a "data_" prefix: one equal to it once case, '_'
// and '-' are ignored, else the closest spelling (see closest). Of a key
// and its data_ form, the key itself is named (what Data returns first).
func nearDataKey(key string, keys func(yield func(string) bool)) string {
	want := strings.TrimPrefix(key, dataPrefix)
	stripped := func(yield func(string) bool) {
		for k := range keys {
			if k != key && !yield(strings.TrimPrefix(k, dataPrefix)) {
				return
			}
		}
	}
	near := ""
	for k := range stripped {
		if squash(k) == squash(want) && (near == "" || k < near) {
			near = k
		}
	}
	if near == "" {
		if near = closest(want, stripped); near == "" {
			return ""
		}
	}
	found := ""
	for k := range keys {
		if k != key && (k == near || k == dataPrefix+near) && (found == "" || k == near) {
			found = k
		}
	}
	return found
}
