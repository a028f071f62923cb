package pubsub

import (
	"testing"
)

// TestMemoryBookkeeping checks that topics are forgotten with their last
// subscriber and that Close forgets them all.
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
	if m.topics != nil {
		t.Errorf("topics after Close: %v", m.topics)
	}
}
