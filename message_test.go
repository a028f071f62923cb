package liveview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The test vectors of Django LiveView's tests/test_consumers.py, plus ours.
func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"userName":            "user_name",
		"HTTPResponse":        "http_response",
		"getHTTPResponseCode": "get_http_response_code",
		"value2Html":          "value2_html",
		"already_snake":       "already_snake",
		"":                    "",
		"ID":                  "id",
		"dataAlertId":         "data_alert_id",
		"productId":           "product_id",
		"formData":            "form_data",
		"a":                   "a",
		"A":                   "a",
		"aBcDe":               "a_bc_de",
		"aBBc":                "a_b_bc",
		"x1Y":                 "x1_y",
		"camelCase_Mixed":     "camel_case__mixed",
		"ÉtéBon":              "été_bon",
		"pageXParam":          "page_x_param",
	} {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// refSnake is Django LiveView's camel_to_snake, transcribed with regexp.
var (
	reFirst  = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	reSecond = regexp.MustCompile(`([a-z0-9])([A-Z])`)
)

func refSnake(s string) string {
	s = reFirst.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(reSecond.ReplaceAllString(s, "${1}_${2}"))
}

func FuzzSnakeCase(f *testing.F) {
	for _, s := range []string{"userName", "HTTPResponse", "getHTTPResponseCode", "value2Html", "a\nBc", "aBcDeFG", "ÀbCd", "__A__b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !isASCIIOrValid(s) {
			return
		}
		if got, want := SnakeCase(s), refSnake(s); got != want {
			t.Fatalf("SnakeCase(%q) = %q, reference %q", s, got, want)
		}
		if again := SnakeCase(SnakeCase(s)); again != SnakeCase(s) && !strings.ContainsRune(s, '\n') {
			t.Fatalf("not idempotent on %q: %q", s, again)
		}
	})
}

// isASCIIOrValid limits the comparison to inputs where Go's and Python's
// lower-casing agree (ASCII letters; other text is passed through).
func isASCIIOrValid(s string) bool {
	for _, r := range s {
		if r >= 0x80 || r == 0 {
			return false
		}
	}
	return true
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		frame string
		want  *Event
		err   bool
	}{
		{`{"function":"f","data":{"dataAlertId":"5","nested":{"innerKey":[{"deepKey":1}]}},"form":{"firstName":"x","ok":true},"lang":"es","room":"r"}`,
			&Event{Function: "f", Lang: "es",
				Data: map[string]any{"data_alert_id": "5", "nested": map[string]any{"inner_key": []any{map[string]any{"deep_key": 1.0}}}},
				Form: map[string]any{"firstName": "x", "ok": true}}, false},
		{` {"function":"f","lang":null} `, &Event{Function: "f"}, false},
		{`{"function":"f","data":{"userName":"camel","user_name":"snake"}}`, &Event{Function: "f", Data: map[string]any{"user_name": "snake"}}, false},
		{`{"function":"f","data":{"user_name":"snake","userName":"camel"}}`, &Event{Function: "f", Data: map[string]any{"user_name": "snake"}}, false},
		{``, nil, true},
		{`null`, nil, true},
		{`[]`, nil, true},
		{`{}`, nil, true},
		{`{"function":""}`, nil, true},
		{`{"function":1}`, nil, true},
		{`{"function":"f","form":"x"}`, nil, true},
		{`{"function":"f","lang":5}`, nil, true},
		{`{"function":"f"`, nil, true},
		{`{"function":"f"} trailing`, nil, true},
		{`{"function":"f","ref":7}`, &Event{Function: "f", Ref: 7}, false},
		{`{"function":"f","ref":null}`, &Event{Function: "f"}, false},
		{`{"function":"f","ref":-1}`, nil, true},
		{`{"function":"f","ref":1.5}`, nil, true},
		{`{"function":"f","ref":"7"}`, nil, true},
		{`{"function":"f","ref":3,"upload":7}`, &Event{Function: "f", Ref: 3, Upload: 7}, false},
		{`{"function":"f","upload":4294967295}`, &Event{Function: "f", Upload: 1<<32 - 1}, false},
		{`{"function":"f","upload":null}`, &Event{Function: "f"}, false},
		{`{"function":"f","upload":4294967296}`, nil, true},
		{`{"function":"f","upload":-7}`, nil, true},
		{`{"function":"f","upload":{"id":7}}`, nil, true},
		{`{"upload":{"id":7,"cancel":true}}`, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseEvent([]byte(tt.frame))
		if tt.err {
			if !errors.Is(err, ErrBadMessage) {
				t.Errorf("%s: want ErrBadMessage, got %v", tt.frame, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %#v %v\nwant %#v", tt.frame, got, err, tt.want)
		}
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		`{"function":"f","data":{"aB":"1"},"form":{"x":true},"lang":"en"}`, `[]`, `{"function":"f","data":{"a":[{"bC":{}}]}}`, "\x00",
		`{"function":"say_hello","data":{"dataUserId":"42"},"form":{"name":"Ada","agree":false,"n":null},"lang":null,"room":"r","ref":12}`,
		`{"function":"f","ref":007}`, `{"function":"f","ref":1e3}`, `{"function":"f","Function":"g"}`, `{"function":"f","data":{"aB":"1","a_b":"2"}}`,
		`{"function":"é\u00e9","lang":"\ud83d"}`, `{"function":"f","data":{}} `, `{"function":"f","data":null,"form":{}}`,
		`{"function":"f","ref":9223372036854775807}`, `{"function":"f","ref":-0}`, `{"function":"f",}`,
		`{"function":"save","form":{"avatar":"a.png"},"ref":3,"upload":7,"lang":"en","room":"r"}`, `{"function":"f","upload":4294967295}`,
		`{"function":"f","upload":4294967296}`, `{"function":"f","upload":-1}`, `{"function":"f","upload":null}`, `{"upload":{"id":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		// The fast decoder and encoding/json agree on every frame the fast
		// one accepts.
		if fast, ok := parseFast(bytes.TrimSpace(frame)); ok {
			slow, err := parseJSON(bytes.TrimSpace(frame))
			if err != nil || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%q:\nfast %#v\nslow %#v %v", frame, fast, slow, err)
			}
		}
		ev, err := ParseEvent(frame)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error does not wrap ErrBadMessage: %v", err)
			}
			return
		}
		if ev.Function == "" {
			t.Fatal("accepted an event without function")
		}
		for k := range ev.Data {
			if SnakeCase(k) != k && !strings.ContainsRune(k, '\n') {
				t.Fatalf("data key %q not snake_cased", k)
			}
		}
		// The Hub's own decoding (aliasing the frame, maps built on
		// demand) gives handlers exactly what ParseEvent gives.
		checkContextMatches(t, frame, ev)
	})
}

// checkContextMatches checks that the Context the Hub builds for frame reads
// like ev.
func checkContextMatches(t *testing.T, frame []byte, ev *Event) {
	t.Helper()
	lc, err := newEventContext(&conn{}, bytes.Clone(frame))
	if err != nil {
		t.Fatalf("%q: ParseEvent accepts it, the Hub does not: %v", frame, err)
	}
	if lc.Function() != ev.Function || lc.Lang() != ev.Lang || lc.fe.ref != ev.Ref || lc.fe.upload != ev.Upload {
		t.Fatalf("%q: context %q %q %d %d, event %q %q %d %d", frame, lc.Function(), lc.Lang(), lc.fe.ref, lc.fe.upload, ev.Function, ev.Lang, ev.Ref, ev.Upload)
	}
	for k, v := range ev.Data {
		if got := lc.Data(k); got != stringValue(v) {
			t.Fatalf("%q: Data(%q) = %q, want %q", frame, k, got, stringValue(v))
		}
	}
	for k, v := range ev.Form {
		if got := lc.FormValue(k); got != stringValue(v) {
			t.Fatalf("%q: FormValue(%q) = %q, want %q", frame, k, got, stringValue(v))
		}
	}
	if lc.Data("\x00absent") != "" || lc.FormValue("\x00absent") != "" {
		t.Fatalf("%q: an absent key has a value", frame)
	}
	if !reflect.DeepEqual(lc.DataMap(), ev.Data) || !reflect.DeepEqual(lc.Form(), ev.Form) {
		t.Fatalf("%q: maps differ:\ncontext %#v %#v\nevent   %#v %#v", frame, lc.DataMap(), lc.Form(), ev.Data, ev.Form)
	}
}

func TestMessageJSON(t *testing.T) {
	tests := []struct {
		m    Message
		want string
	}{
		{Message{}, `{}`},
		{Message{Target: "#a"}, `{"target":"#a","html":""}`},
		{Message{Target: "#a", Remove: true}, `{"target":"#a","remove":true}`},
		{Message{Target: "#a", HTML: "<p>\"q\" & \\ \n\t\x01 \u2028 é</p>", Append: true},
			`{"target":"#a","html":"<p>\"q\" & \\ \n\t\u0001 \u2028 é</p>","append":true}`},
		{Message{Target: "#m", HTML: "x", URL: "/p/", Title: "T", Scroll: "#s", ScrollTop: true},
			`{"target":"#m","html":"x","url":"/p/","title":"T","scroll":"#s","scrollTop":true}`},
		{Message{Error: "Handler error", Function: "f"}, `{"error":"Handler error","function":"f"}`},
		{Message{Extra: map[string]any{"z": 1, "event": "e"}}, `{"event":"e","z":1}`},
		{Message{HTML: "bad \xff utf8"}, `{"html":"bad \ufffd utf8"}`},
		{Message{Target: "#f", HTML: "<p>x</p>", Morph: true}, `{"target":"#f","html":"<p>x</p>","morph":true}`},
		{Message{Event: "cart:updated", EventData: map[string]int{"count": 3}}, `{"event":"cart:updated","eventData":{"count":3}}`},
		{Message{Event: "ping"}, `{"event":"ping"}`},
		{Message{Ref: 42}, `{"ref":42}`},
		{Message{Target: "#l", HTML: "<li>n</li>", Append: true, JS: "add-class(new):#l li:last-child"},
			`{"target":"#l","html":"<li>n</li>","append":true,"js":"add-class(new):#l li:last-child"}`},
		{Message{JS: "hide:#a", Extra: map[string]any{"z": 1}}, `{"js":"hide:#a","z":1}`},
		{Message{Extra: map[string]any{"js": "legacy"}}, `{"js":"legacy"}`},
		{Message{Error: "Handler error", Function: "f", Ref: 3}, `{"error":"Handler error","function":"f","ref":3}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.m)
		if err != nil {
			t.Fatal(err)
		}
		// Compare as decoded JSON (escaping may differ) and check validity.
		var got, want any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%+v encoded to invalid JSON %s", tt.m, b)
		}
		if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || len(b) > 0 && fmt.Sprint(keysOrder(b)) != fmt.Sprint(keysOrder([]byte(tt.want))) {
			t.Errorf("%+v:\n got %s\nwant %s", tt.m, b, tt.want)
		}
	}
	if _, err := json.Marshal(Message{Extra: map[string]any{"html": "x"}}); err == nil {
		t.Error("Extra key colliding with a field must fail")
	}
	if _, err := json.Marshal(Message{Event: "a", Extra: map[string]any{"event": "b"}}); err == nil {
		t.Error("Extra event with Message.Event set must fail")
	}
	if _, err := json.Marshal(Message{JS: "hide:#a", Extra: map[string]any{"js": "b"}}); err == nil {
		t.Error("Extra js with Message.JS set must fail")
	}
	if _, err := json.Marshal(Message{Event: "a", EventData: func() {}}); err == nil {
		t.Error("unencodable EventData must fail")
	}
	if _, err := json.Marshal(Message{Extra: map[string]any{"f": func() {}}}); err == nil {
		t.Error("unencodable Extra must fail")
	}
}

// TestMessageJSCheck: a Message's JS is checked when it is encoded, with an
// error wrapping ErrBadJS that names the command at fault.
func TestMessageJSCheck(t *testing.T) {
	for _, tt := range []struct{ js, want string }{
		{"hide", `"hide" needs a selector`},
		{"toggel:#menu", `"toggel:#menu" names no command`},
		{"show:#a; add-class:#b", `"add-class:#b" add-class needs an argument`},
		{"show(x):#a", `show takes no argument`},
		{"toggle #menu", `"toggle #menu" is not name`},
		{"set-attribute(onclick=alert):#a", `aria-* and data-* attributes only`},
		{" ; ", `has no command`},
	} {
		_, err := json.Marshal(Message{JS: tt.js})
		if !errors.Is(err, ErrBadJS) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "liveview:") {
			t.Errorf("JS %q: error %v, want ErrBadJS with %q", tt.js, err, tt.want)
		}
	}
	for _, js := range []string{
		"toggle:#menu", "show:#menu li:first-child", "add-class(open):#menu; focus:#q",
		"toggle-attribute(disabled):#save", "dispatch(chart:refresh):#chart",
		"set-attribute(aria-expanded=true):#b;", "remove-class(a b):.x; toggle-class(c):.y; hide:#z",
	} {
		if _, err := json.Marshal(Message{JS: js}); err != nil {
			t.Errorf("JS %q: %v", js, err)
		}
	}
}

// keysOrder returns the top-level keys of a JSON object in order.
func keysOrder(b []byte) []string {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	var keys []string
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var v json.RawMessage
		dec.Decode(&v)
	}
	return keys
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"plain", "\"\\\n\r\t\x00\x1f", "\u2028\u2029", "\xff\xfe", "<script>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("invalid JSON %q for %q: %v", b, s, err)
		}
		want, _ := json.Marshal(s)
		var ref string
		json.Unmarshal(want, &ref)
		if got != ref {
			t.Fatalf("%q decoded to %q, encoding/json gives %q", s, got, ref)
		}
	})
}

func BenchmarkParseEvent(b *testing.B) {
	frame := []byte(`{"function":"say_hello","data":{"dataUserId":"42","productId":"7"},"form":{"name":"Ada","agree":true},"lang":"en","room":"lobby"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEvent(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSnakeCase(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		SnakeCase("getHTTPResponseCode")
		SnakeCase("already_snake")
	}
}

func BenchmarkMessageEncode(b *testing.B) {
	m := Message{Target: "#greeting", HTML: "<h1>Hello, Ada!</h1>"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.appendJSON(make([]byte, 0, 128)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseFast pins which frames take the fast path: everything the
// official client sends does; the rest goes to encoding/json.
func TestParseFast(t *testing.T) {
	for frame, fast := range map[string]bool{
		`{"function":"say_hello","data":{},"form":{"name":"Ada"},"lang":"en","room":"lobby"}`:                               true,
		`{"function":"f","data":{"dataAlertId":"5"},"form":{"ok":true,"no":false,"x":null},"lang":null,"room":"r","ref":3}`: true,
		` {"function":"f"} `:                           true,
		`{"function":"f","form":{"name":"Zoë"}}`:       true,
		`{"function":"f","form":{"q":"a \"b\""}}`:      false, // escape
		`{"function":"f","data":{"n":5}}`:              false, // number in data
		`{"function":"f","data":{"a":{"b":"c"}}}`:      false, // nested
		`{"function":"f","extra":1}`:                   false, // unknown key
		`{"function":"f","function":"g"}`:              false, // repeated key
		`{"function":"f","data":{"aB":"1","a_b":"2"}}`: false, // collision
		`{"function":""}`:                              false,
		`{"function":"f","ref":-1}`:                    false,
	} {
		ev, ok := parseFast([]byte(strings.TrimSpace(frame)))
		if ok != fast {
			t.Errorf("%s: fast=%v, want %v", frame, ok, fast)
		}
		if ok {
			slow, err := parseJSON([]byte(strings.TrimSpace(frame)))
			if err != nil || !reflect.DeepEqual(ev, slow) {
				t.Errorf("%s: fast %#v, slow %#v %v", frame, ev, slow, err)
			}
			checkContextMatches(t, []byte(frame), ev)
		}
	}
}
