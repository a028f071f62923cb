package liveview

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// eventContext returns a Context for ev on a connection of h (a new Hub
// when nil) whose handshake had the given Accept-Language.
func eventContext(t testing.TB, h *Hub, ev *Event, acceptLanguage string) *Context {
	t.Helper()
	if h == nil {
		h = New(Config{Logger: discardLogger()})
		t.Cleanup(func() { _ = h.Close() })
	}
	req := httptest.NewRequest("GET", "/ws/liveview/r/", nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	cn := newConn(h, testEcho, req, "r")
	t.Cleanup(cn.cancel)
	if ev == nil {
		ev = &Event{Function: "f"}
	}
	lc := &Context{conn: cn}
	lc.setEvent(ev)
	return lc
}

var testEcho = echo.New()

type bindAddress struct {
	City string `form:"city" validate:"required"`
	Zip  string `form:"zip"`
}

type bindEmbedded struct {
	Note string `form:"note"`
}

// bindAll has a field of every kind Bind supports.
type bindAll struct {
	bindEmbedded
	Name     string            `form:"name"`
	Untagged string            // bound by Go name, like Echo's binder
	Skipped  string            `form:"-"`
	I        int               `form:"i"`
	I8       int8              `form:"i8"`
	I64      int64             `form:"i64"`
	U        uint              `form:"u"`
	U16      uint16            `form:"u16"`
	F32      float32           `form:"f32"`
	F64      float64           `form:"f64"`
	B        bool              `form:"b"`
	PI       *int              `form:"pi"`
	PS       *string           `form:"ps"`
	Day      time.Time         `form:"day" layout:"02/01/2006"`
	When     time.Time         `form:"when"`
	PTime    *time.Time        `form:"ptime"`
	Tags     []string          `form:"tags"`
	Nums     []int             `form:"nums"`
	Address  bindAddress       `form:"address"`
	PAddr    *bindAddress      `form:"paddr"`
	Items    []bindAddress     `form:"items"`
	Prices   map[string]int    `form:"prices"`
	ID       int               `data:"item_id"`
	Kind     string            `data:"kind"`
	Extra    map[string]string `form:"-"`
}

func TestBindKinds(t *testing.T) {
	seven, hi := 7, "hi"
	ptime := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		form map[string]any
		data map[string]any
		want func(*bindAll)
	}{
		{"string", map[string]any{"name": "Ada"}, nil, func(b *bindAll) { b.Name = "Ada" }},
		{"untagged field by Go name", map[string]any{"Untagged": "x"}, nil, func(b *bindAll) { b.Untagged = "x" }},
		{"form:\"-\" is never bound", map[string]any{"Skipped": "x", "-": "x"}, nil, func(*bindAll) {}},
		{"embedded struct fields are promoted", map[string]any{"note": "n"}, nil, func(b *bindAll) { b.Note = "n" }},
		{"int", map[string]any{"i": "-42"}, nil, func(b *bindAll) { b.I = -42 }},
		{"int8 bounds", map[string]any{"i8": "-128"}, nil, func(b *bindAll) { b.I8 = -128 }},
		{"int64 max", map[string]any{"i64": "9223372036854775807"}, nil, func(b *bindAll) { b.I64 = 1<<63 - 1 }},
		{"int from a JSON number", map[string]any{"i": float64(12)}, nil, func(b *bindAll) { b.I = 12 }},
		{"uint", map[string]any{"u": "42"}, nil, func(b *bindAll) { b.U = 42 }},
		{"uint16", map[string]any{"u16": "65535"}, nil, func(b *bindAll) { b.U16 = 65535 }},
		{"float32", map[string]any{"f32": "1.5"}, nil, func(b *bindAll) { b.F32 = 1.5 }},
		{"float64", map[string]any{"f64": "-2.25e3"}, nil, func(b *bindAll) { b.F64 = -2250 }},
		{"checkbox true", map[string]any{"b": true}, nil, func(b *bindAll) { b.B = true }},
		{"checkbox false", map[string]any{"b": false}, nil, func(*bindAll) {}},
		{"bool on", map[string]any{"b": "on"}, nil, func(b *bindAll) { b.B = true }},
		{"empty numbers stay zero", map[string]any{"i": "", "u": "", "f64": ""}, nil, func(*bindAll) {}},
		{"pointer set", map[string]any{"pi": "7", "ps": "hi"}, nil, func(b *bindAll) { b.PI, b.PS = &seven, &hi }},
		{"pointer absent stays nil", map[string]any{"name": "x"}, nil, func(b *bindAll) { b.Name = "x" }},
		{"time with layout tag", map[string]any{"day": "24/11/2026"}, nil, func(b *bindAll) { b.Day = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }},
		{"time RFC 3339", map[string]any{"when": "2026-11-24T15:04:05+01:00"}, nil, func(b *bindAll) {
			b.When = time.Date(2026, 11, 24, 15, 4, 5, 0, time.FixedZone("", 3600))
		}},
		{"time from a date input", map[string]any{"when": "2026-11-24"}, nil, func(b *bindAll) { b.When = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }},
		{"time from a datetime-local input", map[string]any{"when": "2026-11-24T09:30"}, nil, func(b *bindAll) { b.When = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC) }},
		{"empty time stays unset", map[string]any{"when": "", "ptime": "", "day": ""}, nil, func(*bindAll) {}},
		{"time pointer", map[string]any{"ptime": "2026-03-01"}, nil, func(b *bindAll) { b.PTime = &ptime }},
		{"slice from a list", map[string]any{"tags": []any{"a", "b"}}, nil, func(b *bindAll) { b.Tags = []string{"a", "b"} }},
		{"slice from one value", map[string]any{"tags": "a"}, nil, func(b *bindAll) { b.Tags = []string{"a"} }},
		{"slice from indexed names", map[string]any{"nums[1]": "2", "nums[0]": "1"}, nil, func(b *bindAll) { b.Nums = []int{1, 2} }},
		{"largest index", map[string]any{"tags[999]": "z"}, nil, func(b *bindAll) { b.Tags = make([]string, 1000); b.Tags[999] = "z" }},
		{"int slice from numbers", map[string]any{"nums": []any{float64(3), "4"}}, nil, func(b *bindAll) { b.Nums = []int{3, 4} }},
		{"nested struct", map[string]any{"address.city": "Paris", "address.zip": "75001"}, nil, func(b *bindAll) {
			b.Address = bindAddress{City: "Paris", Zip: "75001"}
		}},
		{"nested pointer struct", map[string]any{"paddr.city": "Rome"}, nil, func(b *bindAll) { b.PAddr = &bindAddress{City: "Rome"} }},
		{"slice of structs", map[string]any{"items[0].city": "A", "items[1].city": "B"}, nil, func(b *bindAll) {
			b.Items = []bindAddress{{City: "A"}, {City: "B"}}
		}},
		{"map", map[string]any{"prices[small]": "3"}, nil, func(b *bindAll) { b.Prices = map[string]int{"small": 3} }},
		{"data attributes by data tag", nil, map[string]any{"item_id": "17", "kind": "book"}, func(b *bindAll) { b.ID, b.Kind = 17, "book" }},
		{"data tag fields ignore form keys", map[string]any{"item_id": "1", "ID": "2", "Kind": "x"}, nil, func(*bindAll) {}},
		{"form tag fields ignore data keys", nil, map[string]any{"name": "x"}, func(*bindAll) {}},
		{"unknown fields are ignored", map[string]any{"csrf": "t", "submit": true, "nope[3]": "x", "a.b.c": "d"}, nil, func(*bindAll) {}},
		{"null values are ignored", map[string]any{"name": nil}, nil, func(*bindAll) {}},
		{"objects in the form flatten to dotted names", map[string]any{"address": map[string]any{"city": "Oslo"}}, nil, func(b *bindAll) {
			b.Address.City = "Oslo"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := eventContext(t, nil, &Event{Function: "f", Form: tt.form, Data: tt.data}, "")
			var got, want bindAll
			tt.want(&want)
			if err := c.Bind(&got); err != nil {
				t.Fatalf("Bind: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestBindBadValues(t *testing.T) {
	huge := strings.Repeat("9", 60000)
	tests := []struct {
		name      string
		form      map[string]any
		field     string // the field reported
		isRange   bool   // errors.Is(err, strconv.ErrRange)
		messageEN string
	}{
		{"word for an int", map[string]any{"i": "abc"}, "i", false, "Enter a whole number."},
		{"float for an int", map[string]any{"i": "1.5"}, "i", false, "Enter a whole number."},
		{"int8 overflow", map[string]any{"i8": "128"}, "i8", true, "This number is out of range."},
		{"int64 overflow", map[string]any{"i64": "9223372036854775808"}, "i64", true, "This number is out of range."},
		{"negative uint", map[string]any{"u": "-1"}, "u", false, "Enter a whole number, 0 or more."},
		{"uint16 overflow", map[string]any{"u16": "65536"}, "u16", true, "This number is out of range."},
		{"float32 overflow", map[string]any{"f32": "1e39"}, "f32", true, "This number is out of range."},
		{"word for a float", map[string]any{"f64": "one"}, "f64", false, "Enter a number."},
		{"word for a bool", map[string]any{"b": "maybe"}, "b", false, "Must be true or false."},
		{"bad date for a layout", map[string]any{"day": "2026-11-24"}, "day", false, "Enter a valid date."},
		{"bad time", map[string]any{"when": "yesterday"}, "when", false, "Enter a valid date."},
		{"bad element of an int list", map[string]any{"nums": []any{"1", "x"}}, "nums", false, "Enter a whole number."},
		{"bad pointer int", map[string]any{"pi": "x"}, "pi", false, "Enter a whole number."},
		{"bad nested value", map[string]any{"items[0].city": "ok", "prices[a]": "x"}, "prices[a]", false, "Enter a whole number."},
		{"huge number", map[string]any{"i": huge}, "i", true, "This number is out of range."},
		{"index 1000 (a slice of 1001)", map[string]any{"tags[1000]": "z"}, "tags", false, "This value is not valid."},
		{"index 1000 of structs", map[string]any{"items[1000].city": "z"}, "items", false, "This value is not valid."},
		{"huge index", map[string]any{"nums[100000000]": "1"}, "nums", false, "This value is not valid."},
		{"data attribute", nil, "item_id", false, "Enter a whole number."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &Event{Function: "f", Form: tt.form}
			if tt.form == nil {
				ev.Data = map[string]any{"item_id": "seventeen"}
			}
			c := eventContext(t, nil, ev, "")
			var got bindAll
			err := c.Bind(&got)
			var be *BindError
			if !errors.As(err, &be) {
				t.Fatalf("Bind = %v, want a *BindError", err)
			}
			var ce *ConversionError
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("first ConversionError = %+v, want field %q (err: %v)", ce, tt.field, err)
			}
			if errors.Is(err, strconv.ErrRange) != tt.isRange {
				t.Errorf("errors.Is(err, strconv.ErrRange) = %v, want %v (%v)", !tt.isRange, tt.isRange, err)
			}
			if !strings.HasPrefix(err.Error(), "liveview: ") {
				t.Errorf("error %q lacks the liveview: prefix", err)
			}
			if msg := FieldErrors(c, err)[tt.field]; msg != tt.messageEN {
				t.Errorf("FieldErrors[%q] = %q, want %q", tt.field, msg, tt.messageEN)
			}
		})
	}
}

// TestBindKeepsGoodFields: a bad value does not stop the other fields.
func TestBindKeepsGoodFields(t *testing.T) {
	c := eventContext(t, nil, &Event{Function: "f", Form: map[string]any{"name": "Ada", "i": "x", "u": "5"}}, "")
	var got bindAll
	err := c.Bind(&got)
	if err == nil || got.Name != "Ada" || got.U != 5 {
		t.Fatalf("Bind = %v, got %+v", err, got)
	}
}

func TestBindTarget(t *testing.T) {
	c := eventContext(t, nil, nil, "")
	var s struct{ A string }
	var n int
	for _, dst := range []any{nil, s, &n, (*struct{})(nil), map[string]any{}} {
		if err := c.Bind(dst); !errors.Is(err, ErrBindTarget) {
			t.Errorf("Bind(%T) = %v, want ErrBindTarget", dst, err)
		}
	}
	if err := c.Bind(&s); err != nil {
		t.Errorf("Bind of an event without fields: %v", err)
	}
}

// TestBindWeirdKeys feeds the decoder keys it might choke on: it must
// neither panic nor hang.
func TestBindWeirdKeys(t *testing.T) {
	keys := []string{"[", "]", "nums[", "nums]", "nums[-1]", "nums[x]", "items[0]]", "items[[0]].city", "prices[",
		"address..city", ".", "items[0].", strings.Repeat("a.", 5000), strings.Repeat("[", 5000), "nums[99999999999999999999]"}
	for _, k := range keys {
		t.Run(fmt.Sprintf("%.20q", k), func(t *testing.T) {
			c := eventContext(t, nil, &Event{Function: "f", Form: map[string]any{k: "1"}}, "")
			var got bindAll
			_ = c.Bind(&got) // an error is fine; a panic is not
		})
	}
}

// BenchmarkBind measures binding a typical form, and FieldErrors on a form
// with two bad fields, with the locale resolved per message as in a
// handler:
//
//	go test -run '^$' -bench 'Bind|FieldErrors' -benchmem .
func BenchmarkBind(b *testing.B) {
	form := map[string]any{"name": "Ada", "i": "42", "b": true, "day": "24/11/2026", "tags": []any{"a", "b"}, "address.city": "Paris"}
	c := eventContext(b, nil, &Event{Function: "f", Form: form, Data: map[string]any{"item_id": "17"}}, "")
	b.ReportAllocs()
	for b.Loop() {
		var got bindAll
		if err := c.Bind(&got); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFieldErrors(b *testing.B) {
	h := New(Config{Logger: discardLogger()})
	defer h.Close()
	b.ReportAllocs()
	for b.Loop() {
		c := eventContext(b, h, &Event{Function: "f", Lang: "es", Form: map[string]any{"age": "x", "name": ""}}, "")
		var s signup
		if fe := FieldErrors(c, errors.Join(c.Bind(&s), c.Validate(&s))); len(fe) == 0 {
			b.Fatal("no errors")
		}
	}
}
