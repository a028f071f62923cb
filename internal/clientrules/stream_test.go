package clientrules

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestApplyStream: each case starts from the same list and applies its
// frames in order; the list's children are compared as ids (text nodes
// left out), the first item's HTML where it matters.
func TestApplyStream(t *testing.T) {
	const list = `<ul id="l"><li id="a">A</li><li id="b">B</li><li id="c">C</li></ul>`
	for _, tc := range []struct {
		name   string
		frames []string
		want   string // ids of #l's element children, or the HTML of #l with "<"
		notes  string // what the client logs, joined with "|"
	}{
		{"end by default", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>"},{"id":"y","html":"<li>Y</li>","at":"end"}]}}`}, "a b c x y", ""},
		{"start reverses a run", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>","at":"start"},{"id":"y","html":"<li>Y</li>","at":"start"}]}}`}, "y x a b c", ""},
		{"ends alternate", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>","at":"start"},{"id":"y","html":"<li>Y</li>"},{"id":"z","html":"<li>Z</li>","at":"start"},{"id":"w","html":"<li>W</li>"}]}}`}, "z x a b c y w", ""},
		{"before and after", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>","before":"b"},{"id":"y","html":"<li>Y</li>","after":"b"},{"id":"z","html":"<li>Z</li>","after":"b"}]}}`}, "a x b z y c", ""},
		{"reference inserted in the same frame", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>","at":"start"},{"id":"y","html":"<li>Y</li>","after":"x"},{"id":"z","html":"<li>Z</li>","before":"x"}]}}`}, "z x y a b c", ""},
		{"missing reference: at, else end", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>","before":"nope"},{"id":"y","html":"<li>Y</li>","after":"nope","at":"start"}]}}`}, "y a b c x", ""},
		{"update in place", []string{`{"stream":{"target":"#l","items":[{"id":"b","html":"<li class=\"new\">B2</li>","at":"start"}]}}`}, `<li id="a">A</li><li class="new" id="b">B2</li><li id="c">C</li>`, ""},
		{"update of an item inserted in the same frame", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>"},{"id":"x","html":"<li>X2</li>","at":"start"}]}}`}, `<li id="a">A</li><li id="b">B</li><li id="c">C</li><li id="x">X2</li>`, ""},
		{"delete", []string{`{"stream":{"target":"#l","items":[{"id":"b","delete":true},{"id":"nope","delete":true}]}}`}, "a c", ""},
		{"delete of a pending insert", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>"},{"id":"x","delete":true,"html":"<li>ignored</li>"}]}}`}, "a b c", ""},
		{"id set on the item", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li id=\"other\">X</li><li id=\"dropped\">Y</li>"}]}}`}, "a b c x", ""},
		{"reset", []string{`{"stream":{"target":"#l","reset":true,"items":[{"id":"x","html":"<li>X</li>"}]}}`}, "x", ""},
		{"reset alone", []string{`{"stream":{"target":"#l","reset":true}}`}, "", ""},
		{"limit after an insert at the end trims the start", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>"}],"limit":2}}`}, "c x", ""},
		{"limit after an insert at the start trims the end", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>","at":"start"}],"limit":2}}`}, "x a", ""},
		{"limit after before/after trims the start", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"<li>X</li>","at":"start"},{"id":"y","html":"<li>Y</li>","after":"a"}],"limit":3}}`}, "y b c", ""},
		{"limit alone keeps the last", []string{`{"stream":{"target":"#l","limit":1}}`}, "c", ""},
		{"limit 0 and negative do nothing", []string{`{"stream":{"target":"#l","limit":0}}`, `{"stream":{"target":"#l","limit":-1}}`}, "a b c", ""},
		{"ids must be non-empty strings", []string{`{"stream":{"target":"#l","items":[{"html":"<li>X</li>"},{"id":"","html":"<li>X</li>"},{"id":5,"html":"<li>X</li>"},"x",null]}}`}, "a b c", ""},
		{"no element", []string{`{"stream":{"target":"#l","items":[{"id":"x","html":"just text"},{"id":"y"}]}}`}, "a b c", "LiveView: stream item x has no element|LiveView: stream item y has no element"},
		{"missing target", []string{`{"stream":{"target":"#nope","items":[{"id":"x","html":"<li>X</li>"}]}}`, `{"stream":{"items":[]}}`}, "a b c", "LiveView: target #nope not found|LiveView: target undefined not found"},
		{"falsy stream ignored", []string{`{"stream":null}`, `{"stream":false}`, `{"stream":0}`}, "a b c", ""},
		{"items not a list", []string{`{"stream":{"target":"#l","items":{"id":"x","html":"<li>X</li>"}}}`}, "a b c", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, doc := page(t, list)
			var notes []string
			for _, f := range tc.frames {
				notes = append(notes, c.ApplyFrame([]byte(f)).Outcome.Notes...)
			}
			l := find(t, doc, "#l")
			var got string
			if strings.HasPrefix(tc.want, "<") {
				var b strings.Builder
				for n := l.FirstChild; n != nil; n = n.NextSibling {
					_ = html.Render(&b, n)
				}
				got = b.String()
			} else {
				var ids []string
				for n := l.FirstChild; n != nil; n = n.NextSibling {
					if n.Type == html.ElementNode {
						ids = append(ids, attrOr(n, "id", "?"))
					}
				}
				got = strings.Join(ids, " ")
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if n := strings.Join(notes, "|"); n != tc.notes {
				t.Errorf("notes %q, want %q", n, tc.notes)
			}
		})
	}
}

// TestStreamKeepsTypedValue: an update in place of the item holding the
// focused field keeps what was typed and the focus; the other fields take
// the new HTML; inserted items are scanned (inits of page controllers).
func TestStreamKeepsTypedValue(t *testing.T) {
	c, doc := page(t, `<table><tbody id="rows"><tr id="r1"><td><input id="n1" name="note" value="old" data-liveview-function="f" data-action="input->page#run"></td><td>0</td></tr></tbody></table>`)
	c.Connect(true)
	if _, err := c.Fill(find(t, doc, "#n1"), "typed"); err != nil {
		t.Fatal(err)
	}
	r := c.ApplyFrame([]byte(`{"stream":{"target":"#rows","items":[{"id":"r1","html":"<tr><td><input id=\"n1\" name=\"note\" value=\"server\"></td><td>1</td></tr>"},{"id":"r2","html":"<tr><td data-controller=\"page\"><i data-liveview-init=\"late\"></i></td></tr>"}]}}`))
	if !r.Streamed {
		t.Error("Streamed is false")
	}
	var b strings.Builder
	_ = html.Render(&b, find(t, doc, "#rows"))
	if want := `<tbody id="rows"><tr id="r1"><td><input id="n1" name="note" value="typed"/></td><td>1</td></tr><tr id="r2"><td data-controller="page"><i data-liveview-init="late" aria-busy="true" class="liveview-loading"></i></td></tr></tbody>`; b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
	if a := c.Active(); a == nil || attrOr(a, "id", "") != "n1" || documentOf(a) != doc {
		t.Errorf("focus lost: %v", a)
	}
	if got := sent(r.Outcome); got != "late:" {
		t.Errorf("inserted controller's init: %q", got)
	}
	// Deleting the row with the focused field moves the focus to <body>.
	c.ApplyFrame([]byte(`{"stream":{"target":"#rows","items":[{"id":"r1","delete":true}]}}`))
	if c.Active() != nil {
		t.Error("focus stays on a removed field")
	}
}

// BenchmarkApplyStream applies what the demo's "Add 10,000 rows" sends:
// 20 frames of 500 table rows, each with an input and two buttons.
//
//	go test -run '^$' -bench ApplyStream ./internal/clientrules
func BenchmarkApplyStream(b *testing.B) {
	const row = `<tr><td class="num">%d</td><td>brisk umber</td><td><input name="note" value="" placeholder="Add a note" data-liveview-function="stream_note" data-action="input->page#run" data-liveview-debounce="300" data-n="%[1]d" data-count="0"></td><td class="count"><button class="secondary" data-liveview-function="stream_bump" data-action="page#run" data-n="%[1]d" data-count="0">+1</button><b>0</b></td><td><button data-liveview-function="stream_delete" data-action="page#run" data-n="%[1]d">×</button></td></tr>`
	var frames [][]byte
	for f := range 20 {
		items := make([]map[string]string, 500)
		for i := range items {
			n := f*500 + i
			items[i] = map[string]string{"id": fmt.Sprint("row-", n), "html": fmt.Sprintf(row, n)}
		}
		frame, err := json.Marshal(map[string]any{"stream": map[string]any{"target": "#rows", "items": items}})
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, frame)
	}
	for b.Loop() {
		c, _ := page(b, `<table><tbody id="rows"></tbody></table>`)
		for _, f := range frames {
			c.ApplyFrame(f)
		}
	}
}
