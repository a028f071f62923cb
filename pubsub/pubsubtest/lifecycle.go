package pubsubtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/echo-liveview/liveview/pubsub"
)

// Checks of the life cycle: subscriptions coming and going, calls from
// handlers, argument and context errors, Close.

// checkSubscribeTwice: each Subscribe is an independent subscription, even
// with the same handler.
func checkSubscribeTwice(e *env) {
	topic := e.topic("t")
	r := NewRecorder()
	first := e.subscribe(topic, r.Handle)
	e.subscribe(topic, r.Handle)
	e.publish(topic, "twice")
	r.WaitLen(e.t, 2)
	e.unsubscribe(first)
	e.publish(topic, "once")
	e.publish(topic, "end")
	expect(e.t, "received", r.WaitFor(e.t, "end"), []string{"twice", "twice", "once", "end"})
}

// checkUnsubscribe: no delivery after Unsubscribe returns; Unsubscribe is
// idempotent; the topic can be subscribed again.
func checkUnsubscribe(e *env) {
	topic := e.topic("t")
	r, witness := NewRecorder(), NewRecorder()
	sub := e.subscribe(topic, r.Handle)
	e.subscribe(topic, witness.Handle)
	e.publish(topic, "before")
	r.WaitFor(e.t, "before")
	e.unsubscribe(sub)
	e.publish(topic, "after")
	e.publish(topic, "end")
	expect(e.t, "witness", witness.WaitFor(e.t, "end"), []string{"before", "after", "end"})
	expect(e.t, "unsubscribed handler", r.Messages(), []string{"before"})
	e.unsubscribe(sub) // again

	again := NewRecorder()
	e.subscribe(topic, again.Handle)
	e.publish(topic, "again")
	expect(e.t, "new subscriber", again.WaitFor(e.t, "again"), []string{"again"})

	e.close() // then look again: a late delivery to r may have shown by now
	expect(e.t, "unsubscribed handler after Close", r.Messages(), []string{"before"})
	if err := sub.Unsubscribe(); err != nil {
		e.t.Errorf("Unsubscribe after Close: %v", err)
	}
}

// checkUnsubscribeFromHandler: a handler can unsubscribe itself, twice.
func checkUnsubscribeFromHandler(e *env) {
	topic := e.topic("t")
	r, witness := NewRecorder(), NewRecorder()
	var sub atomic.Pointer[pubsub.Subscription]
	unsubscribed := make(chan error, 1)
	var calls atomic.Int32
	s := e.subscribe(topic, func(p []byte) {
		r.Handle(p)
		if calls.Add(1) == 1 {
			s := *sub.Load()
			unsubscribed <- errors.Join(s.Unsubscribe(), s.Unsubscribe())
		}
	})
	sub.Store(&s)
	e.subscribe(topic, witness.Handle)
	e.publish(topic, "first")
	if err := receive(e.t, "Unsubscribe in the handler to return", unsubscribed); err != nil {
		e.t.Errorf("Unsubscribe in the handler: %v", err)
	}
	e.publish(topic, "second")
	e.publish(topic, "end")
	witness.WaitFor(e.t, "end")
	expect(e.t, "unsubscribed handler", r.Messages(), []string{"first"})
	e.close()
	expect(e.t, "unsubscribed handler after Close", r.Messages(), []string{"first"})
}

// checkPublishFromHandler: a handler can publish to its own topic, and a
// chain of such publishes stays in order for every subscriber.
func checkPublishFromHandler(e *env) {
	const n = 100
	topic := e.topic("t")
	var f faults
	chain, other := NewRecorder(), NewRecorder()
	e.subscribe(topic, func(p []byte) {
		chain.Handle(p)
		i, err := strconv.Atoi(string(p))
		if err != nil || i >= n {
			return
		}
		if err := e.b.Publish(context.Background(), topic, []byte(strconv.Itoa(i+1))); err != nil {
			f.addf("Publish from a handler: %v", err)
		}
	})
	e.subscribe(topic, other.Handle)
	e.publish(topic, "0")
	want := make([]string, n+1)
	for i := range want {
		want[i] = strconv.Itoa(i)
	}
	expect(e.t, "publishing subscriber", chain.WaitFor(e.t, strconv.Itoa(n)), want)
	expect(e.t, "other subscriber", other.WaitFor(e.t, strconv.Itoa(n)), want)
	f.report(e.t)
}

// checkSubscribeFromHandler: a handler can subscribe and unsubscribe other
// subscriptions.
func checkSubscribeFromHandler(e *env) {
	topic, other := e.topic("t"), e.topic("other")
	r, witness := NewRecorder(), NewRecorder()
	var sub atomic.Pointer[pubsub.Subscription]
	results := make(chan error, 1)
	e.subscribe(topic, func(p []byte) {
		switch string(p) {
		case "subscribe":
			s, err := e.b.Subscribe(context.Background(), other, r.Handle)
			if err == nil {
				sub.Store(&s)
			}
			results <- err
		case "unsubscribe":
			results <- (*sub.Load()).Unsubscribe()
		}
	})
	e.subscribe(other, witness.Handle)

	e.publish(topic, "subscribe")
	if err := receive(e.t, "Subscribe in a handler to return", results); err != nil {
		e.t.Fatalf("Subscribe in a handler: %v", err)
	}
	e.publish(other, "subscribed")
	r.WaitFor(e.t, "subscribed")

	e.publish(topic, "unsubscribe")
	if err := receive(e.t, "Unsubscribe in a handler to return", results); err != nil {
		e.t.Fatalf("Unsubscribe in a handler: %v", err)
	}
	e.publish(other, "unsubscribed")
	e.publish(other, "end")
	witness.WaitFor(e.t, "end")
	expect(e.t, "subscription made in a handler", r.Messages(), []string{"subscribed"})
}

// checkInvalidArguments: an empty topic and a nil handler are errors that
// leave the broker working.
func checkInvalidArguments(e *env) {
	topic := e.topic("t")
	err := e.b.Publish(e.ctx, "", []byte("x"))
	checkErr(e, "Publish to an empty topic", err, pubsub.ErrInvalidTopic)
	r := NewRecorder()
	sub, err := e.b.Subscribe(e.ctx, "", r.Handle)
	checkErr(e, "Subscribe to an empty topic", err, pubsub.ErrInvalidTopic)
	checkNilSub(e, "Subscribe to an empty topic", sub)
	sub, err = e.b.Subscribe(e.ctx, topic, nil)
	checkErr(e, "Subscribe with a nil handler", err, nil)
	checkNilSub(e, "Subscribe with a nil handler", sub)

	e.subscribe(topic, r.Handle)
	e.publish(topic, "still works")
	expect(e.t, "received", r.WaitFor(e.t, "still works"), []string{"still works"})
}

// checkCanceledContext: a done context fails Publish and Subscribe with its
// error; nothing is sent and no subscription is made.
func checkCanceledContext(e *env) {
	topic := e.topic("t")
	witness, r := NewRecorder(), NewRecorder()
	e.subscribe(topic, witness.Handle)

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for _, c := range []struct {
		ctx  context.Context
		want error
	}{{canceled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		err := e.b.Publish(c.ctx, topic, []byte("not sent"))
		checkErr(e, "Publish with a done context", err, c.want)
		sub, err := e.b.Subscribe(c.ctx, topic, r.Handle)
		checkErr(e, "Subscribe with a done context", err, c.want)
		checkNilSub(e, "Subscribe with a done context", sub)
	}
	e.publish(topic, "end")
	expect(e.t, "witness", witness.WaitFor(e.t, "end"), []string{"end"})
	expect(e.t, "handler of the failed Subscribe", r.Messages(), nil)
}

// checkClose: after Close, Publish and Subscribe fail with ErrClosed; Close
// and Unsubscribe are idempotent.
func checkClose(e *env) {
	topic := e.topic("t")
	r := NewRecorder()
	sub := e.subscribe(topic, r.Handle)
	e.publish(topic, "open")
	r.WaitFor(e.t, "open")
	e.close()

	err := e.b.Publish(e.ctx, topic, []byte("closed"))
	checkErr(e, "Publish after Close", err, pubsub.ErrClosed)
	sub2, err := e.b.Subscribe(e.ctx, topic, r.Handle)
	checkErr(e, "Subscribe after Close", err, pubsub.ErrClosed)
	checkNilSub(e, "Subscribe after Close", sub2)
	if err := closeWithin(e.b); err != nil {
		e.t.Errorf("second Close: %v", err)
	}
	if err := sub.Unsubscribe(); err != nil {
		e.t.Errorf("Unsubscribe after Close: %v", err)
	}
	expect(e.t, "received", r.Messages(), []string{"open"})
}

// checkCloseStopsHandlers: Close returns while a handler call is running
// (it does not wait for it), and once Close has returned no handler call
// starts, not even for the messages that were queued behind the running one.
func checkCloseStopsHandlers(e *env) {
	topic := e.topic("t")
	var starts atomic.Int32
	started := make(chan struct{}, 1) // signalled at every start
	blocked, release, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock() // never leave the handler blocked, even on failure
	e.subscribe(topic, func(p []byte) {
		starts.Add(1)
		select {
		case started <- struct{}{}:
		default:
		}
		if string(p) == "block" {
			close(blocked)
			<-release
			close(returned)
		}
	})
	e.publish(topic, "block")
	for i := range 100 {
		e.publish(topic, strconv.Itoa(i)) // queued behind the blocked call
	}
	receive(e.t, "the handler to start", blocked)
	<-started // the "block" call's signal, so that only later starts show

	e.close() // fails if Close waits for the blocked call
	n := starts.Load()
	if n != 1 {
		e.t.Errorf("%d handler calls started before Close returned, want 1", n)
	}
	err := e.b.Publish(e.ctx, topic, []byte("closed"))
	checkErr(e, "Publish after Close", err, pubsub.ErrClosed)

	unblock()
	receive(e.t, "the running handler call to return", returned)
	// The running call has returned into a closed broker: any further call
	// would be one that started after Close returned. Give such a call time
	// to show; a correct broker never makes one, so the pause cannot fail it.
	select {
	case <-started:
	case <-time.After(100 * time.Millisecond):
	}
	if now := starts.Load(); now != n {
		e.t.Errorf("%d handler calls started after Close returned", now-n)
	}
}

// checkCloseFromHandlers: handlers calling Close, two at a time if the
// broker runs them concurrently, do not deadlock, and the broker is closed
// afterwards.
func checkCloseFromHandlers(e *env) {
	const handlers = 2
	topic := e.topic("t")
	var calls atomic.Int32
	all := make(chan struct{})
	results := make(chan error, handlers)
	for range handlers {
		e.subscribe(topic, func([]byte) {
			if calls.Add(1) == handlers {
				close(all)
			}
			// Wait a little for the other handler, so that both call Close
			// together if the broker runs them concurrently; a broker that
			// runs them one after the other calls only one.
			select {
			case <-all:
			case <-time.After(100 * time.Millisecond):
			}
			results <- e.b.Close()
		})
	}
	e.publish(topic, "close")
	if err := receive(e.t, "Close in a handler to return", results); err != nil {
		e.t.Errorf("Close in a handler: %v", err)
	}
	e.close()
	// Close does not wait for the other handler call, if it started; wait
	// for its Close if it has counted itself (results is buffered, so a
	// call not waited for does not block).
	for range calls.Load() - 1 {
		if err := receive(e.t, "Close in the other handler to return", results); err != nil {
			e.t.Errorf("Close in a handler: %v", err)
		}
	}
	err := e.b.Publish(e.ctx, topic, []byte("closed"))
	checkErr(e, "Publish after Close in a handler", err, pubsub.ErrClosed)
}

// checkConcurrentClose: Close races with itself, Publish, Subscribe and
// Unsubscribe; everything returns, and the only errors are ErrClosed.
func checkConcurrentClose(e *env) {
	topic := e.topic("t")
	for range 4 {
		e.subscribe(topic, func([]byte) {})
	}
	quit := make(chan struct{}) // ends the loops if Close never takes effect
	defer close(quit)
	var g group
	for i := range 4 {
		g.goErr(func() error { // publisher
			for {
				select {
				case <-quit:
					return nil
				default:
				}
				if err := e.b.Publish(e.ctx, topic, []byte(strconv.Itoa(i))); err != nil {
					return wantClosed("Publish", err)
				}
			}
		})
		g.goErr(func() error { // subscriber
			for {
				select {
				case <-quit:
					return nil
				default:
				}
				sub, err := e.b.Subscribe(e.ctx, topic, func([]byte) {})
				if err != nil {
					return wantClosed("Subscribe", err)
				}
				if err := sub.Unsubscribe(); err != nil {
					return fmt.Errorf("unsubscribe: %w", err)
				}
			}
		})
		g.goErr(func() error { // closer
			if err := e.b.Close(); err != nil {
				return fmt.Errorf("close: %w", err)
			}
			return nil
		})
	}
	g.wait(e.t, "concurrent Close, Publish and Subscribe")
}

func wantClosed(op string, err error) error {
	if errors.Is(err, pubsub.ErrClosed) {
		return nil
	}
	return fmt.Errorf("%s during Close: %w, want an error wrapping ErrClosed", op, err)
}

// checkErr fails the test unless err is non-nil, starts with "liveview: "
// and, if want is not nil, wraps want.
func checkErr(e *env, op string, err, want error) {
	e.t.Helper()
	switch {
	case err == nil:
		e.t.Errorf("%s: no error", op)
	case want != nil && !errors.Is(err, want):
		e.t.Errorf("%s: error %q does not wrap %q", op, err, want)
	case !strings.HasPrefix(err.Error(), "liveview: "):
		e.t.Errorf("%s: error %q does not start with \"liveview: \"", op, err)
	}
}

func checkNilSub(e *env, op string, sub pubsub.Subscription) {
	e.t.Helper()
	if sub != nil {
		e.t.Errorf("%s: the Subscription is %v, want nil on error", op, sub)
	}
}
