package clientrules

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Event is one client -> server frame as the bundled client builds it in
// controllers/page_controller.js (execute) and socket.js (send, transmit).
type Event struct {
	Function string
	Data     *Object         // string values
	RawData  json.RawMessage // instead of Data when set: a hook's pushEvent data
	Form     *Object         // string, bool or []string values
	Ref      int             // 0: no ref (the client then sends none)
	ID       string          // with Ref: the event's id, the page's tab + "." + Ref (socket.js)
	Lang     *string         // <html lang> at send time; nil is JSON null
	Room     string

	// Files are the files the event uploads before it is sent (file inputs
	// with files among its fields), in field order; Upload is the id of
	// that upload, set when it is complete (0: none, no "upload" key).
	Files  []UploadFile
	Upload int
}

// JSON returns the frame exactly as the client's JSON.stringify({...message,
// lang, room}) writes it: keys function, data, form, ref (when set),
// upload (when set), lang, room; object keys in JavaScript's order
// (integer-like keys first, in ascending order, then the others in
// insertion order); strings escaped as JSON.stringify escapes them.
func (e *Event) JSON() []byte {
	var b strings.Builder
	b.WriteString(`{"function":`)
	writeJSString(&b, e.Function)
	b.WriteString(`,"data":`)
	if e.RawData != nil {
		b.Write(e.RawData)
	} else {
		e.Data.write(&b)
	}
	b.WriteString(`,"form":`)
	e.Form.write(&b)
	if e.Ref != 0 {
		b.WriteString(`,"ref":`)
		b.WriteString(strconv.Itoa(e.Ref))
	}
	if e.ID != "" {
		b.WriteString(`,"id":`)
		writeJSString(&b, e.ID)
	}
	if e.Upload != 0 {
		b.WriteString(`,"upload":`)
		b.WriteString(strconv.Itoa(e.Upload))
	}
	b.WriteString(`,"lang":`)
	if e.Lang == nil {
		b.WriteString("null")
	} else {
		writeJSString(&b, *e.Lang)
	}
	b.WriteString(`,"room":`)
	writeJSString(&b, e.Room)
	b.WriteByte('}')
	return []byte(b.String())
}

// Object is a JavaScript object with string keys and string, bool or
// []string (an array of strings) values: assigning a key again keeps its
// place and replaces its value, as form[name] = value does. The zero value
// is an empty object.
type Object struct {
	keys []string
	vals map[string]any
}

// Set assigns v (a string, a bool or a []string) to key.
func (o *Object) Set(key string, v any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

// Get returns the value of key and whether it is set.
func (o *Object) Get(key string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.vals[key]
	return v, ok
}

// Len returns the number of keys.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// Keys returns the keys in JavaScript's enumeration order.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	var ints, others []string
	for _, k := range o.keys {
		if isArrayIndex(k) {
			ints = append(ints, k)
		} else {
			others = append(others, k)
		}
	}
	sort.Slice(ints, func(i, j int) bool {
		a, _ := strconv.ParseUint(ints[i], 10, 32)
		b, _ := strconv.ParseUint(ints[j], 10, 32)
		return a < b
	})
	return append(ints, others...)
}

// Map returns the object as a Go map (nil values are impossible).
func (o *Object) Map() map[string]any {
	m := make(map[string]any, o.Len())
	for _, k := range o.Keys() {
		m[k] = o.vals[k]
	}
	return m
}

func (o *Object) write(b *strings.Builder) {
	b.WriteByte('{')
	for i, k := range o.Keys() {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSString(b, k)
		b.WriteByte(':')
		switch v := o.vals[k].(type) {
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case string:
			writeJSString(b, v)
		case []string:
			b.WriteByte('[')
			for i, s := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				writeJSString(b, s)
			}
			b.WriteByte(']')
		default:
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
}

// isArrayIndex reports whether JavaScript treats k as an array index, the
// keys an object enumerates first: "0" or a decimal without leading zero
// below 2^32-1.
func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n < 1<<32-1
}

// writeJSString writes s as JSON.stringify does: only '"', '\\' and control
// characters are escaped (\b \f \n \r \t, else \u00xx); everything else,
// '<', '&' and U+2028 included, is written as is. Bytes that are not UTF-8
// become U+FFFD, as the browser's decoder made them.
func writeJSString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r) // utf8.RuneError for bad bytes: U+FFFD
		}
	}
	b.WriteByte('"')
}
