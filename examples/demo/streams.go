package main

// The /streams page: a list of 10,000 rows kept by the page alone. The
// server keeps nothing: each row carries its own state (its count and its
// saved note, in data-* attributes and its input), every event sends it
// back, and the answer is a stream frame that inserts, updates in place,
// deletes or trims rows by DOM id (liveview.Stream).

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/echo-liveview/liveview"
)

const (
	rowsTarget = "#rows"
	batchRows  = 500 // rows per stream frame
	keepRows   = 100 // rows "Keep last 100" keeps
)

// addRows is how many rows "Add 10,000 rows" sends. TestStreams lowers it:
// liveviewtest parses every row as a browser would, ten times slower
// under the race detector; e2e's TestStreamsDemo adds the 10,000 in
// Chromium.
var addRows = 10_000

// row is what stream_row.html shows.
type row struct {
	N     int
	Label string
	Count int
	Note  string
	Saved string // when the note was saved, "" before
}

// newRow is row n as first inserted.
func newRow(n int) row { return row{N: n, Label: rowLabel(n)} }

var (
	adjectives = []string{"amber", "brisk", "calm", "dusky", "eager", "fuzzy", "gentle", "hazel", "ivory", "jolly", "keen", "lucid", "mellow", "nimble", "olive", "plucky", "quiet", "rosy", "sunny", "tidy"}
	nouns      = []string{"falcon", "badger", "cedar", "dune", "ember", "fjord", "grove", "heron", "iris", "juniper", "kestrel", "lagoon", "maple", "nectar", "otter", "pebble", "quartz", "raven", "spruce", "tulip", "umber", "violet", "willow"}
)

// rowLabel names row n, the same name every time.
func rowLabel(n int) string {
	return adjectives[n%len(adjectives)] + " " + nouns[(n/len(adjectives))%len(nouns)]
}

// thousands writes n >= 0 with commas: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// rowID is row n's DOM id, the stream item's id.
func rowID(n int) string { return "row-" + strconv.Itoa(n) }

// positive parses s as a number >= 1, else returns def.
func positive(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n >= 1 {
		return n
	}
	return def
}

func init() {
	// Appends 10,000 rows in frames of 500, then tells the page the next
	// row number (its hidden "next" field: the server does not keep it).
	liveview.Handle("stream_add", func(c *liveview.Context) error {
		next := positive(c.FormValue("next"), 1)
		start := time.Now()
		for first := next; first < next+addRows; first += batchRows {
			items := make([]liveview.StreamItem, 0, batchRows)
			for n := first; n < first+batchRows; n++ {
				items = append(items, liveview.StreamItem{ID: rowID(n), Content: liveview.Template("stream_row.html", newRow(n))})
			}
			if err := c.SendStream(liveview.Stream{Target: rowsTarget, Items: items}); err != nil {
				return err
			}
		}
		return errors.Join(
			c.Render("#next", "stream_next.html", next+addRows),
			c.HTML("#status", fmt.Sprintf("Rows %s to %s: %d frames of %d, rendered and sent in %d ms.",
				thousands(next), thousands(next+addRows-1), addRows/batchRows, batchRows, time.Since(start).Milliseconds())),
		)
	})
	liveview.Handle("stream_prepend", func(c *liveview.Context) error {
		next := positive(c.FormValue("next"), 1)
		return errors.Join(
			c.StreamInsert(rowsTarget, rowID(next), "stream_row.html", newRow(next), liveview.StreamAtStart()),
			c.Render("#next", "stream_next.html", next+1),
			c.HTML("#status", fmt.Sprintf("Row %s went to the top.", thousands(next))),
		)
	})
	// The row's count and note come with the event; the row is updated in
	// place (the same id), wherever it is in the list.
	liveview.Handle("stream_bump", func(c *liveview.Context) error {
		n := positive(c.Data("n"), 1)
		r := row{N: n, Label: rowLabel(n), Count: positive(c.Data("count"), 0) + 1, Note: c.Data("note")}
		return c.StreamInsert(rowsTarget, rowID(n), "stream_row.html", r)
	})
	liveview.Handle("stream_note", func(c *liveview.Context) error {
		n := positive(c.Data("n"), 1)
		r := row{N: n, Label: rowLabel(n), Count: positive(c.Data("count"), 0), Note: c.FormValue("note"), Saved: "saved " + time.Now().Format("15:04:05")}
		return c.StreamInsert(rowsTarget, rowID(n), "stream_row.html", r)
	})
	liveview.Handle("stream_delete", func(c *liveview.Context) error {
		return c.StreamDelete(rowsTarget, rowID(positive(c.Data("n"), 1)))
	})
	liveview.Handle("stream_keep", func(c *liveview.Context) error {
		return errors.Join(
			c.SendStream(liveview.Stream{Target: rowsTarget, Limit: keepRows}),
			c.HTML("#status", fmt.Sprintf("Kept the last %d rows.", keepRows)),
		)
	})
	liveview.Handle("stream_clear", func(c *liveview.Context) error {
		return errors.Join(
			c.SendStream(liveview.Stream{Target: rowsTarget, Reset: true}),
			c.HTML("#status", "Cleared."),
		)
	})
}
