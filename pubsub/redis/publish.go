package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/pubsub"
)

// Publish sends payload to the topic's subscribers on every instance with
// one PUBLISH, and waits for Redis's answer at most WithPublishTimeout (1s
// by default) or until ctx is done, if sooner. With local delivery, this
// instance's subscribers get it directly first. See
// [pubsub.Broker.Publish]; in addition, an error wrapping [ErrUnavailable]
// means Redis could not be reached or did not answer in time. It comes at
// once, without trying, while the broker knows Redis to be unavailable:
// from the moment it sees its pub/sub connection fail or go silent until
// Redis answers again, and from a PUBLISH that got no answer in time until
// Redis answers anything. The message then reached no other instance, or,
// after a timeout, may still reach them later, once; with local delivery it
// did reach this one.
func (b *Broker) Publish(ctx context.Context, topic string, payload []byte) error {
	if topic == "" {
		return errEmptyTopic
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("liveview: redis: publish to %q: %w", topic, err)
	}
	if b.closed.Load() {
		return pubsub.ErrClosed
	}
	if b.cluster != nil {
		// Finding the node loads the slot map on first use: bounded too.
		rctx, cancel := context.WithTimeout(ctx, b.publishTimeout)
		s, err := b.cluster.shard(rctx, b, topic)
		cancel()
		if err != nil {
			if !errors.Is(err, pubsub.ErrClosed) {
				b.cluster.countPublishError()
			}
			return fmt.Errorf("liveview: redis: publish to %q: %w", topic, err)
		}
		err = s.Publish(ctx, topic, payload)
		b.cluster.check(err)
		return err
	}
	if b.local {
		_ = b.mem.Publish(context.Background(), topic, payload)
	}
	if err := b.unavailable(); err != nil {
		b.countPublishError(false)
		return fmt.Errorf("liveview: redis: publish to %q: %w", topic, err)
	}
	pctx, cancel := context.WithTimeout(ctx, b.publishTimeout)
	defer cancel()
	if !b.detach {
		if b.node != "" {
			// A shard broker's client is closed after Close, which then
			// waits for the PUBLISH commands under way (each bounded by
			// the publish timeout).
			b.pubMu.RLock()
			if b.closed.Load() {
				b.pubMu.RUnlock()
				return pubsub.ErrClosed
			}
			b.pubs.Add(1)
			b.pubMu.RUnlock()
			defer b.pubs.Done()
		}
		// b.publisher's read and write timeouts are at most the bound, and
		// pctx bounds waiting for (or dialing) a pooled connection.
		cmd := noRetry{goredis.NewIntCmd(pctx, b.publishCommand(), b.prefix+topic, b.encode(payload))}
		_ = b.publisher.Process(pctx, cmd)
		return b.published(ctx, pctx, topic, cmd.Err())
	}
	return b.publishDetached(ctx, pctx, topic, payload)
}

// publishCommand returns the command that publishes: PUBLISH, or SPUBLISH
// with sharded pub/sub.
func (b *Broker) publishCommand() string {
	if b.sharded {
		return "spublish"
	}
	return "publish"
}

// publishDetached runs the PUBLISH on its own goroutine and stops waiting
// for it when pctx is done: for clients other than *goredis.Client, which
// bound a command by their own ReadTimeout and, unless they have
// ContextTimeoutEnabled, ignore the context's deadline. The command keeps
// its caller's context and goes on until go-redis ends it; the payload is
// copied, as go-redis may still be writing it after Publish returned.
func (b *Broker) publishDetached(ctx, pctx context.Context, topic string, payload []byte) error {
	b.pubMu.RLock()
	if b.closed.Load() {
		b.pubMu.RUnlock()
		return pubsub.ErrClosed
	}
	b.pubs.Add(1)
	b.pubMu.RUnlock()
	data := b.encode(payload)
	if len(data) == len(payload) {
		data = bytes.Clone(payload)
	}
	call := &publishCall{cmd: noRetry{goredis.NewIntCmd(ctx, b.publishCommand(), b.prefix+topic, data)}, done: make(chan error, 1)}
	go b.runPublish(ctx, b.prefix+topic, call)
	select {
	case err := <-call.done:
		return b.published(ctx, pctx, topic, err)
	case <-pctx.Done():
	}
	b.abandoned.Add(1)
	if !call.state.CompareAndSwap(callRunning, callAbandoned) {
		// It finished meanwhile.
		b.abandoned.Add(-1)
		return b.published(ctx, pctx, topic, <-call.done)
	}
	b.stalled.Store(true)
	b.countPublishError(true)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("liveview: redis: publish to %q: %w", topic, err)
	}
	return fmt.Errorf("liveview: redis: publish to %q: %w: %w within %v", topic, ErrUnavailable, errNoAnswer, b.publishTimeout)
}

// publishCall is one PUBLISH running on its own goroutine.
type publishCall struct {
	cmd   noRetry
	done  chan error   // capacity 1: the command's error
	state atomic.Int32 // callRunning, then callDone or callAbandoned
}

const (
	callRunning int32 = iota
	callDone
	callAbandoned // its Publish stopped waiting and counted it in abandoned
)

// runPublish runs one detached PUBLISH, on a goroutine of its own.
func (b *Broker) runPublish(ctx context.Context, channel string, call *publishCall) {
	defer b.pubs.Done()
	var c interface {
		Process(context.Context, goredis.Cmder) error
	} = b.client
	if cc, ok := b.client.(*goredis.ClusterClient); ok {
		// Classic PUBLISH on a cluster (WithShardedPubSub(false)): always
		// through the same node for a channel, the master of its slot.
		// go-redis sends a keyless command to any node, and a node
		// forwards PUBLISH to the others over its own cluster bus links:
		// two messages of one publisher entering through different nodes
		// could overtake each other.
		if node, err := cc.MasterForKey(ctx, channel); err != nil {
			call.cmd.SetErr(err)
			c = nil
		} else {
			c = node
		}
	}
	if c != nil {
		_ = c.Process(ctx, call.cmd)
	}
	if !call.state.CompareAndSwap(callRunning, callDone) {
		b.abandoned.Add(-1) // no Publish waits for it any more
	}
	call.done <- call.cmd.Err()
}

// published returns what Publish returns for a PUBLISH that finished with
// err; pctx is the context of its wait. A PUBLISH that got no answer in
// time stalls Publish until Redis answers again.
func (b *Broker) published(ctx, pctx context.Context, topic string, err error) error {
	if err == nil {
		b.answered()
		return nil
	}
	var ne net.Error
	timeout := pctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout())
	if timeout && ctx.Err() == nil {
		b.stalled.Store(true)
	}
	b.countPublishError(timeout)
	return b.wrap("publish to "+strconv.Quote(topic), ctx, err)
}

// answered records that Redis answered something, which ends a stall.
func (b *Broker) answered() {
	if b.stalled.Load() {
		b.stalled.Store(false)
	}
}

// unavailable returns the error, wrapping ErrUnavailable, with which
// Publish fails without trying; nil if it may try.
func (b *Broker) unavailable() error {
	if b.down.Load() {
		b.mu.Lock()
		cause := b.downErr
		b.mu.Unlock()
		if cause != nil { // else it came back meanwhile
			return fmt.Errorf("%w: %w: %w", ErrUnavailable, errDown, cause)
		}
	}
	if b.stalled.Load() || b.abandoned.Load() > 0 {
		return fmt.Errorf("%w: %w", ErrUnavailable, errStalled)
	}
	return nil
}

func (b *Broker) countPublishError(timeout bool) {
	b.mu.Lock()
	b.stats.PublishErrors++
	if timeout {
		b.stats.PublishTimeouts++
	}
	b.mu.Unlock()
}

// noRetry is a command go-redis must not retry: a PUBLISH that reached Redis
// before its connection failed would be delivered twice.
type noRetry struct{ *goredis.IntCmd }

func (noRetry) NoRetry() bool { return true }

// Payload envelope: magic, then the publishing broker's ID, then the
// payload. A broker with local delivery wraps every payload so that it can
// drop its own messages when they come back; others send payloads as they
// are, unless one starts with the magic, which they wrap with a zero ID.
const magic = "\x00lv1"

func (b *Broker) encode(p []byte) []byte {
	if !b.local && !strings.HasPrefix(string(p), magic) {
		return p
	}
	out := make([]byte, 0, len(magic)+len(b.id)+len(p))
	out = append(out, magic...)
	if b.local {
		out = append(out, b.id[:]...)
	} else {
		out = append(out, make([]byte, len(b.id))...)
	}
	return append(out, p...)
}

// decode unwraps a received payload and reports whether this broker sent
// it with local delivery on.
func (b *Broker) decode(s string) (payload []byte, own bool) {
	rest, ok := strings.CutPrefix(s, magic)
	if !ok || len(rest) < len(b.id) {
		return []byte(s), false
	}
	if b.local && rest[:len(b.id)] == string(b.id[:]) {
		return nil, true
	}
	return []byte(rest[len(b.id):]), false
}
