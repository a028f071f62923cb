package clientrules

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestKeyEventStrings(t *testing.T) {
	tests := []struct {
		ev   KeyEvent
		want []string
	}{
		{KeyEvent{Key: "s", Ctrl: true}, []string{"ctrl+s"}},
		{KeyEvent{Key: "P", Ctrl: true, Shift: true}, []string{"ctrl+shift+p", "ctrl+p"}},
		{KeyEvent{Key: "A", Shift: true}, []string{"shift+a", "a"}},
		{KeyEvent{Key: "!", Shift: true}, []string{"shift+!"}},
		{KeyEvent{Key: "Escape"}, []string{"esc"}},
		{KeyEvent{Key: " "}, []string{"space"}},
		{KeyEvent{Key: "ArrowUp", Alt: true}, []string{"alt+up"}},
		{KeyEvent{Key: "PageDown"}, []string{"page_down"}},
		{KeyEvent{Key: "Delete", Ctrl: true, Alt: true, Meta: true, Shift: true}, []string{"ctrl+alt+meta+shift+delete"}},
		{KeyEvent{Key: "1", Meta: true, Shift: true}, []string{"meta+shift+1", "meta+1"}},
		{KeyEvent{Key: "Shift", Shift: true}, []string{"shift+shift"}},
		{KeyEvent{Key: "Control", Ctrl: true}, []string{"ctrl+control"}},
		{KeyEvent{Key: "F2"}, []string{"f2"}},
		{KeyEvent{Key: "é"}, []string{"é"}},
	}
	for _, tt := range tests {
		if got := tt.ev.Strings(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v: got %q, want %q", tt.ev, got, tt.want)
		}
	}
}

func TestNormalizeKey(t *testing.T) {
	tests := []struct {
		entry, want, problem string
	}{
		// Django LiveView's own spellings stay as they are.
		{"esc", "esc", ""},
		{"ctrl+s", "ctrl+s", ""},
		{"shift+!", "shift+!", ""},
		{"page_up", "page_up", ""},
		{"space", "space", ""},
		{"ctrl+alt+meta+shift+x", "ctrl+alt+meta+shift+x", ""},
		{"f5", "f5", ""},
		{"backspace", "backspace", ""},
		// Standard KeyboardEvent.key names and any case or order.
		{"escape", "esc", ""},
		{"Escape", "esc", ""},
		{"ArrowUp", "up", ""},
		{"arrowleft", "left", ""},
		{"PageDown", "page_down", ""},
		{" ", "space", ""},
		{"ctrl+ ", "ctrl+space", ""},
		{"Control+Shift+P", "ctrl+shift+p", ""},
		{"shift+ctrl+p", "ctrl+shift+p", ""},
		{"CTRL+S", "ctrl+s", ""},
		{"S", "s", ""},
		{"Delete", "delete", ""},
		{"F12", "f12", ""},
		{"MediaPlayPause", "mediaplaypause", ""},
		{"ctrl+ctrl+s", "ctrl+s", ""},
		{"+", "+", ""},
		{"ctrl++", "ctrl++", ""},
		{"é", "é", ""},
		{"ctrl+ß", "ctrl+ß", ""},
		// A modifier alone.
		{"shift", "shift+shift", ""},
		{"ctrl", "ctrl+control", ""},
		{"Control", "ctrl+control", ""},
		{"ctrl+shift", "ctrl+shift+shift", ""},
		// Not listed: normalised, and warned about as a key that may never
		// match (the table lists the common named keys only).
		{"escpe", "escpe", `may never match: "escpe" is not a key name LiveView knows (it matches only a KeyboardEvent.key "escpe", in any case)`},
		{"ctrl-s", "ctrl-s", `may never match: "ctrl-s" is not a key name LiveView knows (it matches only a KeyboardEvent.key "ctrl-s", in any case)`},
		{"ctrl+Return", "ctrl+return", `may never match: "Return" is not a key name LiveView knows (it matches only a KeyboardEvent.key "Return", in any case)`},
		{"arrow_up", "arrow_up", `may never match: "arrow_up" is not a key name LiveView knows (it matches only a KeyboardEvent.key "arrow_up", in any case)`},
		{"LaunchCalculator", "launchcalculator", `may never match: "LaunchCalculator" is not a key name LiveView knows (it matches only a KeyboardEvent.key "LaunchCalculator", in any case)`},
		// Never matches.
		{"cmd+k", "cmd+k", `can never match: "cmd" is not a modifier (ctrl, alt, meta, shift)`},
		{"ctrl + s", "ctrl + s", `can never match: "ctrl " is not a modifier (ctrl, alt, meta, shift)`},
		{"++", "++", `can never match: "" is not a modifier (ctrl, alt, meta, shift)`},
		{"ctrl+", "ctrl+", "can never match: it names no key"},
		{"", "", "can never match: it names no key"},
	}
	for _, tt := range tests {
		got, problem := NormalizeKey(tt.entry)
		if got != tt.want || problem != tt.problem {
			t.Errorf("NormalizeKey(%q) = %q, %q; want %q, %q", tt.entry, got, problem, tt.want, tt.problem)
		}
	}
}

// TestUpstreamStringsAreNormal: every string Django LiveView's client makes
// for a keydown normalises to itself, so a map that matched there matches
// the same keys here.
func TestUpstreamStringsAreNormal(t *testing.T) {
	keys := append([]string{"a", "Z", "0", "!", "/", "+", " ", "é"}, table.Keys...)
	for name := range table.Names {
		keys = append(keys, name)
	}
	for _, k := range keys {
		for mask := 0; mask < 16; mask++ {
			ev := KeyEvent{Key: k, Ctrl: mask&1 != 0, Alt: mask&2 != 0, Meta: mask&4 != 0, Shift: mask&8 != 0}
			if i := table.modifierOf(k); i >= 0 && !ev.flag(table.Modifiers[i].Name) {
				continue // a browser sets a modifier's own flag on its keydown
			}
			strs := ev.Strings()
			upstream := strs[len(strs)-1]
			if got, problem := NormalizeKey(upstream); got != upstream || problem != "" {
				t.Errorf("%+v: upstream string %q normalises to %q (%s)", ev, upstream, got, problem)
			}
			// And the entry naming the event with standard names matches it.
			var parts []string
			for _, m := range table.Modifiers {
				if ev.flag(m.Name) {
					parts = append(parts, m.Key)
				}
			}
			entry := strings.Join(append(parts, k), "+")
			if n, problem := NormalizeKey(entry); problem != "" || n != strs[0] {
				t.Errorf("%+v: entry %q normalises to %q (%s), want %q", ev, entry, n, problem, strs[0])
			}
		}
	}
}

func TestParseKeyMap(t *testing.T) {
	attr := `{"esc": "close", "Escape": "other", "ArrowUp": "up_fn", "x": 5,
		"cmd+k": "never", "PageUp": "pu1", "pageup": "pu2", "2": "two", "1": "one", "ctrl+S": "save",
		"cmd+k": "never2"}`
	m, problems, err := ParseKeyMap(attr)
	if err != nil {
		t.Fatal(err)
	}
	wantMap := KeyMap{"esc": "close", "up": "up_fn", "cmd+k": "never2", "page_up": "pu1", "1": "one", "2": "two", "ctrl+s": "save"}
	if !reflect.DeepEqual(m, wantMap) {
		t.Errorf("map %v, want %v", m, wantMap)
	}
	wantProblems := []string{
		`data-liveview-keyboard-map key "Escape" can never match: "esc" is the same key`,
		`data-liveview-keyboard-map key "x" can never match: its function is not a string`,
		`data-liveview-keyboard-map key "cmd+k" can never match: "cmd" is not a modifier (ctrl, alt, meta, shift)`,
		`data-liveview-keyboard-map key "pageup" can never match: "PageUp" is the same key`,
	}
	if !reflect.DeepEqual(problems, wantProblems) {
		t.Errorf("problems\n got %q\nwant %q", problems, wantProblems)
	}
	for _, tt := range []struct {
		ev KeyEvent
		fn string
	}{
		{KeyEvent{Key: "Escape"}, "close"},
		{KeyEvent{Key: "ArrowUp"}, "up_fn"},
		{KeyEvent{Key: "PageUp"}, "pu1"},
		{KeyEvent{Key: "s", Ctrl: true}, "save"},
		{KeyEvent{Key: "S", Ctrl: true, Shift: true}, "save"}, // upstream's string
		{KeyEvent{Key: "k", Meta: true}, ""},
	} {
		if fn, _ := m.Lookup(tt.ev); fn != tt.fn {
			t.Errorf("Lookup(%+v) = %q, want %q", tt.ev, fn, tt.fn)
		}
	}

	// The entry in normal form wins wherever it is.
	m, problems, _ = ParseKeyMap(`{"Escape": "b", "esc": "a"}`)
	if m["esc"] != "a" || len(problems) != 1 || !strings.Contains(problems[0], `key "Escape"`) {
		t.Errorf("got %v %q", m, problems)
	}
}

func TestParseKeyMapInvalid(t *testing.T) {
	for _, attr := range []string{``, `{`, `[1]`, `null`, `"x"`, `{"a": "b"} {}`, `{"a" "b"}`} {
		if _, _, err := ParseKeyMap(attr); err == nil {
			t.Errorf("ParseKeyMap(%q): no error", attr)
		}
	}
	if m, p, err := ParseKeyMap(" {} "); err != nil || len(m) != 0 || len(p) != 0 {
		t.Errorf("empty map: %v %v %v", m, p, err)
	}
}

func TestObjectEntriesOrder(t *testing.T) {
	es, err := objectEntries(`{"b": 1, "10": 2, "a": 3, "2": 4, "01": 5, "b": 6, "4294967295": 7}`)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range es {
		keys = append(keys, e.key)
	}
	// As Object.keys(JSON.parse(...)) in a browser.
	want := []string{"2", "10", "b", "a", "01", "4294967295"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("order %q, want %q", keys, want)
	}
	if es[2].value != json.Number("6") {
		t.Errorf("repeated key: value %v, want the last", es[2].value)
	}
}

func TestKeysJSON(t *testing.T) {
	var v struct {
		Modifiers []modifier `json:"modifiers"`
		Keys      []string   `json:"keys"`
	}
	if err := json.Unmarshal(KeysJSON(), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Modifiers) != 4 || len(v.Keys) < 80 {
		t.Errorf("table: %d modifiers, %d keys", len(v.Modifiers), len(v.Keys))
	}
	seen := map[string]bool{}
	for _, k := range v.Keys {
		if seen[k] {
			t.Errorf("key %q listed twice", k)
		}
		seen[k] = true
	}
}
