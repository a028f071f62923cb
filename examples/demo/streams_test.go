package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/echo-liveview/liveview"
)

// TestStreams: the /streams page, as a person uses it: 10,000 rows in
// frames of 500, one at the top, a row updated in place (its count, its
// note) where it stands, a row deleted, the list trimmed to its last 100,
// then cleared. The server keeps nothing: the next row number and each
// row's state come back with every event.
func TestStreams(t *testing.T) {
	defer func(n int) { addRows = n }(addRows)
	addRows = 1_000 // 2 frames of 500 (see addRows)
	page := startDemo(t).Open("/streams")
	const add = "button[data-liveview-function=stream_add]"

	page.Click(add)
	ids := page.IDs("#rows")
	if len(ids) != addRows || ids[0] != "row-1" || ids[addRows-1] != "row-1000" {
		t.Fatalf("after Add: %s", ends(ids))
	}
	if n := countStreamFrames(page.Frames()); n != addRows/batchRows {
		t.Errorf("Add sent %d stream frames, want %d", n, addRows/batchRows)
	}
	if got := page.Text("#row-42"); got != "42 "+rowLabel(42)+" +10 ×" {
		t.Errorf("row 42 reads %q", got)
	}
	if v, _ := page.Attr("#next input", "value"); v != "1001" {
		t.Errorf("next row number %q, want 1001", v)
	}

	page.Click("button[data-liveview-function=stream_prepend]")
	if ids = page.IDs("#rows"); len(ids) != addRows+1 || ids[0] != "row-1001" || ids[1] != "row-1" {
		t.Fatalf("after Prepend: %s", ends(ids))
	}

	// +1 and a note: the row is sent again and replaces itself in place.
	page.Click("#row-5 button[data-liveview-function=stream_bump]")
	page.Click("#row-5 button[data-liveview-function=stream_bump]")
	if got := page.Text("#row-5 .count b"); got != "2" {
		t.Errorf("row 5's count %q, want 2", got)
	}
	page.Fill("#row-7 input[name=note]", "call back")
	if !strings.HasPrefix(page.Text("#row-7 .saved"), "saved ") {
		t.Errorf("row 7 after typing: %s", page.HTML("#row-7"))
	}
	page.Click("#row-7 button[data-liveview-function=stream_bump]")
	if v, _ := page.Attr("#row-7 input", "value"); v != "call back" || page.Text("#row-7 .count b") != "1" {
		t.Errorf("row 7 after +1: note %q, %s", v, page.HTML("#row-7"))
	}
	if now := page.IDs("#rows"); !slices.Equal(now, ids) {
		t.Error("updating rows moved them")
	}

	page.Click("#row-3 button[data-liveview-function=stream_delete]")
	if page.Exists("#row-3") || page.Count("#rows > li") != addRows {
		t.Errorf("after deleting row 3: %d rows, row 3 there: %v", page.Count("#rows > li"), page.Exists("#row-3"))
	}

	page.Click("button[data-liveview-function=stream_keep]")
	if ids = page.IDs("#rows"); len(ids) != keepRows || ids[0] != "row-"+strconv.Itoa(addRows-keepRows+1) || ids[keepRows-1] != "row-1000" {
		t.Errorf("after Keep: %s", ends(ids))
	}

	page.Click("button[data-liveview-function=stream_clear]")
	if n := page.Count("#rows > *"); n != 0 {
		t.Errorf("after Clear: %d rows", n)
	}
	page.Click(add) // numbering goes on from the page's own counter
	if ids = page.IDs("#rows"); len(ids) != addRows || ids[0] != "row-1002" {
		t.Errorf("after Clear and Add: %s", ends(ids))
	}
	if errs := page.Errors(); len(errs) != 0 {
		t.Errorf("error frames %+v", errs)
	}
}

// ends describes a list of row ids by its length and its ends.
func ends(ids []string) string {
	if len(ids) < 4 {
		return fmt.Sprintf("%d rows %v", len(ids), ids)
	}
	return fmt.Sprintf("%d rows: %s %s ... %s", len(ids), ids[0], ids[1], ids[len(ids)-1])
}

func countStreamFrames(frames []liveview.Message) int {
	n := 0
	for _, f := range frames {
		if f.Stream != nil && len(f.Stream.Items) == batchRows {
			n++
		}
	}
	return n
}
