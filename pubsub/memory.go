package pubsub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

var (
	errEmptyTopic = fmt.Errorf("%w: empty name", ErrInvalidTopic)
	errNilHandler = errors.New("liveview: subscribe: nil handler")
)

// maxIdleQueue is the capacity above which a delivery goroutine drops its
// spare queue buffer instead of reusing it, so that the memory taken by a
// burst is given back once the burst has been delivered.
const maxIdleQueue = 1024

// Memory is a [Broker] that delivers messages inside one process. It keeps
// the whole [Broker] contract and needs no configuration. It never loses a
// message: each one reaches every subscription that was active when it was
// published, unless that subscription ends first (Unsubscribe and Close
// discard what is still queued for it).
//
// Close, like Unsubscribe, only marks subscriptions stopped and never waits
// for a handler: a delivery goroutine finishes the handler call it is in, if
// any, starts no other and exits.
//
// Each subscription has its own delivery goroutine fed by an unbounded
// first-in first-out queue. Publish copies the payload once, appends it to
// the queue of every subscriber of the topic while holding the topic's lock
// (which is what gives every subscriber the same order), and returns: it
// never waits for a handler and never drops a message. A handler therefore
// delays only its own subscription.
//
// The price is memory: a handler that cannot keep up makes its queue, and
// the payloads in it, grow without bound. That is the right trade for an
// in-process broker. The other choices are to block the publisher, so that
// one slow handler stalls every publisher of the topic (and a handler that
// publishes to its own full queue deadlocks), or to drop messages, which
// breaks the no-loss, in-order delivery that callers inside one process
// rely on. Back pressure belongs where the policy is known: the liveview Hub's
// handlers only hand fragments to bounded per-connection send queues, which
// disconnect a client that falls behind, so its broker queues stay short.
// A queue that keeps growing is a bug in a handler, and shows up in a heap
// profile under the delivery goroutine.
//
// The zero Memory is an open broker ready for use; [NewMemory] returns one
// too. A Memory must not be copied after first use.
type Memory struct {
	// mu guards the fields below. Publish takes it for reading only.
	mu     sync.RWMutex
	topics map[string]*memTopic // topics with at least one subscriber
	closed bool

	dedupeOnce sync.Once
	dedupe     *Dedupe // ClaimEvent, CompleteEvent: made on first use
}

// memTopic holds the subscribers of one topic. Its lock orders publishes:
// every message is appended to all subscriber queues before the next one.
type memTopic struct {
	mu   sync.Mutex
	subs []*memSub
}

// memSub is a subscription of a Memory broker and owns one delivery
// goroutine (run).
type memSub struct {
	m       *Memory
	topic   string
	handler func([]byte)

	stopped atomic.Bool   // set once by Unsubscribe or Close; checked before every call
	done    chan struct{} // closed with stopped, wakes an idle run to exit
	wake    chan struct{} // capacity 1; signalled when queue becomes non-empty

	mu    sync.Mutex
	queue [][]byte // payloads not yet taken by run
}

// NewMemory returns an open in-process broker. It is equivalent to
// new(Memory).
func NewMemory() *Memory { return new(Memory) }

var _ Broker = (*Memory)(nil)

// Publish sends payload to every subscriber of topic in this process. It
// copies payload once, queues it for every subscriber and returns without
// waiting for any handler; it blocks only briefly on the topic's lock.
// See [Broker.Publish] for the errors.
func (m *Memory) Publish(ctx context.Context, topic string, payload []byte) error {
	if topic == "" {
		return errEmptyTopic
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("liveview: publish to %q: %w", topic, err)
	}
	m.mu.RLock()
	closed, t := m.closed, m.topics[topic]
	m.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if t == nil {
		return nil // no subscribers
	}
	p := bytes.Clone(payload) // shared, read-only, by every subscriber
	t.mu.Lock()
	for _, s := range t.subs {
		s.push(p)
	}
	t.mu.Unlock()
	return nil
}

// Subscribe registers handler for topic and starts the subscription's
// delivery goroutine. The subscription is active when Subscribe returns.
// See [Broker.Subscribe] for the errors.
func (m *Memory) Subscribe(ctx context.Context, topic string, handler func(payload []byte)) (Subscription, error) {
	if topic == "" {
		return nil, errEmptyTopic
	}
	if handler == nil {
		return nil, errNilHandler
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("liveview: subscribe to %q: %w", topic, err)
	}
	s := &memSub{
		m:       m,
		topic:   topic,
		handler: handler,
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if m.topics == nil {
		m.topics = make(map[string]*memTopic)
	}
	t := m.topics[topic]
	if t == nil {
		t = new(memTopic)
		m.topics[topic] = t
	}
	t.mu.Lock()
	t.subs = append(t.subs, s)
	t.mu.Unlock()
	go s.run()
	return s, nil
}

// Close unsubscribes everything and stops the broker, as [Broker.Close]
// describes. It does not wait for handlers: each delivery goroutine exits
// once the handler call it is in, if any, returns. It always returns nil.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	for _, t := range m.topics {
		t.mu.Lock()
		for _, s := range t.subs {
			s.stop()
		}
		t.subs = nil
		t.mu.Unlock()
	}
	m.topics = nil
	return nil
}

// unsubscribe removes s from its topic, and the topic from m if it was the
// last subscriber.
func (m *Memory) unsubscribe(s *memSub) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.topics[s.topic]
	if t == nil {
		return // closed
	}
	t.mu.Lock()
	if i := slices.Index(t.subs, s); i >= 0 {
		t.subs = slices.Delete(t.subs, i, i+1)
	}
	empty := len(t.subs) == 0
	t.mu.Unlock()
	if empty {
		delete(m.topics, s.topic)
	}
}

// Unsubscribe stops delivery to s, as [Subscription.Unsubscribe] describes:
// messages still queued for s are discarded. It always returns nil.
func (s *memSub) Unsubscribe() error {
	if s.stop() {
		s.m.unsubscribe(s)
	}
	return nil
}

// stop marks s stopped and wakes its goroutine. It reports whether this call
// did it.
func (s *memSub) stop() bool {
	if !s.stopped.CompareAndSwap(false, true) {
		return false
	}
	close(s.done)
	return true
}

// push appends p to s's queue. The caller holds the topic's lock.
func (s *memSub) push(p []byte) {
	s.mu.Lock()
	s.queue = append(s.queue, p)
	n := len(s.queue)
	s.mu.Unlock()
	if n == 1 { // run may be waiting for it
		select {
		case s.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// run is s's delivery goroutine: it takes the whole queue at once, calls the
// handler for each payload in order, and exits once s is stopped.
func (s *memSub) run() {
	var batch [][]byte // spare buffer, swapped with s.queue
	for {
		s.mu.Lock()
		for len(s.queue) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
			case <-s.done:
				return
			}
			s.mu.Lock()
		}
		batch, s.queue = s.queue, batch[:0]
		s.mu.Unlock()
		for i, p := range batch {
			if s.stopped.Load() {
				return
			}
			batch[i] = nil // let the payload go once every subscriber is done
			s.handler(p)
		}
		if cap(batch) > maxIdleQueue {
			batch = nil
		}
	}
}
