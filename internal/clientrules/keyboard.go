package clientrules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Key is the part of a KeyboardEvent the rules read (keys.go's KeyEvent:
// KeyboardEvent.key and the modifier flags).
type Key = KeyEvent

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
// "Escape", "esc", "enter", "shift+!" or "+" into the keydown a keyboard
// makes: modifiers (those of keys.json, in any case, or "cmd" for meta)
// joined by "+", then the key, either a KeyboardEvent.key value or one of
// keys.json's short names (esc, space, up...). With shift, a single
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
		i := table.modifierOf(m)
		if strings.EqualFold(m, "cmd") {
			i = table.modifierOf("meta")
		}
		if i < 0 {
			return Key{}, fmt.Errorf("clientrules: unknown modifier %q in %q (want ctrl, alt, meta or shift)", m, combo)
		}
		switch table.Modifiers[i].Name {
		case "ctrl":
			k.Ctrl = true
		case "alt":
			k.Alt = true
		case "meta":
			k.Meta = true
		case "shift":
			k.Shift = true
		}
	}
	for full, short := range table.Names {
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

// jsNumber formats f as JavaScript's String(f) does: the shortest digits
// that round-trip, in exponent form ("1e-7", "1.5e+21") below 1e-6 and
// from 1e21 on.
func jsNumber(f float64) string {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) && !math.IsInf(f, 0) {
		mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
		sign, digits := exp[:1], strings.TrimLeft(exp[1:], "0")
		return mant + "e" + sign + digits
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
