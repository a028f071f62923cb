package clientrules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Key is the part of a KeyboardEvent the rules read.
type Key struct {
	Key                    string // KeyboardEvent.key: "s", "S", "Enter", "Escape", " ", "!"
	Ctrl, Alt, Meta, Shift bool
}

// shortNames are the key names of keyboard.js's NAMES (Django LiveView
// 2.1.9+), by KeyboardEvent.key.
var shortNames = map[string]string{
	"Escape":     "esc",
	" ":          "space",
	"ArrowUp":    "up",
	"ArrowDown":  "down",
	"ArrowLeft":  "left",
	"ArrowRight": "right",
	"Enter":      "enter",
	"Tab":        "tab",
	"Home":       "home",
	"End":        "end",
	"PageUp":     "page_up",
	"PageDown":   "page_down",
}

// stimulusKeys is Stimulus 3.2's defaultSchema.keyMappings: key filter name
// -> KeyboardEvent.key (plus a-z and 0-9 as themselves).
var stimulusKeys = map[string]string{
	"enter": "Enter", "tab": "Tab", "esc": "Escape", "space": " ",
	"up": "ArrowUp", "down": "ArrowDown", "left": "ArrowLeft", "right": "ArrowRight",
	"home": "Home", "end": "End", "page_up": "PageUp", "page_down": "PageDown",
}

func init() {
	for c := 'a'; c <= 'z'; c++ {
		stimulusKeys[string(c)] = string(c)
	}
	for c := '0'; c <= '9'; c++ {
		stimulusKeys[string(c)] = string(c)
	}
}

// ParseKey reads a key combination such as "ctrl+s", "ctrl+shift+p",
// "Escape", "esc", "enter", "shift+!" or "+": modifiers (ctrl, alt, meta,
// shift) joined by "+", then the key, either a KeyboardEvent.key value or
// one of the client's short names (esc, space, up, down, left, right,
// enter, tab, home, end, page_up, page_down). With shift, a single
// lower-case letter is upper-cased, as a keyboard produces it.
func ParseKey(combo string) (Key, error) {
	if combo == "" {
		return Key{}, fmt.Errorf("clientrules: empty key")
	}
	var k Key
	parts := strings.Split(combo, "+")
	name := parts[len(parts)-1]
	mods := parts[:len(parts)-1]
	if name == "" && len(parts) > 1 { // "ctrl++" or "+"
		name, mods = "+", parts[:len(parts)-2]
	}
	for _, m := range mods {
		switch strings.ToLower(m) {
		case "ctrl", "control":
			k.Ctrl = true
		case "alt":
			k.Alt = true
		case "meta", "cmd":
			k.Meta = true
		case "shift":
			k.Shift = true
		default:
			return Key{}, fmt.Errorf("clientrules: unknown modifier %q in %q (want ctrl, alt, meta or shift)", m, combo)
		}
	}
	for full, short := range shortNames {
		if strings.EqualFold(name, short) {
			name = full
			break
		}
	}
	if k.Shift && len(name) == 1 && name[0] >= 'a' && name[0] <= 'z' {
		name = strings.ToUpper(name)
	}
	k.Key = name
	return k, nil
}

var singleAlnum = regexp.MustCompile(`^[a-zA-Z0-9]$`)

// KeyStrings is keyboard.js's keyStrings: the strings a keydown may match in
// a keyboard map, best first: every modifier ("ctrl+shift+p"), then
// upstream's exact string, which drops shift before a single letter or
// digit ("ctrl+p").
func KeyStrings(k Key) []string {
	name, ok := shortNames[k.Key]
	if !ok {
		name = strings.ToLower(k.Key)
	}
	var mods []string
	if k.Ctrl {
		mods = append(mods, "ctrl")
	}
	if k.Alt {
		mods = append(mods, "alt")
	}
	if k.Meta {
		mods = append(mods, "meta")
	}
	join := func(shift bool) string {
		parts := append([]string(nil), mods...)
		if shift {
			parts = append(parts, "shift")
		}
		return strings.Join(append(parts, name), "+")
	}
	full := join(k.Shift)
	upstream := join(k.Shift && !singleAlnum.MatchString(k.Key))
	if full == upstream {
		return []string{full}
	}
	return []string{full, upstream}
}

// parseKeyboardMap is bindKeyboardMap's JSON.parse of
// data-liveview-keyboard-map: a JSON object (an array counts, with its
// indexes as keys), values converted as String(v) does. ok is false for
// invalid JSON and for values that are not objects.
func parseKeyboardMap(s string) (map[string]string, bool) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, false
	}
	out := map[string]string{}
	switch m := v.(type) {
	case map[string]any:
		for k, val := range m {
			out[k] = jsString(val)
		}
	case []any:
		for i, val := range m {
			out[fmt.Sprint(i)] = jsString(val)
		}
	default:
		return nil, false
	}
	return out, true
}

// jsString is String(v) for a decoded JSON value.
func jsString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case bool:
		if v {
			return "true"
		}
		return "false"
	case float64:
		return jsNumber(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			if e != nil {
				parts[i] = jsString(e)
			}
		}
		return strings.Join(parts, ",")
	default:
		return "[object Object]"
	}
}

// jsNumber formats f as JavaScript's Number.prototype.toString does for
// values between 1e-6 and 1e21 (beyond them JavaScript switches to an
// exponent).
func jsNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
