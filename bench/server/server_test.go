package main

import (
	"bytes"
	"testing"
)

// BenchmarkTemplate renders the click handler's template alone, the way
// both apps do per event: what html/template itself costs of their
// allocations per event (docs/PERFORMANCE.md).
//
//	go test -run '^$' -bench Template -benchmem ./bench/server
func BenchmarkTemplate(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := item.ExecuteTemplate(&buf, "item.html", itemData{ID: "7", Name: "Ada", Count: 3}); err != nil {
			b.Fatal(err)
		}
	}
}
