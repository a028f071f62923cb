// Package pubsubtest checks that an implementation of [pubsub.Broker] keeps
// the contract documented on that interface.
package pubsubtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echo-liveview/liveview/pubsub"
)

// timeout bounds every wait of the suite, so that a broker that deadlocks or
// loses a message fails the test instead of hanging it. It is generous
// because a network broker on a loaded CI machine can be slow.
const timeout = 10 * time.Second

// Run checks that the brokers returned by newBroker keep the contract
// documented on [pubsub.Broker]. Call it from a test of the implementation:
//
//	func TestBroker(t *testing.T) {
//		pubsubtest.Run(t, func(t *testing.T) pubsub.Broker {
//			return pubsub.NewMemory()
//		})
//	}
//
// Every check runs as a subtest of t, in sequence, with a fresh broker from
// newBroker; the subtest closes that broker with [testing.T.Cleanup], before
// any cleanup that newBroker registered on t (to stop a server, say). Test
// failures name the subtest and what was expected; to run one check, use
// go test -run 'TestBroker/Name'.
//
// Topics start with a random prefix chosen per call of Run, so brokers that
// share a server, even from concurrent test processes, do not see each
// other's messages.
//
// The suite assumes no faults: every message must arrive, within 10 seconds
// for each wait, so a broker that deadlocks fails instead of hanging.
//
// That a message is not delivered cannot be proved by waiting, and the suite
// does not sleep for it. Instead it publishes a marker after the message and
// waits until another subscription of the same topic has received the
// marker: as every subscriber of a topic sees one order, the message has by
// then reached every queue it was going to reach. Where it can, the check
// looks again after Close. This is exact for a broker that delivers from one
// ordered stream and very likely to catch a broker with a queue per
// subscription; it never fails a correct broker. Two checks pause briefly
// (at most 100 ms) to make a race they look for more likely or to give a
// handler call that must not start time to show; a pause can only weaken a
// check, never fail a correct broker.
//
// Run does not look for leaked goroutines; check that in the implementation's
// tests, for instance with go.uber.org/goleak after Close.
func Run(t *testing.T, newBroker func(t *testing.T) pubsub.Broker) {
	t.Helper()
	prefix := fmt.Sprintf("pubsubtest-%016x", rand.Uint64())
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			b := newBroker(t)
			if b == nil {
				t.Fatal("newBroker returned nil")
			}
			t.Cleanup(func() {
				if err := closeWithin(b); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			c.run(&env{t: t, b: b, ctx: t.Context(), prefix: prefix})
		})
	}
}

// checks lists the subtests of Run, in the order they run.
var checks = []struct {
	name string
	run  func(e *env)
}{
	{"PublishSubscribe", checkPublishSubscribe},
	{"SubscribeActiveOnReturn", checkSubscribeActiveOnReturn},
	{"PayloadIsCopied", checkPayloadIsCopied},
	{"Payloads", checkPayloads},
	{"PublishWithoutSubscribers", checkPublishWithoutSubscribers},
	{"Order", checkOrder},
	{"FanOut", checkFanOut},
	{"TopicsAreIsolated", checkTopicsAreIsolated},
	{"SubscribeTwice", checkSubscribeTwice},
	{"Unsubscribe", checkUnsubscribe},
	{"UnsubscribeFromHandler", checkUnsubscribeFromHandler},
	{"PublishFromHandler", checkPublishFromHandler},
	{"SubscribeFromHandler", checkSubscribeFromHandler},
	{"HandlerCallsNotConcurrent", checkHandlerCallsNotConcurrent},
	{"ConcurrentPublishers", checkConcurrentPublishers},
	{"InvalidArguments", checkInvalidArguments},
	{"CanceledContext", checkCanceledContext},
	{"Close", checkClose},
	{"CloseStopsHandlers", checkCloseStopsHandlers},
	{"CloseFromHandlers", checkCloseFromHandlers},
	{"ConcurrentClose", checkConcurrentClose},
}

// env is what every check gets: its test, its broker and helpers that fail
// the test on error. Its methods must be called from the test's goroutine.
type env struct {
	t      *testing.T
	b      pubsub.Broker
	ctx    context.Context
	prefix string
}

// topic returns a topic name unique to this call of Run and this subtest.
func (e *env) topic(name string) string {
	return e.prefix + "/" + e.t.Name() + "/" + name
}

func (e *env) subscribe(topic string, handler func([]byte)) pubsub.Subscription {
	e.t.Helper()
	sub, err := e.b.Subscribe(e.ctx, topic, handler)
	if err != nil {
		e.t.Fatalf("Subscribe(%q): %v", topic, err)
	}
	if sub == nil {
		e.t.Fatalf("Subscribe(%q) returned a nil Subscription and no error", topic)
	}
	return sub
}

func (e *env) publish(topic, payload string) {
	e.t.Helper()
	if err := e.b.Publish(e.ctx, topic, []byte(payload)); err != nil {
		e.t.Fatalf("Publish(%q, %.40q): %v", topic, payload, err)
	}
}

func (e *env) unsubscribe(sub pubsub.Subscription) {
	e.t.Helper()
	if err := sub.Unsubscribe(); err != nil {
		e.t.Fatalf("Unsubscribe: %v", err)
	}
}

// close closes the broker, failing the test if Close fails or hangs.
func (e *env) close() {
	e.t.Helper()
	if err := closeWithin(e.b); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
}

// closeWithin calls b.Close and waits for it at most timeout.
func closeWithin(b pubsub.Broker) error {
	done := make(chan error, 1)
	go func() { done <- b.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("did not return within %v", timeout)
	}
}

// Recorder is a subscription handler for tests of brokers and their users:
// it records the payloads it receives, as strings, and lets the test
// goroutine wait for them. Subscribe its Handle method, once or more. It is
// safe for concurrent use. Create it with NewRecorder.
type Recorder struct {
	mu     sync.Mutex
	msgs   []string
	notify chan struct{} // capacity 1; signalled after every message
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{notify: make(chan struct{}, 1)} }

// Handle records p; pass it to Broker.Subscribe.
func (r *Recorder) Handle(p []byte) {
	r.mu.Lock()
	r.msgs = append(r.msgs, string(p))
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Messages returns a copy of the payloads received so far, in order.
func (r *Recorder) Messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// WaitUntil waits until done, called with the messages so far, reports
// true, and returns those messages. It fails the test (t.Fatalf, so call it
// from the test's goroutine) after 10 seconds, naming what.
func (r *Recorder) WaitUntil(t testing.TB, what string, done func(msgs []string) bool) []string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := done(r.msgs)
		r.mu.Unlock()
		if ok {
			return r.Messages()
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s; received %s", timeout, what, summary(r.Messages()))
		}
	}
}

// WaitLen waits for at least n messages, like WaitUntil.
func (r *Recorder) WaitLen(t testing.TB, n int) []string {
	t.Helper()
	return r.WaitUntil(t, fmt.Sprintf("%d messages", n), func(msgs []string) bool { return len(msgs) >= n })
}

// WaitFor waits until msg has been received, like WaitUntil.
func (r *Recorder) WaitFor(t testing.TB, msg string) []string {
	t.Helper()
	return r.WaitUntil(t, fmt.Sprintf("%q", msg), func(msgs []string) bool {
		for _, m := range msgs {
			if m == msg {
				return true
			}
		}
		return false
	})
}

// expect fails the test unless got equals want, naming the first difference.
func expect(t *testing.T, what string, got, want []string) {
	t.Helper()
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			t.Errorf("%s: message %d missing: want %.40q; received %s", what, i, want[i], summary(got))
			return
		case i >= len(want):
			t.Errorf("%s: unexpected message %d: %.40q; received %s", what, i, got[i], summary(got))
			return
		case got[i] != want[i]:
			t.Errorf("%s: message %d is %.40q, want %.40q; received %s", what, i, got[i], want[i], summary(got))
			return
		}
	}
}

// summary describes msgs briefly: how many, and the first and last few.
func summary(msgs []string) string {
	const show = 5
	quote := func(ms []string) string {
		q := make([]string, len(ms))
		for i, m := range ms {
			q[i] = fmt.Sprintf("%.40q", m)
		}
		return strings.Join(q, " ")
	}
	if len(msgs) <= 2*show {
		return fmt.Sprintf("%d messages [%s]", len(msgs), quote(msgs))
	}
	return fmt.Sprintf("%d messages [%s ... %s]", len(msgs), quote(msgs[:show]), quote(msgs[len(msgs)-show:]))
}

// faults collects contract violations seen outside the test's goroutine,
// typically in handlers, which must not call t.Fatal and may outlive a
// failed test.
type faults struct {
	mu   sync.Mutex
	list []string
}

func (f *faults) addf(format string, args ...any) {
	f.mu.Lock()
	f.list = append(f.list, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

// report fails t with every fault collected so far.
func (f *faults) report(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.list {
		t.Error(s)
	}
}

// group runs functions on goroutines and waits for them, bounded.
type group struct {
	wg     sync.WaitGroup
	faults faults
}

// goErr runs f on a new goroutine and records its error as a fault.
func (g *group) goErr(f func() error) {
	g.wg.Go(func() {
		if err := f(); err != nil {
			g.faults.addf("%v", err)
		}
	})
}

// wait waits for every function, failing t after timeout, and reports the
// errors they returned.
func (g *group) wait(t *testing.T, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
	g.faults.report(t)
}

// receive waits for a value on ch, failing t after timeout.
func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
		panic("unreachable")
	}
}
