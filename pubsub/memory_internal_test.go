package pubsub

import (
	"testing"
)

func TestGoid(t *testing.T) {
	id := goid()
	if id == 0 {
		t.Fatal("goid() = 0: the stack trace header format changed")
	}
	if again := goid(); again != id {
		t.Errorf("goid() = %d, then %d on the same goroutine", id, again)
	}
	other := make(chan uint64)
	go func() { other <- goid() }()
	if o := <-other; o == id || o == 0 {
		t.Errorf("goid() = %d on another goroutine, %d on this one", o, id)
	}
}

// TestMemoryBookkeeping checks that topics are forgotten with their last
// subscriber and that Close leaves no goroutine on the books.
func TestMemoryBookkeeping(t *testing.T) {
	m := NewMemory()
	a, _ := m.Subscribe(t.Context(), "t", func([]byte) {})
	b, _ := m.Subscribe(t.Context(), "t", func([]byte) {})
	m.Subscribe(t.Context(), "u", func([]byte) {})
	a.Unsubscribe()
	b.Unsubscribe()
	b.Unsubscribe()
	m.mu.Lock()
	if _, ok := m.topics["t"]; ok || len(m.topics) != 1 {
		t.Errorf("topics after unsubscribing all of t: %v", m.topics)
	}
	m.mu.Unlock()
	m.Close()
	if m.live != 0 || m.closers != 0 || len(m.workers) != 0 || m.topics != nil {
		t.Errorf("after Close: live %d, closers %d, workers %v, topics %v", m.live, m.closers, m.workers, m.topics)
	}
}
