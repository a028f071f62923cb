package liveview

import "unicode/utf8"

// parseFast decodes the frames the official client sends without
// reflection: one object whose keys are function, data, form, lang, room and
// ref, data holding strings, form holding strings, booleans or null, and
// strings without escapes. Anything else (an escape, a nested value, an
// unknown or repeated key, a data key collision after snake_case, invalid
// UTF-8, any syntax error) makes it report false, and ParseEvent falls back
// to encoding/json, which then accepts or rejects the frame; both paths give
// the same Event for every frame parseFast accepts (FuzzParseEvent checks).
func parseFast(b []byte) (*Event, bool) {
	d := fastDecoder{b: b}
	ev := &Event{}
	var seen uint8
	d.ws()
	if !d.eat('{') {
		return nil, false
	}
	d.ws()
	if d.eat('}') {
		return nil, false // no function: let the slow path say so
	}
	for {
		d.ws()
		key, ok := d.str()
		if !ok {
			return nil, false
		}
		d.ws()
		if !d.eat(':') {
			return nil, false
		}
		d.ws()
		var bit uint8
		switch key {
		case "function":
			bit = 1
			if ev.Function, ok = d.str(); !ok {
				return nil, false
			}
		case "lang":
			bit = 2
			if !d.null() {
				if ev.Lang, ok = d.str(); !ok {
					return nil, false
				}
			}
		case "room":
			bit = 4
			if !d.null() && !d.skipStr() {
				return nil, false // the room is the server's: not even copied
			}
		case "ref":
			bit = 8
			if !d.null() {
				if ev.Ref, ok = d.uint(); !ok {
					return nil, false
				}
			}
		case "data":
			bit = 16
			if !d.null() {
				if ev.Data, ok = d.object(true); !ok {
					return nil, false
				}
			}
		case "form":
			bit = 32
			if !d.null() {
				if ev.Form, ok = d.object(false); !ok {
					return nil, false
				}
			}
		default:
			return nil, false
		}
		if seen&bit != 0 {
			return nil, false // encoding/json merges repeated objects: leave it to it
		}
		seen |= bit
		d.ws()
		if d.eat(',') {
			continue
		}
		if !d.eat('}') {
			return nil, false
		}
		d.ws()
		return ev, d.i == len(d.b) && ev.Function != ""
	}
}

type fastDecoder struct {
	b []byte
	i int
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

// object reads {"key": value, ...}. For data (snake true) values must be
// strings and keys are snake_cased; a collision sends the frame to the slow
// path, which has the documented rule. For form, values may also be
// booleans or null.
func (d *fastDecoder) object(snake bool) (map[string]any, bool) {
	if !d.eat('{') {
		return nil, false
	}
	m := make(map[string]any, 4)
	d.ws()
	if d.eat('}') {
		return m, true
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
		var v any
		switch {
		case d.i < len(d.b) && d.b[d.i] == '"':
			s, ok := d.str()
			if !ok {
				return nil, false
			}
			v = s
		case snake:
			return nil, false
		case d.literal("true"):
			v = true
		case d.literal("false"):
			v = false
		case d.null():
			v = nil
		default:
			return nil, false
		}
		if _, dup := m[k]; dup {
			return nil, false
		}
		m[k] = v
		d.ws()
		if d.eat(',') {
			continue
		}
		return m, d.eat('}')
	}
}
