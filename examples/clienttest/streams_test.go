package main

import (
	"strings"
	"testing"

	"github.com/echo-liveview/liveview/liveviewtest"
)

// TestStreamsPage: each button of /p/streams' list, through liveviewtest
// (e2e's TestStreams does the same in Chromium): the list's ids after it.
func TestStreamsPage(t *testing.T) {
	e, hubs := newApp()
	t.Cleanup(func() {
		for _, h := range hubs {
			_ = h.Close()
		}
	})
	page := liveviewtest.New(t, e).Open("/p/streams")
	ids := func() string { return strings.ReplaceAll(strings.Join(page.IDs("#s-list"), " "), "s-list-", "") }
	for _, step := range []struct{ op, want string }{
		{"ends", "x a b c y"},
		{"around", "x a p b q c y m"},
		{"update", "x a p b q c y m"},
		{"delete", "x a p b c y m"},
		{"limit", "c y m z"},
		{"limit-start", "w c"},
		{"reset", "r1 r2"},
		{"missing", "r1 r2"},
	} {
		page.Click("#s-list-" + step.op)
		if got := ids(); got != step.want {
			t.Errorf("after %s: %s, want %s", step.op, got, step.want)
		}
		if step.op == "update" {
			if got := page.Text("#s-list-b"); got != "B2 typed:" {
				t.Errorf("updated item reads %q", got)
			}
			page.Fill("#s-list-typed", "kept")
			if v, _ := page.Attr("#s-list-typed", "value"); v != "kept" || page.Text("#s-list-b span") != "typed: kept" {
				t.Errorf("typing into the updated item: %s", page.HTML("#s-list-b"))
			}
		}
	}
	if errs := page.Errors(); len(errs) != 0 {
		t.Errorf("error frames: %+v", errs)
	}
}
