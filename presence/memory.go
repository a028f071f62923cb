package presence

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/echo-liveview/liveview/presence/internal/queue"
)

// Memory is a [Tracker] for one process: it keeps the whole contract, with
// one instance, so the cross-instance guarantees hold trivially (List is
// exact at once, nothing can die without the process). Its calls never fail
// but for argument errors, a done context and ErrClosed.
//
// Each Watch has its own delivery goroutine fed by an unbounded queue
// (as [github.com/echo-liveview/liveview/pubsub.Memory]): a slow fn delays
// only its own Watch, and its queue grows meanwhile.
//
// Create it with [NewMemory]; a Memory must not be copied.
type Memory struct {
	limits Limits

	mu     sync.Mutex
	topics map[string]*memTopic
	closed bool
}

type memTopic struct {
	entries map[string]Entry
	watches map[*memWatch]struct{}
}

type memWatch struct {
	m     *Memory
	topic string
	q     *queue.Queue[Diff]
}

var _ Tracker = (*Memory)(nil)

// NewMemory returns an empty in-process tracker with limits l (the zero
// Limits means the defaults).
func NewMemory(l Limits) *Memory {
	return &Memory{limits: l.WithDefaults(), topics: make(map[string]*memTopic)}
}

func (m *Memory) topicLocked(topic string) *memTopic {
	t := m.topics[topic]
	if t == nil {
		t = &memTopic{entries: make(map[string]Entry), watches: make(map[*memWatch]struct{})}
		m.topics[topic] = t
	}
	return t
}

// dropLocked forgets topic if it has neither entries nor watches.
func (m *Memory) dropLocked(topic string) {
	if t := m.topics[topic]; t != nil && len(t.entries) == 0 && len(t.watches) == 0 {
		delete(m.topics, topic)
	}
}

func (t *memTopic) publish(d Diff) {
	for w := range t.watches {
		w.q.Push(d)
	}
}

// Track implements [Tracker.Track].
func (m *Memory) Track(ctx context.Context, topic string, e Entry) error {
	if err := m.limits.Check(topic, e); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("liveview: presence: track: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("liveview: presence: track: %w", ErrClosed)
	}
	t := m.topicLocked(topic)
	old, had := t.entries[e.Ref]
	if had && Equal(old, e) {
		return nil
	}
	if !had && len(t.entries) >= m.limits.MaxEntries {
		m.dropLocked(topic)
		return fmt.Errorf("%w: %d entries in topic %.40q (at most %d)", ErrTooLarge, len(t.entries), topic, m.limits.MaxEntries)
	}
	t.entries[e.Ref] = e
	d := Diff{Topic: topic, Joins: []Entry{e}}
	if had {
		d.Leaves = []Entry{old}
	}
	t.publish(d)
	return nil
}

// Untrack implements [Tracker.Untrack].
func (m *Memory) Untrack(ctx context.Context, topic, ref string) error {
	if err := CheckName("topic", topic); err != nil {
		return err
	}
	if err := CheckName("ref", ref); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("liveview: presence: untrack: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("liveview: presence: untrack: %w", ErrClosed)
	}
	t := m.topics[topic]
	if t == nil {
		return nil
	}
	old, had := t.entries[ref]
	if !had {
		return nil
	}
	delete(t.entries, ref)
	t.publish(Diff{Topic: topic, Leaves: []Entry{old}})
	m.dropLocked(topic)
	return nil
}

// List implements [Tracker.List].
func (m *Memory) List(ctx context.Context, topic string) ([]Entry, error) {
	if err := CheckName("topic", topic); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("liveview: presence: list: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("liveview: presence: list: %w", ErrClosed)
	}
	t := m.topics[topic]
	if t == nil {
		return nil, nil
	}
	out := slices.Collect(maps.Values(t.entries))
	Sort(out)
	return out, nil
}

// Watch implements [Tracker.Watch].
func (m *Memory) Watch(ctx context.Context, topic string, fn func(Diff)) (Watch, error) {
	if err := CheckName("topic", topic); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, fmt.Errorf("%w: nil watch function", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("liveview: presence: watch: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("liveview: presence: watch: %w", ErrClosed)
	}
	w := &memWatch{m: m, topic: topic, q: queue.Start(fn)}
	m.topicLocked(topic).watches[w] = struct{}{}
	return w, nil
}

// Stop implements [Watch.Stop].
func (w *memWatch) Stop() error {
	if !w.q.Stop() {
		return nil
	}
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	if t := w.m.topics[w.topic]; t != nil {
		delete(t.watches, w)
		w.m.dropLocked(w.topic)
	}
	return nil
}

// Close implements [Tracker.Close]: it forgets every entry and stops every
// Watch. It never fails.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	for _, t := range m.topics {
		for w := range t.watches {
			w.q.Stop()
		}
	}
	m.topics = nil
	return nil
}
