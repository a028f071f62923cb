package pubsubtest

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Checks of delivery: what arrives, where, in which order. Each check
// function documents what it checks.

// checkPublishSubscribe: a subscriber receives each message once, in order.
func checkPublishSubscribe(e *env) {
	topic := e.topic("t")
	r := NewRecorder()
	e.subscribe(topic, r.Handle)
	e.publish(topic, "hello")
	e.publish(topic, "world")
	e.publish(topic, "end")
	expect(e.t, "received", r.WaitFor(e.t, "end"), []string{"hello", "world", "end"})
}

// checkSubscribeActiveOnReturn: a Publish right after Subscribe returns is
// delivered, on fresh topics, without any wait in between.
func checkSubscribeActiveOnReturn(e *env) {
	const n = 50
	rs := make([]*Recorder, n)
	for i := range rs {
		rs[i] = NewRecorder()
		topic := e.topic(strconv.Itoa(i))
		e.subscribe(topic, rs[i].Handle)
		e.publish(topic, "first")
	}
	for i, r := range rs {
		expect(e.t, fmt.Sprintf("topic %d", i), r.WaitFor(e.t, "first"), []string{"first"})
	}
}

// checkPayloadIsCopied: the publisher may reuse its slice once Publish
// returns (under -race, a broker that reads it later is also a data race).
func checkPayloadIsCopied(e *env) {
	topic := e.topic("t")
	r := NewRecorder()
	e.subscribe(topic, r.Handle)
	buf := []byte("original")
	if err := e.b.Publish(e.ctx, topic, buf); err != nil {
		e.t.Fatalf("Publish: %v", err)
	}
	copy(buf, "XXXXXXXX")
	e.publish(topic, "end")
	expect(e.t, "received", r.WaitFor(e.t, "end"), []string{"original", "end"})
}

// checkPayloads: payloads are opaque bytes of any length, and a handler may
// keep the slice it was given (the broker never reuses it).
func checkPayloads(e *env) {
	topic := e.topic("t")
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i*7 ^ i>>8)
	}
	payloads := [][]byte{nil, {}, {0}, all, []byte("\xff\xfe not UTF-8"), []byte("ünïcödé"), big}

	var mu sync.Mutex
	var kept [][]byte // slices as given to the handler, not copied
	r := NewRecorder()
	e.subscribe(topic, func(p []byte) {
		mu.Lock()
		kept = append(kept, p)
		mu.Unlock()
		r.Handle(p)
	})
	for _, p := range payloads {
		if err := e.b.Publish(e.ctx, topic, p); err != nil {
			e.t.Fatalf("Publish(%d bytes): %v", len(p), err)
		}
	}
	for i := range 100 {
		e.publish(topic, "filler-"+strconv.Itoa(i))
	}
	e.publish(topic, "end")
	r.WaitFor(e.t, "end")

	mu.Lock()
	defer mu.Unlock()
	if len(kept) != len(payloads)+101 {
		e.t.Fatalf("received %d messages, want %d", len(kept), len(payloads)+101)
	}
	for i, p := range payloads {
		if !bytes.Equal(kept[i], p) {
			e.t.Errorf("payload %d (%d bytes) arrived or was kept as %d different bytes (%.40q)", i, len(p), len(kept[i]), kept[i])
		}
	}
}

// checkPublishWithoutSubscribers: such a Publish succeeds, and the message
// is not kept for a later subscriber.
func checkPublishWithoutSubscribers(e *env) {
	topic := e.topic("t")
	e.publish(topic, "nobody")
	r := NewRecorder()
	sub := e.subscribe(topic, r.Handle)
	e.publish(topic, "end")
	expect(e.t, "received", r.WaitFor(e.t, "end"), []string{"end"})
	e.unsubscribe(sub)
	e.publish(topic, "nobody again")
}

// checkOrder: messages from one goroutine reach every subscriber in order.
func checkOrder(e *env) {
	const n = 1000
	topic := e.topic("t")
	want := make([]string, n)
	for i := range want {
		want[i] = strconv.Itoa(i)
	}
	rs := []*Recorder{NewRecorder(), NewRecorder(), NewRecorder()}
	for _, r := range rs {
		e.subscribe(topic, r.Handle)
	}
	for _, m := range want {
		e.publish(topic, m)
	}
	e.publish(topic, "end")
	want = append(want, "end")
	for i, r := range rs {
		expect(e.t, fmt.Sprintf("subscriber %d", i), r.WaitFor(e.t, "end"), want)
	}
}

// checkFanOut: every one of many subscribers receives every message.
func checkFanOut(e *env) {
	const subscribers, n = 100, 10
	topic := e.topic("t")
	rs := make([]*Recorder, subscribers)
	for i := range rs {
		rs[i] = NewRecorder()
		e.subscribe(topic, rs[i].Handle)
	}
	var want []string
	for i := range n {
		want = append(want, strconv.Itoa(i))
		e.publish(topic, want[i])
	}
	for i, r := range rs {
		expect(e.t, fmt.Sprintf("subscriber %d", i), r.WaitLen(e.t, n), want)
	}
}

// checkTopicsAreIsolated: topics match exactly, with no patterns, prefixes
// or case folding. A message leaking to another topic is not ordered with
// that topic's marker, so this check is likely, not certain, to catch it.
func checkTopicsAreIsolated(e *env) {
	names := []string{"room", "room.1", "room*", "room?", "room[1]", "ROOM", "room ", "roo", "rööm"}
	rs := make([]*Recorder, len(names))
	for i, name := range names {
		rs[i] = NewRecorder()
		e.subscribe(e.topic(name), rs[i].Handle)
	}
	for _, name := range names {
		e.publish(e.topic(name), name)
	}
	for _, name := range names {
		e.publish(e.topic(name), "end")
	}
	for i, name := range names {
		expect(e.t, fmt.Sprintf("topic %q", name), rs[i].WaitFor(e.t, "end"), []string{name, "end"})
	}
}

// checkHandlerCallsNotConcurrent: concurrent publishes never make one
// subscription's handler run concurrently, and each call happens before the
// next (the handler's plain counter would be a data race under -race).
func checkHandlerCallsNotConcurrent(e *env) {
	const publishers, perPublisher = 8, 200
	topic := e.topic("t")
	var inFlight, overlaps atomic.Int32
	count := 0 // not atomic on purpose
	done := make(chan struct{})
	e.subscribe(topic, func([]byte) {
		if inFlight.Add(1) != 1 {
			overlaps.Add(1)
		}
		runtime.Gosched() // give an overlapping call a chance to start
		count++
		if count == publishers*perPublisher {
			close(done)
		}
		inFlight.Add(-1)
	})
	var g group
	for range publishers {
		g.goErr(func() error {
			for range perPublisher {
				if err := e.b.Publish(e.ctx, topic, []byte("m")); err != nil {
					return fmt.Errorf("publish: %w", err)
				}
			}
			return nil
		})
	}
	g.wait(e.t, "publishers")
	receive(e.t, "every message", done)
	if n := overlaps.Load(); n > 0 {
		e.t.Errorf("handler calls of one subscription overlapped %d times", n)
	}
}

// checkConcurrentPublishers: with concurrent publishers and subscriptions
// coming and going on the topic, every subscriber sees each publisher's
// messages in that publisher's order, steady subscribers see all of them,
// once, and all in the same order.
func checkConcurrentPublishers(e *env) {
	const publishers, perPublisher, churners = 8, 200, 4
	topic := e.topic("t")
	steady := []*Recorder{NewRecorder(), NewRecorder()}
	for _, r := range steady {
		e.subscribe(topic, r.Handle)
	}

	// Churners subscribe and unsubscribe in a loop; their handlers check
	// per-publisher order in what they happen to receive.
	var f faults
	stop := make(chan struct{})
	var churns atomic.Int64
	var churn group
	for range churners {
		churn.goErr(func() error {
			for {
				select {
				case <-stop:
					return nil
				default:
				}
				last := make(map[int]int) // publisher -> last sequence number seen
				sub, err := e.b.Subscribe(e.ctx, topic, func(p []byte) {
					if string(p) == "end" {
						return // the steady subscribers' marker
					}
					pub, seq, ok := parseSeq(string(p))
					if !ok {
						f.addf("unexpected message %.40q", p)
						return
					}
					if prev, seen := last[pub]; seen && seq <= prev {
						f.addf("churning subscriber got p%d-%d after p%d-%d", pub, seq, pub, prev)
					}
					last[pub] = seq
				})
				if err != nil {
					return fmt.Errorf("subscribe: %w", err)
				}
				if err := sub.Unsubscribe(); err != nil {
					return fmt.Errorf("unsubscribe: %w", err)
				}
				churns.Add(1)
			}
		})
	}

	var pubs group
	for p := range publishers {
		pubs.goErr(func() error {
			for i := range perPublisher {
				if err := e.b.Publish(e.ctx, topic, fmt.Appendf(nil, "p%d-%d", p, i)); err != nil {
					return fmt.Errorf("publish: %w", err)
				}
			}
			return nil
		})
	}
	pubs.wait(e.t, "publishers")
	e.publish(topic, "end")
	var got [][]string
	for _, r := range steady {
		got = append(got, r.WaitFor(e.t, "end"))
	}
	close(stop)
	churn.wait(e.t, "churning subscribers")
	f.report(e.t)

	for i, msgs := range got {
		if len(msgs) != publishers*perPublisher+1 {
			e.t.Errorf("steady subscriber %d received %d messages, want %d", i, len(msgs), publishers*perPublisher+1)
		}
		next := make([]int, publishers)
		for _, m := range msgs[:len(msgs)-1] {
			pub, seq, ok := parseSeq(m)
			if !ok || pub >= publishers || seq != next[pub] {
				e.t.Errorf("steady subscriber %d: got %.40q, want p%d-%d", i, m, pub, next[min(pub, publishers-1)])
				break
			}
			next[pub]++
		}
	}
	expect(e.t, "second steady subscriber against the first", got[1], got[0])
	if churns.Load() == 0 {
		e.t.Log("no subscription churned while publishing")
	}
}

// parseSeq parses "p<publisher>-<sequence>".
func parseSeq(m string) (pub, seq int, ok bool) {
	a, b, ok := strings.Cut(strings.TrimPrefix(m, "p"), "-")
	if !ok {
		return 0, 0, false
	}
	pub, err1 := strconv.Atoi(a)
	seq, err2 := strconv.Atoi(b)
	return pub, seq, err1 == nil && err2 == nil && pub >= 0
}
