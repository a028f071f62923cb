package redis

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/echo-liveview/liveview/presence"
)

var lim = presence.Limits{}.WithDefaults()

func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{"", ":", "0:", "3:bob", "3:bob{\"a\":1}", "9999:x", "-1:x", "3:bo", "1:a{", "00003:bob", "5:alice\"x\"", "3:\xff\xfe\xfdnull"} {
		f.Add("ref", s)
	}
	f.Fuzz(func(t *testing.T, ref, v string) {
		e, err := decodeValue(ref, v, lim)
		if err != nil {
			return
		}
		if lim.Check("t", e) != nil {
			t.Fatalf("decodeValue(%q) accepted an invalid entry %+v", v, e)
		}
		back, err := decodeValue(ref, encodeValue(e), lim)
		if err != nil || !presence.Equal(back, e) {
			t.Fatalf("round trip of %+v: %+v, %v", e, back, err)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	id := strings.Repeat("ab", 16)
	for _, s := range []string{
		`{"i":"` + id + `","s":1,"o":"t","r":"r","k":"k","m":{"a":1}}`,
		`{"i":"` + id + `","s":2,"o":"u","r":"r"}`,
		`{"i":"` + id + `","s":3,"o":"c"}`,
		`{"i":"` + id + `","s":4,"o":"r"}`,
		`{"i":"` + id + `","s":5,"p":4,"o":"u","r":"r"}`,
		`{"i":"` + id + `","s":6,"o":"r","x":"` + strings.Repeat("cd", 16) + `"}`,
		`{"i":"` + id + `","s":6,"o":"r","x":"not-an-id"}`,
		`{"i":"x","s":1,"o":"t"}`, `{"i":"` + id + `","s":0,"o":"c"}`, `null`, `[]`, `{"o":"zz"}`, "\x00lv1", `{"i":"` + id + `","s":1,"o":"t","r":"","k":"k"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := decodeMessage(p, lim)
		if err != nil {
			return
		}
		if !validID(m.ID) || m.Seq == 0 || (m.Old != "" && !validID(m.Old)) {
			t.Fatalf("accepted %+v", m)
		}
		if m.Op == opTrack {
			if err := lim.Check("t", presence.Entry{Key: m.Key, Ref: m.Ref, Meta: m.Meta}); err != nil {
				t.Fatalf("accepted an invalid entry: %v", err)
			}
		}
	})
}

func TestParseSnapshot(t *testing.T) {
	id1, id2 := strings.Repeat("a", 32), strings.Repeat("b", 32)
	good := []any{"", "7", "r1", "3:bob{\"x\":1}", "r2", "5:alice"}
	tests := []struct {
		name    string
		reply   any
		err     bool
		parts   int
		entries int // in all parts
		bad     int
	}{
		{"Good", []any{id1, good, id2, []any{"", "1", "r3", "1:c"}}, false, 2, 3, 0},
		{"Empty", []any{}, false, 0, 0, 0},
		{"NotArray", "OK", true, 0, 0, 0},
		{"Nil", nil, true, 0, 0, 0},
		{"OddTop", []any{id1, good, id2}, false, 1, 2, 1},
		{"BadID", []any{"not-an-id", good}, false, 0, 0, 1},
		{"UpperID", []any{strings.Repeat("A", 32), good}, false, 0, 0, 1},
		{"IDNotString", []any{int64(3), good}, false, 0, 0, 1},
		{"FieldsNotArray", []any{id1, "x"}, false, 0, 0, 1},
		{"DuplicateID", []any{id1, good, id1, good}, false, 1, 2, 1},
		{"OddFields", []any{id1, []any{"", "1", "r1"}}, false, 1, 0, 1},
		{"FieldNotString", []any{id1, []any{int64(1), "1:a", "r1", []any{}}}, false, 1, 0, 2},
		{"BadSeq", []any{id1, []any{"", "-3", "r1", "1:a"}}, false, 1, 1, 1},
		{"BadValues", []any{id1, []any{"r1", "x", "r2", "99:a", "r3", "1:a{", "r4", "0:", "r5", "1:a" + strings.Repeat(" ", 5000)}}, false, 1, 0, 5},
		{"BadRef", []any{id1, []any{"\xff", "1:a", strings.Repeat("r", 300), "1:a"}}, false, 1, 0, 2},
		{"Nested", []any{id1, []any{[]any{[]any{}}, "1:a"}}, false, 1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, bad, err := parseSnapshot(tt.reply, lim)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			n := 0
			for _, p := range parts {
				n += len(p.entries)
			}
			if len(parts) != tt.parts || n != tt.entries || bad != tt.bad {
				t.Fatalf("%d parts, %d entries, %d bad; want %d, %d, %d", len(parts), n, bad, tt.parts, tt.entries, tt.bad)
			}
		})
	}
	// Limits: entries beyond MaxEntries per part are skipped.
	small := presence.Limits{MaxEntries: 2}.WithDefaults()
	parts, bad, _ := parseSnapshot([]any{id1, []any{"r1", "1:a", "r2", "1:a", "r3", "1:a"}}, small)
	if len(parts[id1].entries) != 2 || bad != 1 {
		t.Fatalf("MaxEntries 2: %d entries, %d bad", len(parts[id1].entries), bad)
	}
}

func TestEncodeValue(t *testing.T) {
	for _, e := range []presence.Entry{
		{Key: "bob", Ref: "r"},
		{Key: "a:b:c", Ref: "r", Meta: json.RawMessage(`{"x":"1:2"}`)},
		{Key: "12", Ref: "r", Meta: json.RawMessage(`3`)},
	} {
		got, err := decodeValue(e.Ref, encodeValue(e), lim)
		if err != nil || !presence.Equal(got, e) {
			t.Errorf("%+v: %+v, %v", e, got, err)
		}
	}
}

func TestParseLiveness(t *testing.T) {
	id1, id2 := strings.Repeat("a", 32), strings.Repeat("b", 32)
	tests := []struct {
		name        string
		reply       any
		err         bool
		alive, dead int
		moved       bool
		bad         int
	}{
		{"Good", []any{int64(1000), int64(0), []any{id1, "2000", id2, "999"}}, false, 1, 1, false, 0},
		{"Moved", []any{int64(1000), int64(1), []any{id1, "1.5e3"}}, false, 1, 0, true, 0},
		{"Empty", []any{int64(1000), int64(0), []any{}}, false, 0, 0, false, 0},
		{"NotArray", "OK", true, 0, 0, false, 0},
		{"Short", []any{int64(1000), int64(0)}, true, 0, 0, false, 0},
		{"NowNotInt", []any{"1000", int64(0), []any{}}, true, 0, 0, false, 0},
		{"SetNotArray", []any{int64(1000), int64(0), "x"}, true, 0, 0, false, 0},
		{"BadMembers", []any{int64(1000), int64(0), []any{"not-an-id", "2000", id1, "soon", int64(3), "2000", id2}}, false, 0, 0, false, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, bad, err := parseLiveness(tt.reply)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if err != nil {
				return
			}
			alive, dead := 0, 0
			for id := range l.expires {
				if l.alive(id) {
					alive++
				}
				if l.expired(id) {
					dead++
				}
			}
			if alive != tt.alive || dead != tt.dead || l.moved != tt.moved || bad != tt.bad {
				t.Fatalf("%d alive, %d dead, moved %v, %d bad; want %d, %d, %v, %d", alive, dead, l.moved, bad, tt.alive, tt.dead, tt.moved, tt.bad)
			}
		})
	}
}
