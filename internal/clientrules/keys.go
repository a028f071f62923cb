// Keyboard maps (keys.json): the one table the client and this package
// share, and the rules built on it.
//
// keys.json is the one definition of the key names of
// data-liveview-keyboard-map. The client imports it (jsclient/src/keyboard.js,
// bundled by esbuild) and this package embeds it; change it, then run
// `go generate ./jsclient` and commit both. Its keys:
//
//   - modifiers: [{"name": "ctrl", "key": "Control"}, ...], in the order
//     they appear in a key string. name is the modifier in key strings
//     ("ctrl+s"); key is its KeyboardEvent.key, whose lower case is accepted
//     as a modifier too ("control+s") and is the key's name when the
//     modifier is pressed alone. The event flag is name + "Key" (ctrlKey).
//   - names: Django LiveView's renames of KeyboardEvent.key values, as its
//     client spells them ({"Escape": "esc", " ": "space", "ArrowUp": "up",
//     ...}). Every other key is named by its lower-cased KeyboardEvent.key.
//   - shiftDropped: a regular expression (the same in JS and Go) matching
//     the KeyboardEvent.key values before which Django LiveView drops
//     "shift" (Shift+A gives "a"): single letters and digits.
//   - keys: the commonly used named KeyboardEvent.key values of the UI
//     Events "key values" specification (modifiers and locks, whitespace,
//     navigation, editing, UI, F1-F24, media and browser keys), used to
//     warn about a key name that may never match ("escpe"). Not every named
//     key: the full list would cost the client about 1.1 KB gzipped of the
//     24 KB budget for a warning; a listed name is only a warning's business,
//     never a condition for matching.
//   - about: a sentence for readers; no rule.
//
// The rules built on it, identical in keyboard.js and here:
//
//   - A keydown gives up to two key strings ([KeyEvent.Strings]), tried in
//     order: every pressed modifier in the table's order then the key's
//     name ("ctrl+shift+p"), and Django LiveView's exact string, which
//     leaves out shift before a key matching shiftDropped ("ctrl+p").
//   - A key-map entry is normalised once, when the element is bound
//     ([NormalizeKey]): its modifiers, in any order and case, become the
//     table's names in the table's order; its key becomes its name, so the
//     standard KeyboardEvent.key names work besides Django LiveView's short
//     ones ("Escape" and "escape" become "esc", "ArrowUp" "up", "S" "s"); a
//     modifier as the key ("shift") means that modifier pressed alone
//     ("shift+shift"). An entry in Django LiveView's exact form is left as
//     it is, so every map that worked there works the same.
//   - An entry that can never match is kept as written (as upstream does)
//     and reported: a part before the key that is no modifier ("cmd+k"), no
//     key ("ctrl+"), a value that is not a string, or an entry that
//     normalises to the key of another one, where the entry already in
//     normal form wins, else the first (so "esc" beats "Escape"). A key of
//     several printable ASCII characters that the table does not list
//     ("escpe", "ctrl-s") is normalised like any other and reported as one
//     that may never match.
//     The client warns once per distinct problem in the console
//     ("LiveView: " + the problem text); [ParseKeyMap] returns the same
//     texts.

package clientrules

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

//go:embed keys.json
var keysJSON []byte

// KeysJSON returns the keyboard table as the client bundles it.
func KeysJSON() []byte { return bytes.Clone(keysJSON) }

// modifier is one entry of the table's modifiers.
type modifier struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// keyTable is keys.json, decoded and indexed.
type keyTable struct {
	Modifiers    []modifier        `json:"modifiers"`
	Names        map[string]string `json:"names"`
	ShiftDropped string            `json:"shiftDropped"`
	Keys         []string          `json:"keys"`

	renames      map[string]string // lower-cased names keys -> short name
	known        map[string]bool   // every key name a key string may end with
	shiftDropped *regexp.Regexp
}

var table = loadTable(keysJSON)

func loadTable(b []byte) *keyTable {
	var t keyTable
	if err := json.Unmarshal(b, &t); err != nil {
		panic("clientrules: keys.json: " + err.Error())
	}
	t.shiftDropped = regexp.MustCompile(t.ShiftDropped)
	t.renames = make(map[string]string, len(t.Names))
	for k, v := range t.Names {
		t.renames[strings.ToLower(k)] = v
	}
	t.known = make(map[string]bool, len(t.Keys)+len(t.Names))
	for _, k := range t.Keys {
		t.known[t.keyName(k)] = true
	}
	for _, v := range t.Names {
		t.known[v] = true
	}
	return &t
}

// keyName is the name of a KeyboardEvent.key (or of an entry's key) in key
// strings: its rename, else its lower case.
func (t *keyTable) keyName(key string) string {
	k := strings.ToLower(key)
	if r, ok := t.renames[k]; ok {
		return r
	}
	return k
}

// modifierOf returns the index of the modifier named s (its name or its
// key, in any case), or -1.
func (t *keyTable) modifierOf(s string) int {
	s = strings.ToLower(s)
	for i, m := range t.Modifiers {
		if s == m.Name || s == strings.ToLower(m.Key) {
			return i
		}
	}
	return -1
}

// KeyEvent is what the client reads of a keydown: KeyboardEvent.key and
// the modifier flags.
type KeyEvent struct {
	Key                    string
	Ctrl, Alt, Meta, Shift bool
}

// flag reports the event's flag of the modifier called name.
func (e KeyEvent) flag(name string) bool {
	switch name {
	case "ctrl":
		return e.Ctrl
	case "alt":
		return e.Alt
	case "meta":
		return e.Meta
	case "shift":
		return e.Shift
	}
	return false
}

// Strings returns the key strings the keydown may match, best first: with
// every pressed modifier ("ctrl+shift+p"), then, when it differs, Django
// LiveView's exact string, without shift before a letter or digit
// ("ctrl+p"). The client's keyStrings.
func (e KeyEvent) Strings() []string {
	name := table.keyName(e.Key)
	var full, upstream []string
	for _, m := range table.Modifiers {
		if !e.flag(m.Name) {
			continue
		}
		full = append(full, m.Name)
		if m.Name != "shift" || !table.shiftDropped.MatchString(e.Key) {
			upstream = append(upstream, m.Name)
		}
	}
	f := strings.Join(append(full, name), "+")
	u := strings.Join(append(upstream, name), "+")
	if f == u {
		return []string{f}
	}
	return []string{f, u}
}

// NormalizeKey returns the key string a data-liveview-keyboard-map entry
// stands for ("Control+Shift+P" -> "ctrl+shift+p", "escape" -> "esc"), and
// "" as problem; or, for an entry that can never match, the entry itself
// and why ("can never match: ..."), as the client's warning says it; or,
// for a key name the table does not list, its key string and a warning
// ("may never match: ..."): the table lists the common named keys only, to
// keep the client small, so such a name still matches a KeyboardEvent.key
// of that name. The client's normalizeKey.
func NormalizeKey(entry string) (key, problem string) {
	parts := strings.Split(entry, "+")
	last := parts[len(parts)-1]
	parts = parts[:len(parts)-1]
	if last == "" && len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
		last = "+" // "ctrl++"
	}
	mods := make([]bool, len(table.Modifiers))
	for _, p := range parts {
		i := table.modifierOf(p)
		if i < 0 {
			return entry, fmt.Sprintf(`can never match: "%s" is not a modifier (ctrl, alt, meta, shift)`, p)
		}
		mods[i] = true
	}
	name := table.keyName(last)
	if i := table.modifierOf(name); i >= 0 {
		mods[i] = true // a modifier pressed alone
		name = strings.ToLower(table.Modifiers[i].Key)
	}
	switch {
	case name == "":
		return entry, "can never match: it names no key"
	}
	var out []string
	for i, m := range table.Modifiers {
		if mods[i] {
			out = append(out, m.Name)
		}
	}
	key = strings.Join(append(out, name), "+")
	if utf8.RuneCountInString(name) > 1 && printableASCII(name) && !table.known[name] {
		return key, fmt.Sprintf(`may never match: "%s" is not a key name LiveView knows (it matches only a KeyboardEvent.key "%s", in any case)`, last, last)
	}
	return key, ""
}

// printableASCII reports whether s has only characters from space to "~".
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// KeyMap is a parsed data-liveview-keyboard-map: normalised key strings to
// function names.
type KeyMap map[string]string

// Lookup returns the function a keydown sends, trying its key strings in
// order, as the client's listener does.
func (m KeyMap) Lookup(e KeyEvent) (function string, ok bool) {
	for _, s := range e.Strings() {
		if fn, ok := m[s]; ok {
			return fn, true
		}
	}
	return "", false
}

// ParseKeyMap parses a data-liveview-keyboard-map attribute as the client
// binds it: each entry normalised (see NormalizeKey), problems reported in
// the order of the attribute, as the client's console warnings say them
// (without their "LiveView: " prefix, each text once). err is set when the
// attribute is not a JSON object: the client then binds nothing (JSON.parse
// fails, or the value is not an object; a JSON array, which the client
// would bind by index, is refused here too).
func ParseKeyMap(attr string) (m KeyMap, problems []string, err error) {
	entries, err := objectEntries(attr)
	if err != nil {
		return nil, nil, err
	}
	m = KeyMap{}
	entryOf := map[string]string{} // key string -> the entry that holds it
	seen := map[string]bool{}
	report := func(entry, why string) {
		p := fmt.Sprintf(`data-liveview-keyboard-map key "%s" %s`, entry, why)
		if !seen[p] {
			seen[p] = true
			problems = append(problems, p)
		}
	}
	for _, e := range entries {
		fn, isString := e.value.(string)
		if !isString {
			report(e.key, "can never match: its function is not a string")
			continue
		}
		key, problem := NormalizeKey(e.key)
		if problem != "" {
			report(e.key, problem)
		}
		if held, dup := entryOf[key]; dup {
			winner, loser := held, e.key
			if key == e.key { // the entry in normal form wins
				winner, loser = e.key, held
				entryOf[key], m[key] = e.key, fn
			}
			report(loser, fmt.Sprintf(`can never match: "%s" is the same key`, winner))
			continue
		}
		entryOf[key], m[key] = e.key, fn
	}
	return m, problems, nil
}

// entry is one member of a JSON object, in document order.
type entry struct {
	key   string
	value any
}

// objectEntries decodes a JSON object keeping its members' order, as
// JavaScript's JSON.parse and Object.entries do: integer-like keys first,
// in numeric order, then the others in document order; a repeated key keeps
// its first place and its last value.
func objectEntries(s string) ([]entry, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("clientrules: invalid keyboard map: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("clientrules: invalid keyboard map: not a JSON object")
	}
	var ints, others []entry
	at := map[string]int{} // key -> index in ints (>= 0) or ^index in others
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("clientrules: invalid keyboard map: %w", err)
		}
		k := tok.(string) // object keys are strings
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("clientrules: invalid keyboard map: %w", err)
		}
		if i, dup := at[k]; dup {
			if i >= 0 {
				ints[i].value = v
			} else {
				others[^i].value = v
			}
			continue
		}
		if isArrayIndex(k) {
			at[k] = len(ints)
			ints = append(ints, entry{k, v})
		} else {
			at[k] = ^len(others)
			others = append(others, entry{k, v})
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("clientrules: invalid keyboard map: %w", err)
	}
	if dec.More() {
		return nil, errors.New("clientrules: invalid keyboard map: text after the object")
	}
	sortIndexKeys(ints)
	return append(ints, others...), nil
}

// sortIndexKeys orders array-index entries numerically (insertion sort:
// maps have few).
func sortIndexKeys(es []entry) {
	less := func(a, b string) bool { return len(a) < len(b) || (len(a) == len(b) && a < b) }
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && less(es[j].key, es[j-1].key); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}
