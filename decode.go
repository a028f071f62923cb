package liveview

import (
	"math"
	"unicode/utf8"
	"unsafe"
)

// fastEvent is a client frame decoded without reflection and without maps:
// the fields, and the data and form entries in frame order. With aliasing
// on, its strings point into the frame, which must then never change.
type fastEvent struct {
	function, lang   string
	id               string // the additive event id (once.go), "" for none
	ref              int64
	hasData, hasForm bool   // the frame had the object (maybe empty)
	upload           uint32 // the upload the event consumes, 0 for none
	data, form       []pair // keys snake_cased for data; values as sent
}

// pair is one entry of a data or form object.
type pair struct {
	key, val string
	kind     valueKind
}

type valueKind uint8

const (
	kindString valueKind = iota
	kindTrue
	kindFalse
	kindNull
)

// value is what encoding/json would decode the entry to.
func (p *pair) value() any {
	switch p.kind {
	case kindTrue:
		return true
	case kindFalse:
		return false
	case kindNull:
		return nil
	}
	return p.val
}

// str is the entry as Context.Data and FormValue give it.
func (p *pair) str() string {
	switch p.kind {
	case kindTrue:
		return "true"
	case kindFalse:
		return "false"
	case kindNull:
		return ""
	}
	return p.val
}

// lookup returns the entry key of ps.
func lookup(ps []pair, key string) *pair {
	for i := range ps {
		if ps[i].key == key {
			return &ps[i]
		}
	}
	return nil
}

// toMap returns the entries as encoding/json would decode the object.
func toMap(ps []pair) map[string]any {
	m := make(map[string]any, len(ps))
	for i := range ps {
		m[ps[i].key] = ps[i].value()
	}
	return m
}

// event returns ev as an Event, with maps.
func (ev *fastEvent) event() *Event {
	out := &Event{Function: ev.function, Lang: ev.lang, Ref: ev.ref, Upload: ev.upload, ID: ev.id}
	if ev.hasData {
		out.Data = toMap(ev.data)
	}
	if ev.hasForm {
		out.Form = toMap(ev.form)
	}
	return out
}

// maxFastKeys bounds the entries of one object on the fast path, whose
// duplicate check is quadratic; larger objects take encoding/json.
const maxFastKeys = 64

// parseFast is ParseEvent's fast path: decodeFast with copied strings.
func parseFast(b []byte) (*Event, bool) {
	var ev fastEvent
	var buf [8]pair
	if !decodeFast(b, &ev, buf[:0], false) {
		return nil, false
	}
	return ev.event(), true
}

// decodeFast decodes the frames the official client sends without
// reflection: one object whose keys are function, data, form, lang, room,
// ref, upload and id, data holding strings, form holding strings, booleans or null,
// and strings without escapes. Anything else (an escape, a nested value, an
// unknown or repeated key, a data key collision after snake_case, more than
// maxFastKeys entries in an object, invalid UTF-8, any syntax error) makes
// it report false, and the caller falls back to encoding/json, which then
// accepts or rejects the frame; both paths give the same Event for every
// frame decodeFast accepts (FuzzParseEvent checks). Entries are appended to
// buf (a caller's array, so small events need no allocation). With alias,
// the strings of ev point into b (only the snake_cased keys that differ
// from the frame's are new strings): b must never change afterwards.
func decodeFast(b []byte, ev *fastEvent, buf []pair, alias bool) bool {
	d := fastDecoder{b: b, alias: alias}
	var seen uint8
	d0, d1, f0, f1 := 0, 0, 0, 0
	d.ws()
	if !d.eat('{') {
		return false
	}
	d.ws()
	if d.eat('}') {
		return false // no function: let the slow path say so
	}
	for {
		d.ws()
		key, ok := d.str()
		if !ok {
			return false
		}
		d.ws()
		if !d.eat(':') {
			return false
		}
		d.ws()
		var bit uint8
		switch key {
		case "function":
			bit = 1
			if ev.function, ok = d.str(); !ok {
				return false
			}
		case "lang":
			bit = 2
			if !d.null() {
				if ev.lang, ok = d.str(); !ok {
					return false
				}
			}
		case "room":
			bit = 4
			if !d.null() && !d.skipStr() {
				return false // the room is the server's: not even copied
			}
		case "ref":
			bit = 8
			if !d.null() {
				if ev.ref, ok = d.uint(); !ok {
					return false
				}
			}
		case "id":
			bit = 128
			if !d.null() {
				if ev.id, ok = d.str(); !ok {
					return false
				}
			}
		case "upload":
			bit = 64
			if !d.null() {
				n, ok := d.uint()
				if !ok || n > math.MaxUint32 {
					return false // the slow path refuses it
				}
				ev.upload = uint32(n)
			}
		case "data":
			bit = 16
			if !d.null() {
				d0 = len(buf)
				if buf, ok = d.object(buf, true); !ok {
					return false
				}
				d1, ev.hasData = len(buf), true
			}
		case "form":
			bit = 32
			if !d.null() {
				f0 = len(buf)
				if buf, ok = d.object(buf, false); !ok {
					return false
				}
				f1, ev.hasForm = len(buf), true
			}
		default:
			return false
		}
		if seen&bit != 0 {
			return false // encoding/json merges repeated objects: leave it to it
		}
		seen |= bit
		d.ws()
		if d.eat(',') {
			continue
		}
		if !d.eat('}') {
			return false
		}
		d.ws()
		if d.i != len(d.b) || ev.function == "" {
			return false
		}
		ev.data, ev.form = buf[d0:d1:d1], buf[f0:f1:f1]
		return true
	}
}

type fastDecoder struct {
	b     []byte
	i     int
	alias bool // strings point into b instead of being copied
}

func (d *fastDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *fastDecoder) literal(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

func (d *fastDecoder) null() bool { return d.literal("null") }

// skipStr reads a string like str, without keeping it.
func (d *fastDecoder) skipStr() bool {
	start := d.i
	if !d.eat('"') {
		return false
	}
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			d.i++
			return utf8.Valid(d.b[start:d.i])
		}
		if c == '\\' || c < 0x20 {
			return false
		}
		d.i++
	}
	return false
}

// str reads a string without escapes or control characters, in valid UTF-8.
func (d *fastDecoder) str() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start := d.i
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			if d.alias && len(s) > 0 {
				return unsafe.String(&s[0], len(s)), true
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return "", false
}

// uint reads a non-negative integer that fits an int64, as encoding/json
// would into *int64 (no sign, fraction, exponent or leading zero).
func (d *fastDecoder) uint() (int64, bool) {
	start := d.i
	var n int64
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		if d.i-start >= 18 {
			return 0, false
		}
		n = n*10 + int64(d.b[d.i]-'0')
		d.i++
	}
	digits := d.i - start
	if digits == 0 || digits > 1 && d.b[start] == '0' {
		return 0, false
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return 0, false
	}
	return n, true
}

// object reads {"key": value, ...}, appending its entries to buf. For data
// (snake true) values must be strings and keys are snake_cased; a collision
// sends the frame to the slow path, which has the documented rule. For
// form, values may also be booleans or null.
func (d *fastDecoder) object(buf []pair, snake bool) ([]pair, bool) {
	if !d.eat('{') {
		return nil, false
	}
	start := len(buf)
	d.ws()
	if d.eat('}') {
		return buf, true
	}
	for {
		d.ws()
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		if snake {
			k = SnakeCase(k)
		}
		d.ws()
		if !d.eat(':') {
			return nil, false
		}
		d.ws()
		p := pair{key: k}
		switch {
		case d.i < len(d.b) && d.b[d.i] == '"':
			if p.val, ok = d.str(); !ok {
				return nil, false
			}
		case snake:
			return nil, false
		case d.literal("true"):
			p.kind = kindTrue
		case d.literal("false"):
			p.kind = kindFalse
		case d.null():
			p.kind = kindNull
		default:
			return nil, false
		}
		if len(buf)-start >= maxFastKeys || lookup(buf[start:], k) != nil {
			return nil, false
		}
		buf = append(buf, p)
		d.ws()
		if d.eat(',') {
			continue
		}
		return buf, d.eat('}')
	}
}
