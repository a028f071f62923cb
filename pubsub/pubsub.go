// Package pubsub moves opaque byte payloads between publishers and
// subscribers of named topics, inside one process or across every instance
// of an application.
//
// The liveview Hub uses it so that N instances behind a load balancer behave
// as one: it subscribes to one topic per room while the room has local
// members, plus one broadcast topic, and sends every broadcast through the
// broker instead of writing to sockets directly.
//
// [Broker] is the interface. Its doc comment is a contract that every
// implementation keeps and that callers may rely on; the conformance suite
// in package [github.com/echo-liveview/liveview/pubsub/pubsubtest] checks it.
// [Memory] is the in-process implementation (the default for a single
// instance); package pubsub/redis carries messages between processes.
//
// # Writing a broker
//
// Implement [Broker] and [Subscription], then run the suite from a test:
//
//	func TestBroker(t *testing.T) {
//		pubsubtest.Run(t, func(t *testing.T) pubsub.Broker {
//			return mybroker.New(...)
//		})
//	}
//
// Report errors the way this package does: messages start with "liveview: ",
// argument errors wrap [ErrInvalidTopic], calls after Close return an error
// wrapping [ErrClosed], and context errors are wrapped with %w so that
// errors.Is(err, context.Canceled) holds.
package pubsub

import (
	"context"
	"errors"
)

// ErrClosed is returned (possibly wrapped) by Publish and Subscribe once the
// broker has been closed. Test for it with errors.Is.
var ErrClosed = errors.New("liveview: broker closed")

// ErrInvalidTopic is wrapped by the error that Publish and Subscribe return
// for a topic the broker cannot carry. The empty string is never a valid
// topic; a broker may document further limits. Test for it with errors.Is.
var ErrInvalidTopic = errors.New("liveview: invalid topic")

// Broker moves opaque payloads between publishers and subscribers of named
// topics. A topic is any non-empty string, compared byte for byte: there are
// no patterns and no hierarchy ("room" and "room*" are unrelated topics).
// A broker keeps no history: a message reaches only the subscriptions that
// are active when it is published.
//
// Every implementation keeps this contract, which
// [github.com/echo-liveview/liveview/pubsub/pubsubtest.Run] checks:
//
//   - Concurrency. All methods of Broker and [Subscription] are safe for
//     concurrent use by multiple goroutines.
//   - At most once. Each subscription receives each message at most once;
//     nothing is ever redelivered. A broker that crosses a network may lose
//     messages during a fault (a dropped connection, a server restart); it
//     must report such a gap where its owner can see it (an error callback,
//     a log line), never hide it. Without a fault every message is
//     delivered.
//   - Order. Publishes to one topic that are ordered by happens-before (for
//     example, made one after the other by one goroutine) reach every
//     subscriber in that order. Concurrent publishes to one topic arrive in
//     some order, the same for every subscriber of the topic. Nothing is
//     promised across topics.
//   - Handlers. Calls to one subscription's handler are never concurrent:
//     each call returns before the next one starts (in the sense of the Go
//     memory model), so a handler may keep state without locking. Handlers
//     of different subscriptions may run concurrently. Handlers run on a
//     goroutine owned by the broker and should return quickly; how a slow
//     handler affects others depends on the implementation. A handler may
//     call Publish, Subscribe, Close and any Unsubscribe (its own included)
//     on the same broker without deadlocking. A panicking handler is not
//     recovered.
//   - Payloads. The broker neither modifies the slice passed to Publish nor
//     reads it after Publish returns (it copies it if it needs it later).
//     The slice passed to a handler may be shared with other subscribers:
//     the handler must not modify it, but may keep it after returning (the
//     broker never reuses it). An empty payload may arrive as nil.
//
// A nil Broker is not usable.
type Broker interface {
	// Publish sends payload to every current subscriber of topic, on every
	// instance sharing the broker, and returns without waiting for the
	// handlers to run. Publishing to a topic without subscribers succeeds
	// and the message is dropped.
	//
	// Publish returns an error wrapping [ErrInvalidTopic] if topic is
	// empty, wrapping ctx.Err() if ctx is done (if it is done before the
	// call, nothing is sent), and wrapping [ErrClosed] after Close. Any
	// other error means the message may not have reached some or all
	// subscribers.
	Publish(ctx context.Context, topic string, payload []byte) error

	// Subscribe registers handler for topic and returns once the
	// subscription is active: a Publish that starts after Subscribe
	// returns is delivered to it; one that returned before Subscribe was
	// called is not (there is no history to replay). Each call creates an
	// independent subscription, even for the same topic and handler. ctx
	// bounds only the call, not the subscription's lifetime: the
	// subscription lasts until Unsubscribe or Close.
	//
	// Subscribe returns an error wrapping [ErrInvalidTopic] if topic is
	// empty, an error if handler is nil, an error wrapping ctx.Err() if
	// ctx is done before the subscription is active, and an error
	// wrapping [ErrClosed] after Close. On error the Subscription is nil
	// and handler is never called.
	Subscribe(ctx context.Context, topic string, handler func(payload []byte)) (Subscription, error)

	// Close unsubscribes every subscription and stops the broker. Once
	// Close returns, no handler call starts any more, and Publish and
	// Subscribe return an error wrapping [ErrClosed]. A handler call
	// already running may still be finishing, exactly as with Unsubscribe:
	// Close never waits for handlers, so a handler may call it without
	// deadlocking. Every goroutine the broker started exits once the
	// handler call it is running, if any, returns; none is left behind.
	// Close releases the broker's resources, not those the caller
	// supplied (such as a network client).
	//
	// Close returns the error, if any, of releasing the broker's
	// resources; calling it again does nothing and returns nil. A caller
	// that must know when its handlers are done has them signal it.
	Close() error
}

// Subscription is one active registration of a handler, returned by
// [Broker.Subscribe]. A nil Subscription is not usable.
type Subscription interface {
	// Unsubscribe stops delivery to the subscription's handler. Messages
	// published after Unsubscribe returns are not delivered to it; a
	// handler call already running may finish, because Unsubscribe does
	// not wait for it (it may be called from that very handler).
	// Unsubscribe is idempotent: calling it again, or after the broker was
	// closed, does nothing and returns nil. A non-nil error reports that a
	// remote server could not be told; delivery stops regardless.
	Unsubscribe() error
}
