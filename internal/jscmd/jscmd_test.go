package jscmd

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []Command // Text is filled from the list when empty
	}{
		{"", nil},
		{" ; ;", nil},
		{"toggle", []Command{{Name: "toggle"}}},
		{"toggle:#menu", []Command{{Name: "toggle", Selector: "#menu"}}},
		{"show:#menu li:first-child", []Command{{Name: "show", Selector: "#menu li:first-child"}}},
		{"add-class(open):#menu; focus:#q", []Command{
			{Text: "add-class(open):#menu", Name: "add-class", Arg: "open", Selector: "#menu"},
			{Text: "focus:#q", Name: "focus", Selector: "#q"},
		}},
		{"toggle-class( a  b ) : .x", []Command{{Name: "toggle-class", Arg: "a  b", Selector: ".x"}}},
		{"toggle-attribute(disabled):#save", []Command{{Name: "toggle-attribute", Arg: "disabled", Selector: "#save"}}},
		{"dispatch(chart:refresh):#chart", []Command{{Name: "dispatch", Arg: "chart:refresh", Selector: "#chart"}}},
		{"set-attribute(aria-expanded=true):#b", []Command{{Name: "set-attribute", Arg: "aria-expanded=true", Selector: "#b"}}},
		{"show():li:not(.x)", []Command{{Name: "show", Selector: "li:not(.x)"}}},
		{"toggle:", []Command{{Name: "toggle"}}},
		// Problems.
		{"toggel:#menu", []Command{{Name: "toggel", Selector: "#menu", Problem: "names no command"}}},
		{"toggle #menu", []Command{{Problem: "is not name"}}},
		{"add-class:#m", []Command{{Name: "add-class", Selector: "#m", Problem: "needs an argument: add-class(classes)"}}},
		{"add-class( ):#m", []Command{{Name: "add-class", Selector: "#m", Problem: "needs an argument"}}},
		{"show(x):#m", []Command{{Name: "show", Arg: "x", Selector: "#m", Problem: "show takes no argument"}}},
		{"dispatch(a)b):#m", []Command{{Problem: "is not name"}}},
		{"set-attribute(onclick=x):#m", []Command{{Name: "set-attribute", Arg: "onclick=x", Selector: "#m", Problem: "aria-* and data-* attributes only"}}},
		{"set-attribute(data-a b=x):#m", []Command{{Name: "set-attribute", Arg: "data-a b=x", Selector: "#m", Problem: "is not an attribute name"}}},
		{"toggle-attribute(a/b)", []Command{{Name: "toggle-attribute", Arg: "a/b", Problem: "is not an attribute name"}}},
		{"constructor:#x", []Command{{Name: "constructor", Selector: "#x", Problem: "names no command"}}},
	} {
		got := Parse(tc.list)
		if len(got) != len(tc.want) {
			t.Errorf("Parse(%q) = %+v, want %d commands", tc.list, got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			g := got[i]
			if w.Text == "" {
				w.Text = strings.TrimSpace(tc.list)
			}
			problem := g.Problem
			if w.Problem != "" && strings.Contains(g.Problem, w.Problem) {
				problem = w.Problem
			}
			if g.Text != w.Text || g.Name != w.Name || g.Arg != w.Arg || g.Selector != w.Selector || problem != w.Problem {
				t.Errorf("Parse(%q)[%d] = %+v, want %+v", tc.list, i, g, w)
			}
		}
	}
}

func TestArguments(t *testing.T) {
	c := Parse("set-attribute(data-state=a=b):#x")[0]
	if AttrName(c) != "data-state" || AttrValue(c) != "a=b" {
		t.Errorf("set-attribute: %q = %q", AttrName(c), AttrValue(c))
	}
	c = Parse("set-attribute(aria-hidden):#x")[0]
	if c.Problem != "" || AttrName(c) != "aria-hidden" || AttrValue(c) != "" {
		t.Errorf("set-attribute without a value: %+v %q %q", c, AttrName(c), AttrValue(c))
	}
	c = Parse("toggle-attribute(disabled)")[0]
	if AttrName(c) != "disabled" {
		t.Errorf("toggle-attribute: %q", AttrName(c))
	}
	if got := Classes(Parse("add-class( a  b c )")[0]); strings.Join(got, ",") != "a,b,c" {
		t.Errorf("classes %q", got)
	}
}
