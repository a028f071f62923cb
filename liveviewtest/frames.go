package liveviewtest

import (
	"bytes"
	"encoding/json"

	"github.com/echo-liveview/liveview"
)

// decodeMessage decodes a server frame into a liveview.Message: the keys
// of its fields, with their types, into the fields; every other key (or a
// known key with an unexpected type) into Extra. bare reports a frame that
// is only a ref answer ({"ref": n}).
func decodeMessage(raw []byte) (m liveview.Message, bare bool) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil {
		return m, false
	}
	extra := map[string]any{}
	into := func(key string, v json.RawMessage, dst any) {
		if err := json.Unmarshal(v, dst); err != nil || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			var x any
			_ = json.Unmarshal(v, &x)
			extra[key] = x
		}
	}
	for k, v := range f {
		switch k {
		case "target":
			into(k, v, &m.Target)
		case "html":
			into(k, v, &m.HTML)
		case "append":
			into(k, v, &m.Append)
		case "remove":
			into(k, v, &m.Remove)
		case "url":
			into(k, v, &m.URL)
		case "title":
			into(k, v, &m.Title)
		case "scroll":
			into(k, v, &m.Scroll)
		case "scrollTop":
			into(k, v, &m.ScrollTop)
		case "morph":
			into(k, v, &m.Morph)
		case "js":
			into(k, v, &m.JS)
		case "event":
			into(k, v, &m.Event)
		case "eventData":
			_ = json.Unmarshal(v, &m.EventData)
		case "error":
			into(k, v, &m.Error)
		case "function":
			into(k, v, &m.Function)
		case "ref":
			into(k, v, &m.Ref)
		case "reply":
			_ = json.Unmarshal(v, &m.Reply)
		case "flash":
			var fl liveview.Flash
			into(k, v, &fl)
			if _, bad := extra[k]; !bad {
				m.Flash = &fl
			}
		case "redirect":
			into(k, v, &m.Redirect)
		case "stream":
			into(k, v, &m.Stream)
		default:
			var x any
			_ = json.Unmarshal(v, &x)
			extra[k] = x
		}
	}
	if len(extra) > 0 {
		m.Extra = extra
	}
	_, hasRef := f["ref"]
	_, hasOnce := f["once"]
	if hasOnce && len(f) == 2 {
		delete(m.Extra, "once")
		if len(m.Extra) == 0 {
			m.Extra = nil
		}
	}
	return m, hasRef && (len(f) == 1 || hasOnce && len(f) == 2)
}
