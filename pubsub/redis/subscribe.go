package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/pubsub"
)

// waiter is a Subscribe waiting for the reply to its PING.
type waiter struct {
	topic   string
	handler func([]byte)
	ready   chan struct{} // closed when sub or err is set
	sub     pubsub.Subscription
	err     error
}

// Subscribe registers handler for topic. It returns once Redis has
// confirmed the subscription: it sends SUBSCRIBE if the topic is new to
// this broker, then a PING, and waits for the PING's reply on the pub/sub
// connection, which comes after every message published before the
// subscription started. The wait is bounded by ctx and WithTimeout (5s),
// and ends as soon as the broker finds the connection lost or silent
// (within about 2s for a frozen Redis, see [WithHealthCheck]). When Redis
// cannot be reached, or the broker's pub/sub connection is known to be
// down (it fails at once then, without trying), Subscribe fails with an
// error wrapping [ErrUnavailable]; with local delivery it returns instead a
// subscription that receives local messages now and remote ones once Redis
// is back. See [pubsub.Broker.Subscribe].
func (b *Broker) Subscribe(ctx context.Context, topic string, handler func(payload []byte)) (pubsub.Subscription, error) {
	if topic == "" {
		return nil, errEmptyTopic
	}
	if handler == nil {
		return nil, errNilHandler
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("liveview: redis: subscribe to %q: %w", topic, err)
	}
	op := "subscribe to " + strconv.Quote(topic)
	ch := b.prefix + topic
	wctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if b.cluster != nil {
		if b.closed.Load() {
			return nil, pubsub.ErrClosed
		}
		s, err := b.cluster.shard(wctx, b, topic)
		if err != nil {
			return nil, fmt.Errorf("liveview: redis: %s: %w", op, err)
		}
		return s.Subscribe(ctx, topic, handler)
	}

	b.subMu.Lock()
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		b.subMu.Unlock()
		return nil, pubsub.ErrClosed
	}
	down, downErr := b.down.Load(), b.downErr
	if down && !b.local {
		// Fail fast, without touching the PubSub: the reader may be in a
		// reconnection attempt that holds it for seconds.
		b.mu.Unlock()
		b.subMu.Unlock()
		return nil, b.wrap(op, ctx, fmt.Errorf("%w: %w", errDown, downErr))
	}
	b.refs[ch]++
	first := b.refs[ch] == 1
	b.mu.Unlock()

	var err error
	switch {
	case down:
		// Local delivery: local only for now, without touching the PubSub
		// either; the reader subscribes the channel on Redis once the
		// connection answers again (see reconnected).
		err = fmt.Errorf("%w: %w", errDown, downErr)
	case first:
		err = b.psSubscribe(wctx, ch)
		b.psChans[ch] = struct{}{} // go-redis keeps it even if the write failed
	}
	w := &waiter{topic: topic, handler: handler, ready: make(chan struct{})}
	if err == nil {
		b.mu.Lock()
		b.token++
		token := subToken + strconv.FormatUint(b.token, 10)
		b.waiters[token] = w
		b.mu.Unlock()
		if err = b.ps.Ping(wctx, token); err != nil {
			b.mu.Lock()
			if b.waiters[token] == w {
				delete(b.waiters, token)
			} else {
				err = nil // the reader resolved it meanwhile
			}
			b.mu.Unlock()
		}
	}
	if err != nil && b.local && !b.closed.Load() {
		// Local only for now; the reader resubscribes on reconnect.
		b.mu.Lock()
		if b.gapStart.IsZero() {
			b.startGapLocked(err)
		}
		b.unconfirmed[ch] = struct{}{}
		warn := !b.localWarned // once per gap, however many topics
		b.localWarned = true
		sub, serr := b.mem.Subscribe(context.Background(), topic, handler)
		b.mu.Unlock()
		b.subMu.Unlock()
		if serr != nil {
			b.release(ch)
			return nil, fmt.Errorf("liveview: redis: %s: %w", op, pubsub.ErrClosed)
		}
		if warn {
			b.log.Warn("liveview: redis unavailable, subscribing for local delivery only until it is back", "topic", topic, "err", err)
		}
		return &subscription{b: b, ch: ch, sub: sub}, nil
	}
	b.subMu.Unlock()
	if err != nil {
		b.release(ch)
		return nil, b.wrap(op, ctx, err)
	}

	select {
	case <-w.ready:
	case <-wctx.Done():
		b.mu.Lock()
		pending := false
		for token, v := range b.waiters {
			if v == w {
				delete(b.waiters, token)
				pending = true
			}
		}
		b.mu.Unlock()
		if pending {
			b.release(ch)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("liveview: redis: %s: %w", op, ctx.Err())
			}
			return nil, fmt.Errorf("liveview: redis: %s: not confirmed within %v: %w", op, b.timeout, ErrUnavailable)
		}
		<-w.ready // resolved by the reader while we timed out
	}
	if w.err != nil {
		b.release(ch)
		return nil, b.wrap(op, context.Background(), w.err)
	}
	return &subscription{b: b, ch: ch, sub: w.sub}, nil
}

// release drops one reference to channel ch, unsubscribing on Redis when it
// was the last. It returns the error of telling Redis, if that matters.
func (b *Broker) release(ch string) error {
	b.subMu.Lock()
	defer b.subMu.Unlock()
	b.mu.Lock()
	b.refs[ch]--
	last := b.refs[ch] <= 0
	if last {
		delete(b.refs, ch)
		delete(b.unconfirmed, ch)
	}
	down := b.down.Load()
	b.mu.Unlock()
	if !last || b.closed.Load() {
		return nil
	}
	if _, ok := b.psChans[ch]; !ok || down {
		// Never given to go-redis, or the connection is down: then the
		// reader unsubscribes the channel once the connection answers
		// again (see reconnected), rather than this call waiting behind a
		// reconnection attempt; no connection holds the subscription now.
		return nil
	}
	delete(b.psChans, ch)
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	err := b.psUnsubscribe(ctx, ch)
	if err == nil || b.closed.Load() {
		return nil
	}
	var reply goredis.Error
	if !errors.As(err, &reply) {
		return nil // the connection failed: the subscription died with it
	}
	return fmt.Errorf("liveview: redis: unsubscribe from %q: %w", ch, err)
}

// subscription is one Subscribe's registration.
type subscription struct {
	b    *Broker
	ch   string
	sub  pubsub.Subscription // in b.mem
	once sync.Once
}

// Unsubscribe stops delivery at once and, for the topic's last local
// subscription, sends UNSUBSCRIBE. It returns an error only when Redis
// answered the UNSUBSCRIBE with an error reply; a lost connection needs no
// unsubscribing. See [pubsub.Subscription.Unsubscribe].
func (s *subscription) Unsubscribe() error {
	var err error
	s.once.Do(func() {
		_ = s.sub.Unsubscribe()
		err = s.b.release(s.ch)
	})
	return err
}

// psSubscribe gives channels to the PubSub: SUBSCRIBE, or with sharded
// pub/sub SSUBSCRIBE, one command per channel: a cluster node refuses an
// SSUBSCRIBE whose channels are in different slots (CROSSSLOT), even
// slots of its own. The caller holds subMu.
func (b *Broker) psSubscribe(ctx context.Context, channels ...string) error {
	if !b.sharded {
		return b.ps.Subscribe(ctx, channels...)
	}
	var first error
	for _, ch := range channels {
		if err := b.ps.SSubscribe(ctx, ch); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// psUnsubscribe is psSubscribe's opposite: UNSUBSCRIBE or SUNSUBSCRIBE.
func (b *Broker) psUnsubscribe(ctx context.Context, channels ...string) error {
	if !b.sharded {
		return b.ps.Unsubscribe(ctx, channels...)
	}
	var first error
	for _, ch := range channels {
		b.unsubs[ch]++
		if err := b.ps.SUnsubscribe(ctx, ch); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// unsubscribedByNode reports whether an "sunsubscribe" on the connection
// of a sharded broker is the node's own, not the answer to a SUNSUBSCRIBE
// of the broker: a node that loses a slot (resharding, failover)
// unsubscribes its clients from the slot's channels.
func (b *Broker) unsubscribedByNode(ch string) bool {
	b.subMu.Lock()
	defer b.subMu.Unlock()
	if b.unsubs[ch] > 0 {
		if b.unsubs[ch]--; b.unsubs[ch] == 0 {
			delete(b.unsubs, ch)
		}
		return false
	}
	_, ok := b.psChans[ch]
	return ok
}
