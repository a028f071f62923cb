package liveview

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/form/v4"
)

// Bind fills the struct dst points to from the event: form fields into
// fields tagged `form:"name"` (untagged fields by their Go name, as Echo's
// own binder does, unless they carry a `data` tag), then data attributes
// into fields tagged `data:"name"` (snake_cased names, found like
// Context.Data finds them: `data:"comment_id"` binds data-data-comment-id
// when the event has no data-comment-id). So one struct binds a classic
// Echo POST (c.Bind) and a live event.
//
// Decoding is go-playground/form's. Supported: strings, every int, uint and
// float size, bools ("true", "on", "1"... and the JSON booleans of
// checkboxes), pointers (left nil when the field is absent), slices from
// repeated values (a JSON list) or indexed names ("tags[0]"), nested
// structs ("address.city"), maps ("prices[small]") and time.Time. A
// time.Time is read with the layout of its `layout` tag
// (`form:"day" layout:"2006-01-02"`), else as RFC 3339 or one of the
// formats of HTML date and time inputs ("2006-01-02T15:04:05",
// "2006-01-02T15:04", "2006-01-02", "15:04:05", "15:04"), in UTC; an empty
// value leaves it unset. Form fields that match no struct field are
// ignored (buttons, CSRF tokens). An indexed name makes a slice of index+1
// elements, at most 1000: "tags[999]" is accepted, "tags[1000]" and above
// are refused with a ConversionError for that field. Repeated values are
// not limited by it (Config.MaxMessageSize bounds them).
//
// Multi-value fields bind slices: the bundled client sends a <select
// multiple>, and several checkboxes of one name in the collected fields, as
// the JSON list of the selected or checked values, so
//
//	Colors []string `form:"colors" validate:"min=1"` // <select name="colors" multiple>
//	Days   []int    `form:"days"`                    // <input type="checkbox" name="days" value="1">...
//
// fill from them (nil when nothing is selected; "min=1" then asks for
// one). A single checkbox still sends a boolean, for a bool field; a
// single select, a string. FormValue gives a list's first value.
//
// Files: a field of type *File or []*File receives the files of the file
// input of its name (`form:"avatar"`), as FormFile and FormFiles give them
// (nil when the event brought none), whatever the form holds under that
// name.
//
// Values that do not convert (a word for an int, 300 for an int8) are not
// fatal: every other field is filled and Bind returns a *BindError listing
// them, which FieldErrors turns into messages. A dst that is not a non-nil
// pointer to a struct gives an error wrapping ErrBindTarget. Bind never
// panics on client input.
func (c *Context) Bind(dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%w: got %T", ErrBindTarget, dst)
	}
	t := rv.Elem().Type()
	var errs []*ConversionError
	files := fileFieldsOf(t)
	form := c.Form()
	if len(files) > 0 {
		form = withoutFiles(form, files) // file names, not values to decode
	}
	errs = bindValues(formDecoder, fieldsOf(t, "form"), dst, form, errs)
	dataFields := fieldsOf(t, "data")
	data := c.DataMap()
	if len(dataFields) > 0 {
		data = aliasData(data, dataFields, func(name string) { c.missingData("Bind", name) })
	}
	errs = bindValues(dataDecoder, dataFields, dst, data, errs)
	for _, ff := range files {
		v := rv.Elem().FieldByIndex(ff.index)
		switch {
		case !v.CanSet():
		case ff.many:
			v.Set(reflect.ValueOf(c.FormFiles(ff.name)))
		default:
			f, _ := c.FormFile(ff.name)
			v.Set(reflect.ValueOf(f))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return &BindError{Errors: errs}
}

// BindError reports the values Bind could not convert. The other fields
// were filled.
type BindError struct {
	Errors []*ConversionError // sorted by Field
}

// Error lists the fields.
func (e *BindError) Error() string {
	var b strings.Builder
	b.WriteString("liveview: bind:")
	for i, ce := range e.Errors {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " %s: %v", ce.Field, ce.Err)
	}
	return b.String()
}

// Unwrap returns the field errors, so errors.As finds a *ConversionError
// and errors.Is sees strconv.ErrRange and friends.
func (e *BindError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, ce := range e.Errors {
		out[i] = ce
	}
	return out
}

// ConversionError is one value Bind could not convert.
type ConversionError struct {
	Field string       // the name as sent: "age", "items[2].qty", or a data name
	Value string       // the value as sent (the first bad one of a list)
	Type  reflect.Type // the Go type it did not convert to; nil when the name, not the value, was wrong (an index of 1000 or more)
	Err   error        // a *strconv.NumError (errors.Is strconv.ErrRange, ErrSyntax), *time.ParseError or the decoder's error
}

// Error describes the failure.
func (e *ConversionError) Error() string {
	return fmt.Sprintf("liveview: field %q: cannot use %q as %v: %v", e.Field, e.Value, e.Type, e.Err)
}

// Unwrap returns Err.
func (e *ConversionError) Unwrap() error { return e.Err }

// maxBindIndex bounds the size of a slice made from "name[i]" indexes
// (i+1, so the largest index accepted is maxBindIndex-1), so one short key
// cannot make Bind allocate a huge slice.
const maxBindIndex = 1000

var (
	formDecoder = newDecoder("form", form.ModeImplicit, formTagName)
	dataDecoder = newDecoder("data", form.ModeExplicit, func(f reflect.StructField) string { return f.Tag.Get("data") })
	timeType    = reflect.TypeFor[time.Time]()
)

func newDecoder(tag string, mode form.Mode, name form.TagNameFunc) *form.Decoder {
	d := form.NewDecoder()
	d.SetTagName(tag)
	d.SetMode(mode)
	d.RegisterTagNameFunc(name)
	d.SetMaxArraySize(maxBindIndex)
	d.RegisterCustomTypeFunc(func(v []string) (any, error) { return parseTime(v[0]) }, time.Time{})
	return d
}

// formTagName names a field for form decoding: its form tag; a field with
// only a data tag is not a form field.
func formTagName(f reflect.StructField) string {
	name := f.Tag.Get("form")
	if name == "" && f.Tag.Get("data") != "" {
		return "-"
	}
	return name
}

// timeLayouts are tried, in order, for time.Time fields without a layout.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02", "15:04:05", "15:04"}

func parseTime(s string) (time.Time, error) {
	var first error
	for _, l := range timeLayouts {
		t, err := time.Parse(l, s)
		if err == nil {
			return t, nil
		}
		if first == nil {
			first = err
		}
	}
	return time.Time{}, first
}

// bindField is what Bind needs to know about one decodable name.
type bindField struct {
	typ    reflect.Type // the leaf type (pointers, slices and maps removed)
	layout string       // time layout from the `layout` tag
}

var fieldCache sync.Map // fieldKey -> map[string]bindField

type fieldKey struct {
	t   reflect.Type
	tag string
}

// fieldsOf maps the names of t's fields, as the decoder for tag sees them
// with indexes removed ("items.qty"), to their leaf types.
func fieldsOf(t reflect.Type, tag string) map[string]bindField {
	if v, ok := fieldCache.Load(fieldKey{t, tag}); ok {
		return v.(map[string]bindField)
	}
	out := make(map[string]bindField)
	walkFields(t, tag, "", out, 0)
	fieldCache.Store(fieldKey{t, tag}, out)
	return out
}

func walkFields(t reflect.Type, tag, prefix string, out map[string]bindField, depth int) {
	if depth > 10 { // recursive types: the decoder stops at its key length anyway
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		var name string
		if tag == "form" {
			name = formTagName(f)
		} else {
			name = f.Tag.Get(tag)
		}
		if name == "-" || (tag != "form" && name == "") {
			continue
		}
		name, _, _ = strings.Cut(name, ",")
		if name == "" {
			name = f.Name
		}
		ft := leafType(f.Type)
		if ft.Kind() == reflect.Struct && ft != timeType && ft != fileType {
			if f.Anonymous {
				walkFields(ft, tag, prefix, out, depth+1)
			}
			walkFields(ft, tag, prefix+name+".", out, depth+1)
			continue
		}
		out[prefix+name] = bindField{typ: ft, layout: f.Tag.Get("layout")}
	}
}

var (
	fileType      = reflect.TypeFor[File]()
	filePtrType   = reflect.TypeFor[*File]()
	fileSliceType = reflect.TypeFor[[]*File]()
)

// fileField is a struct field Bind fills with files: *File or []*File.
type fileField struct {
	index []int
	name  string // the form name, "address.photo" when nested
	many  bool
}

var fileFieldCache sync.Map // reflect.Type -> []fileField

// fileFieldsOf lists t's fields of type *File and []*File, in its own
// fields and those of its struct fields and embedded structs (not through
// pointers, slices or maps).
func fileFieldsOf(t reflect.Type) []fileField {
	if v, ok := fileFieldCache.Load(t); ok {
		return v.([]fileField)
	}
	var out []fileField
	walkFileFields(t, nil, "", &out, 0)
	fileFieldCache.Store(t, out)
	return out
}

func walkFileFields(t reflect.Type, index []int, prefix string, out *[]fileField, depth int) {
	if depth > 10 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		name := formTagName(f)
		if name == "-" {
			continue
		}
		name, _, _ = strings.Cut(name, ",")
		if name == "" {
			name = f.Name
		}
		idx := append(append([]int(nil), index...), i)
		switch {
		case f.Type == filePtrType || f.Type == fileSliceType:
			if f.IsExported() {
				*out = append(*out, fileField{index: idx, name: prefix + name, many: f.Type == fileSliceType})
			}
		case f.Type.Kind() == reflect.Struct && f.Type != timeType && f.Type != fileType:
			if f.Anonymous {
				walkFileFields(f.Type, idx, prefix, out, depth+1)
			} else {
				walkFileFields(f.Type, idx, prefix+name+".", out, depth+1)
			}
		}
	}
}

// withoutFiles returns form without the entries of the file fields (and
// their would-be subfields, "avatar.Name").
func withoutFiles(form map[string]any, files []fileField) map[string]any {
	out := make(map[string]any, len(form))
	for k, v := range form {
		file := false
		for _, ff := range files {
			if k == ff.name || strings.HasPrefix(k, ff.name+".") || strings.HasPrefix(k, ff.name+"[") {
				file = true
				break
			}
		}
		if !file {
			out[k] = v
		}
	}
	return out
}

func leafType(t reflect.Type) reflect.Type {
	for {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			t = t.Elem()
		default:
			return t
		}
	}
}

// stripIndex removes "[...]" segments: "items[2].qty" -> "items.qty".
func stripIndex(name string) string {
	if !strings.Contains(name, "[") {
		return name
	}
	var b strings.Builder
	depth := 0
	for _, r := range name {
		switch {
		case r == '[':
			depth++
		case r == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// bindValues decodes src into dst and appends the conversion failures.
func bindValues(d *form.Decoder, fields map[string]bindField, dst any, src map[string]any, errs []*ConversionError) []*ConversionError {
	if len(src) == 0 {
		return errs
	}
	vals := make(url.Values, len(src))
	for k, v := range src {
		addValue(vals, k, v, 0)
	}
	for k := range vals {
		if !wellFormedKey(k) {
			delete(vals, k) // matches no field; the decoder would panic
		}
	}
	errs = prepareTimes(vals, fields, errs)
	if err := decode(d, dst, vals); err != nil {
		var de form.DecodeErrors
		if !errors.As(err, &de) {
			return append(errs, &ConversionError{Err: err})
		}
		for name, ferr := range de {
			errs = append(errs, conversionError(name, vals[name], fields[stripIndex(name)], ferr))
		}
	}
	return errs
}

// wellFormedKey reports whether every "[" of k is closed by a "]" before
// the next "[", and every "]" opened.
func wellFormedKey(k string) bool {
	inside := false
	for i := 0; i < len(k); i++ {
		switch k[i] {
		case '[':
			if inside {
				return false
			}
			inside = true
		case ']':
			if !inside {
				return false
			}
			inside = false
		}
	}
	return !inside
}

// decode runs the decoder, turning a panic into an error: client input
// must never crash a handler.
func decode(d *form.Decoder, dst any, vals url.Values) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("liveview: bind: decoder panicked: %v", v)
		}
	}()
	return d.Decode(dst, vals)
}

// addValue adds the JSON value x under name k: scalars as strings, lists as
// repeated values (or k[i] for objects in lists), objects as k.key.
func addValue(vals url.Values, k string, x any, depth int) {
	if depth > 10 {
		return
	}
	switch x := x.(type) {
	case string:
		vals[k] = append(vals[k], x)
	case bool:
		vals[k] = append(vals[k], strconv.FormatBool(x))
	case float64:
		vals[k] = append(vals[k], strconv.FormatFloat(x, 'f', -1, 64))
	case json.Number:
		vals[k] = append(vals[k], x.String())
	case []any:
		for i, e := range x {
			if m, ok := e.(map[string]any); ok {
				addValue(vals, k+"["+strconv.Itoa(i)+"]", m, depth+1)
			} else {
				addValue(vals, k, e, depth+1)
			}
		}
	case map[string]any:
		for kk, e := range x {
			addValue(vals, k+"."+kk, e, depth+1)
		}
	}
}

// prepareTimes drops empty time values and converts values of fields with
// a layout tag to RFC 3339, recording those that do not parse.
func prepareTimes(vals url.Values, fields map[string]bindField, errs []*ConversionError) []*ConversionError {
	for k, vs := range vals {
		f, ok := fields[stripIndex(k)]
		if !ok || f.typ != timeType {
			continue
		}
		kept := vs[:0]
		for _, v := range vs {
			if v != "" {
				kept = append(kept, v)
			}
		}
		if len(kept) == 0 {
			delete(vals, k)
			continue
		}
		vals[k] = kept
		if f.layout == "" {
			continue
		}
		for i, v := range kept {
			t, err := time.Parse(f.layout, v)
			if err != nil {
				errs = append(errs, &ConversionError{Field: k, Value: v, Type: timeType, Err: err})
				delete(vals, k)
				break
			}
			kept[i] = t.Format(time.RFC3339Nano)
		}
	}
	return errs
}

// conversionError explains why the decoder refused name, re-parsing its
// values to report the standard library's error (range or syntax).
func conversionError(name string, vs []string, f bindField, ferr error) *ConversionError {
	ce := &ConversionError{Field: name, Type: f.typ, Err: ferr}
	if len(vs) > 0 {
		ce.Value = vs[0]
	}
	if f.typ == nil {
		return ce
	}
	for _, v := range vs {
		if v == "" && f.typ.Kind() != reflect.String {
			continue
		}
		var err error
		switch f.typ.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			_, err = strconv.ParseInt(v, 10, f.typ.Bits())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			_, err = strconv.ParseUint(v, 10, f.typ.Bits())
		case reflect.Float32, reflect.Float64:
			_, err = strconv.ParseFloat(v, f.typ.Bits())
		case reflect.Bool:
			_, err = strconv.ParseBool(v)
		case reflect.Struct:
			if f.typ == timeType {
				_, err = parseTime(v)
			}
		}
		if err != nil {
			ce.Value, ce.Err = v, err
			return ce
		}
	}
	ce.Type = nil // the values convert: the name was wrong (an index too large)
	return ce
}
