// Package jscmd is the one Go definition of the syntax of JS commands, the
// client-side DOM changes that need no round trip (the data-liveview-js
// attribute and the "js" frame key). jsclient/src/commands.js is the
// browser's copy; the liveview package validates a Message's JS with it,
// and internal/clientrules (liveviewtest's copy of the client) runs the
// commands it parses.
//
// A list is commands separated by ";" (blank ones ignored), each
//
//	name            toggle
//	name(arg)       add-class(open)
//	name:selector   show:#menu li:first-child
//	name(arg):sel   dispatch(chart:refresh):#chart
//
// The selector is everything after the colon that follows the name (and
// its argument), so it may hold colons itself; without one, the command
// acts on the element whose action runs it. Spaces around the parts are
// ignored. An argument holds no ")" and no selector holds a ";".
package jscmd

import (
	"regexp"
	"strings"
)

// Command is one parsed command.
type Command struct {
	Text     string // the command as written, trimmed
	Name     string // "show", "add-class"...
	Arg      string // the argument, trimmed; "" when none
	Selector string // trimmed; "" means the element itself
	// Problem says why the client does not run the command (it warns in the
	// console instead), "" when it runs. A selector is not checked here:
	// the browser's grammar decides, and an invalid one is a warning too.
	Problem string
}

// Commands lists the command names, each with what its argument is ("" for
// a command that takes none), in the order the documentation gives them.
var Commands = []struct{ Name, Arg string }{
	{"show", ""},
	{"hide", ""},
	{"toggle", ""},
	{"add-class", "classes"},
	{"remove-class", "classes"},
	{"toggle-class", "classes"},
	{"toggle-attribute", "attribute"},
	{"set-attribute", "aria-* or data-* attribute=value"},
	{"focus", ""},
	{"dispatch", "event"},
}

// syntax is commands.js's pattern: name, optional (arg), optional :selector.
var syntax = regexp.MustCompile(`^([\w-]+)\s*(?:\(([^)]*)\))?\s*(?::(.*))?$`)

// setAttr is set-attribute's argument: an aria-* or data-* name, then
// optionally "=" and the value ("" without it).
var setAttr = regexp.MustCompile(`^((?:aria|data)-[^=]*)=?(.*)$`)

// Parse returns the commands of list, blank ones left out, each with its
// Problem if it has one.
func Parse(list string) []Command {
	var out []Command
	for _, text := range strings.Split(list, ";") {
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		out = append(out, parse(text))
	}
	return out
}

func parse(text string) Command {
	c := Command{Text: text}
	m := syntax.FindStringSubmatch(text)
	if m == nil {
		c.Problem = "is not name, name(arg), name:selector or name(arg):selector"
		return c
	}
	c.Name, c.Arg, c.Selector = m[1], strings.TrimSpace(m[2]), strings.TrimSpace(m[3])
	arg, known := argOf(c.Name)
	switch {
	case !known:
		c.Problem = "names no command (" + names() + ")"
	case arg == "" && c.Arg != "":
		c.Problem = c.Name + " takes no argument"
	case arg != "" && c.Arg == "":
		c.Problem = c.Name + " needs an argument: " + c.Name + "(" + arg + ")"
	case c.Name == "set-attribute" && !setAttr.MatchString(c.Arg):
		c.Problem = "set-attribute sets aria-* and data-* attributes only: set-attribute(aria-expanded=true)"
	case (c.Name == "toggle-attribute" || c.Name == "set-attribute") && !attrName(AttrName(c)):
		c.Problem = c.Name + ": " + quote(AttrName(c)) + " is not an attribute name"
	}
	return c
}

// AttrName returns the attribute a toggle-attribute or set-attribute
// command changes.
func AttrName(c Command) string {
	if c.Name == "set-attribute" {
		if m := setAttr.FindStringSubmatch(c.Arg); m != nil {
			return m[1]
		}
	}
	return c.Arg
}

// AttrValue returns the value a set-attribute command sets ("" when its
// argument has no "=").
func AttrValue(c Command) string {
	if m := setAttr.FindStringSubmatch(c.Arg); m != nil {
		return m[2]
	}
	return ""
}

// Classes returns the class names of a class command's argument.
func Classes(c Command) []string { return strings.Fields(c.Arg) }

// attrName reports a name setAttribute accepts: not empty, without ASCII
// whitespace, "/", ">", "=", quotes, "<" or NUL (what the HTML parser
// could not read back).
func attrName(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\n\f\r/>=\"'<\x00")
}

func argOf(name string) (string, bool) {
	for _, c := range Commands {
		if c.Name == name {
			return c.Arg, true
		}
	}
	return "", false
}

func names() string {
	list := make([]string, len(Commands))
	for i, c := range Commands {
		list[i] = c.Name
	}
	return strings.Join(list, ", ")
}

func quote(s string) string { return `"` + s + `"` }
