package liveview

import (
	"errors"
	"net/http/httptest"
	"reflect"
	"testing"
)

// frameContext returns the Context of a client frame, decoded as the Hub
// decodes it, on a connection of a new Hub.
func frameContext(t *testing.T, frame string) *Context {
	t.Helper()
	h := New(Config{Logger: discardLogger()})
	t.Cleanup(func() { _ = h.Close() })
	cn := newConn(h, testEcho, httptest.NewRequest("GET", "/ws/liveview/r/", nil), "r")
	t.Cleanup(cn.cancel)
	lc, err := newEventContext(cn, []byte(frame))
	if err != nil {
		t.Fatalf("frame %s: %v", frame, err)
	}
	return lc
}

// preferences is a form with multi-value fields.
type preferences struct {
	Colors []string `form:"colors" validate:"min=1"` // <select name="colors" multiple>
	Days   []int    `form:"days"`                    // checkboxes named days
	None   []string `form:"none"`                    // a group with nothing checked
	Agree  bool     `form:"agree"`                   // a single checkbox
	Size   string   `form:"size"`                    // a single select
}

// TestBindMultiValue: the lists the client sends for a <select multiple>
// and for a group of checkboxes fill slices (strings and numbers), an
// empty list leaves the slice nil, a single checkbox still binds a bool
// and a single select a string; FormValue gives a list's first value.
func TestBindMultiValue(t *testing.T) {
	tests := []struct {
		name, form string
		want       preferences
		first      map[string]string // FormValue
	}{
		{"select multiple and checkbox group",
			`{"colors":["red","blue"],"days":["1","5"],"none":[],"agree":true,"size":"m"}`,
			preferences{Colors: []string{"red", "blue"}, Days: []int{1, 5}, Agree: true, Size: "m"},
			map[string]string{"colors": "red", "days": "1", "none": "", "agree": "true", "size": "m"}},
		{"one value selected",
			`{"colors":["green"],"days":["7"],"agree":false}`,
			preferences{Colors: []string{"green"}, Days: []int{7}},
			map[string]string{"colors": "green", "days": "7", "agree": "false"}},
		{"nothing selected",
			`{"colors":[],"days":[],"none":[]}`,
			preferences{},
			map[string]string{"colors": "", "days": ""}},
		{"upstream's single values still bind",
			`{"colors":"red","days":"2","agree":true}`,
			preferences{Colors: []string{"red"}, Days: []int{2}, Agree: true},
			map[string]string{"colors": "red", "days": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := frameContext(t, `{"function":"f","data":{},"form":`+tt.form+`,"lang":"en","room":"r"}`)
			var got preferences
			if err := c.Bind(&got); err != nil {
				t.Fatalf("Bind: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Bind = %+v, want %+v", got, tt.want)
			}
			for name, want := range tt.first {
				if v := c.FormValue(name); v != want {
					t.Errorf("FormValue(%q) = %q, want %q", name, v, want)
				}
			}
		})
	}
}

// TestBindMultiValueErrors: a value of a list that does not convert is a
// field error naming it, and "min=1" on a slice asks for a choice.
func TestBindMultiValueErrors(t *testing.T) {
	c := frameContext(t, `{"function":"f","form":{"colors":[],"days":["1","x"]}}`)
	var p preferences
	err := errors.Join(c.Bind(&p), c.Validate(&p))
	var be *BindError
	if !errors.As(err, &be) || len(be.Errors) != 1 || be.Errors[0].Field != "days" || be.Errors[0].Value != "x" {
		t.Fatalf("Bind error %v, want one for days=x", err)
	}
	fe := FieldErrors(c, err)
	if fe["days"] != "Enter a whole number." || fe["colors"] != "Choose at least 1 item." {
		t.Errorf("FieldErrors = %v, want messages for days (a word) and colors (none chosen)", fe)
	}
}

// TestFormViewSelected: RenderForm's view keeps every value of a list, so
// a form re-rendered with its errors keeps what was chosen.
func TestFormViewSelected(t *testing.T) {
	c := frameContext(t, `{"function":"f","form":{"colors":["red","blue"],"size":"m","none":[],"agree":true}}`)
	v := NewFormView(c, nil, nil)
	for _, tt := range []struct {
		name, value string
		want        bool
	}{
		{"colors", "red", true}, {"colors", "blue", true}, {"colors", "green", false},
		{"size", "m", true}, {"size", "s", false}, {"none", "", false},
		{"agree", "true", true}, {"missing", "", false},
	} {
		if got := v.Selected(tt.name, tt.value); got != tt.want {
			t.Errorf("Selected(%q, %q) = %v, want %v", tt.name, tt.value, got, tt.want)
		}
	}
	if v.Value("colors") != "red" || !reflect.DeepEqual(v.Lists["colors"], []string{"red", "blue"}) || v.Lists["none"] == nil || len(v.Lists["none"]) != 0 {
		t.Errorf("Value(colors) = %q, Lists = %v", v.Value("colors"), v.Lists)
	}
	if (&FormView{}).Selected("colors", "red") {
		t.Error("an empty FormView selects nothing")
	}
}
