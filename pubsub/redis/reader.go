package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// read is the reader goroutine: the only one that receives from the pub/sub
// connection. It hands messages to the subscriptions' queues without ever
// waiting for a handler, checks that a silent connection still answers,
// and reconnects when the connection fails or stops answering.
func (b *Broker) read() {
	defer close(b.readDone)
	ctx := context.Background()
	backoff := minBackoff
	// renew: the connection was lost; with sharded pub/sub the next probe
	// uses a new PubSub (see renew).
	probe, healthPending, renew := true, false, false
	// refused: error replies on a sharded connection since its last gap
	// ended (see below).
	refused := 0
	for {
		select {
		case <-b.stop:
			return
		default:
		}
		if probe && renew && b.sharded {
			if !b.renew() {
				return
			}
			renew = false
		}
		if probe {
			// Dials when needed; go-redis resubscribes every channel first.
			// Against a frozen server the dial succeeds (the kernel accepts
			// connections for it) and go-redis's handshake waits up to the
			// client's ReadTimeout, holding the PubSub: nobody else uses it
			// while the connection is down.
			pctx, cancel := context.WithTimeout(ctx, b.timeout)
			err := b.ps.Ping(pctx, probeToken)
			cancel()
			if err != nil {
				b.lost(err, false)
				renew = true
				select {
				case <-b.stop:
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, maxBackoff)
				continue
			}
			probe = false
		}
		// The read deadline is what detects a server that went silent
		// (TestFrozenServer); go-redis's own Channel only notices when a
		// write fails, minutes later. Known limit: a reply that starts
		// arriving just before the deadline and ends after it leaves the
		// reader mid-reply, and that message may be lost unreported. It
		// takes a reply straddling the deadline after a whole health
		// interval of silence, and the usual payloads arrive whole within
		// microseconds.
		msg, err := b.ps.ReceiveTimeout(ctx, b.health)
		if err == nil {
			healthPending, backoff = false, minBackoff
			b.handle(msg)
			if b.moved != "" {
				// The node no longer serves a subscribed channel's slot:
				// a gap for this connection's channels, and the retries
				// below until the node accepts them again (the router
				// reloads its slot map meanwhile, for later calls).
				err := fmt.Errorf("%w: %q", errMoved, b.moved)
				b.moved = ""
				b.lost(err, false)
				if b.onRefused != nil {
					b.onRefused(err)
				}
				probe, healthPending, renew = true, false, true
				continue
			}
			if refused > 0 && !b.inGap() {
				refused = 0
			}
			continue
		}
		if b.closed.Load() {
			return
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			if !healthPending {
				// Silent for one interval: ask.
				healthPending = true
				hctx, cancel := context.WithTimeout(ctx, b.timeout)
				err = b.ps.Ping(hctx, healthToken)
				cancel()
				if err == nil {
					continue
				}
			} else {
				// No answer within another interval: the server is hung.
				healthPending = false
				if msg, ok := b.hung(); ok {
					b.handle(msg)
				} else {
					probe, renew = true, true
				}
				continue
			}
		}
		var reply goredis.Error
		refusal := b.sharded && errors.As(err, &reply)
		// Retries after a refusal are not logged one by one.
		b.lostLog(err, false, !refusal || refused == 0)
		probe, healthPending, renew = true, false, true
		if refusal {
			// A node refusing a subscription (MOVED: its slot went to
			// another node) refuses it again after the reconnection: retry
			// with a backoff that the reconnection's replies do not reset,
			// up to once a second, logged once, until every channel is
			// confirmed again. The gap stays open meanwhile.
			if refused == 0 {
				b.log.Warn("liveview: redis sharded pub/sub: the node refused a subscription, retrying until it accepts", "err", err)
			}
			if b.onRefused != nil {
				b.onRefused(err)
			}
			wait := min(minBackoff<<min(refused, 5), maxBackoff)
			refused++
			select {
			case <-b.stop:
				return
			case <-time.After(wait):
			}
		}
	}
}

// inGap reports whether a gap is open.
func (b *Broker) inGap() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.gapStart.IsZero()
}

// renew replaces the PubSub of a sharded broker whose connection was lost
// by a new one, without channels, and closes the old one; it returns false
// once the broker is closed. go-redis resubscribes a PubSub's channels on
// its new connection with a single SSUBSCRIBE, which a cluster node
// refuses (CROSSSLOT) as soon as the channels are in different slots: the
// new PubSub dials and resubscribes nothing, and reconnected then
// subscribes every channel with local subscribers, one SSUBSCRIBE each.
// Only the reader calls it, while the connection is down: nobody else
// uses the PubSub then (Subscribe and release do not touch it).
func (b *Broker) renew() bool {
	b.subMu.Lock()
	if b.closed.Load() {
		b.subMu.Unlock()
		return false
	}
	old := b.ps
	b.ps = b.client.Subscribe(context.Background())
	clear(b.psChans)
	clear(b.unsubs)
	b.subMu.Unlock()
	_ = old.Close()
	return true
}

// hung drops the connection of a server that did not answer the health
// check and records the loss. If a reply arrived at the last moment, it
// returns it instead, and the connection stays.
func (b *Broker) hung() (msg any, ok bool) {
	// Under subMu, no Subscribe or release reaches the PubSub between the
	// drop and lost: go-redis would dial for it, holding subMu meanwhile.
	b.subMu.Lock()
	defer b.subMu.Unlock()
	// A read with a deadline in the past makes go-redis drop the
	// connection (its attempt to dial again fails at once, with that
	// deadline).
	dead, cancel := context.WithDeadline(context.Background(), time.Now())
	msg, err := b.ps.ReceiveTimeout(dead, 0)
	cancel()
	if err == nil {
		return msg, true
	}
	b.lost(fmt.Errorf("%w within %v", errNoPong, b.health), true)
	return nil, false
}

// handle processes one reply from the pub/sub connection.
func (b *Broker) handle(msg any) {
	b.answered()
	if m, ok := msg.(*goredis.Subscription); ok && b.sharded && m.Kind == "sunsubscribe" && b.unsubscribedByNode(m.Channel) {
		b.moved = m.Channel
	}
	b.mu.Lock()
	if !b.connected {
		b.mu.Unlock()
		b.reconnected()
		b.mu.Lock()
	}
	switch m := msg.(type) {
	case *goredis.Message:
		b.mu.Unlock()
		topic, ok := strings.CutPrefix(m.Channel, b.prefix)
		if !ok {
			return
		}
		payload, own := b.decode(m.Payload)
		if own {
			return // delivered locally when published
		}
		_ = b.mem.Publish(context.Background(), topic, payload)
		return
	case *goredis.Subscription:
		if m.Kind == "subscribe" || m.Kind == "ssubscribe" {
			delete(b.unconfirmed, m.Channel)
		}
	case *goredis.Pong:
		if w := b.waiters[m.Payload]; w != nil {
			delete(b.waiters, m.Payload)
			w.sub, w.err = b.mem.Subscribe(context.Background(), w.topic, w.handler)
			close(w.ready)
		}
	}
	var gap *Gap
	if !b.gapStart.IsZero() && len(b.unconfirmed) == 0 {
		gap = b.endGapLocked()
	}
	b.mu.Unlock()
	if gap != nil {
		b.log.Warn("liveview: redis pub/sub resubscribed; messages published during the gap were not delivered here",
			"gap", gap.Duration(), "channels", gap.Channels)
		b.gapEnded(*gap) // observe.go: WithGapHandler's, then WatchGaps'
	}
}

// reconnected records that the pub/sub connection answers (again), ending
// the fail-fast of Publish and Subscribe, and gives go-redis the channels
// that Subscribe and release did not give it while the connection was down:
// it subscribes the channels that gained local subscribers meanwhile (their
// confirmations end the gap) and unsubscribes those that lost them all.
func (b *Broker) reconnected() {
	b.subMu.Lock()
	defer b.subMu.Unlock()
	b.mu.Lock()
	b.connected, b.downErr = true, nil
	b.down.Store(false)
	var add, drop []string
	for ch := range b.refs {
		if _, ok := b.psChans[ch]; !ok {
			add = append(add, ch)
		}
	}
	for ch := range b.psChans {
		if _, ok := b.refs[ch]; !ok {
			drop = append(drop, ch)
		}
	}
	b.mu.Unlock()
	b.log.Debug("liveview: redis pub/sub connected")
	if len(add) == 0 && len(drop) == 0 {
		return
	}
	// Writes only: the replies come to the reader, after this returns. A
	// failed write makes go-redis reconnect, and resubscribe psChans.
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	if len(add) > 0 {
		for _, ch := range add {
			b.psChans[ch] = struct{}{}
		}
		_ = b.psSubscribe(ctx, add...)
	}
	if len(drop) > 0 {
		for _, ch := range drop {
			delete(b.psChans, ch)
		}
		_ = b.psUnsubscribe(ctx, drop...)
	}
}

// lost records that the pub/sub connection failed with err; hang: it went
// silent, which was noticed two health intervals after its last reply.
func (b *Broker) lost(err error, hang bool) { b.lostLog(err, hang, true) }

// lostLog is lost, logging the loss only if log is set.
func (b *Broker) lostLog(err error, hang, log bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return
	}
	wasConnected := b.connected
	b.connected, b.downErr = false, err
	b.down.Store(true)
	if wasConnected {
		b.stats.Disconnects++
		if hang {
			b.stats.Hangs++
		}
		if log {
			b.log.Warn("liveview: redis pub/sub connection lost, reconnecting", "err", err, "channels", len(b.refs))
		}
	}
	if len(b.refs) > 0 && b.gapStart.IsZero() {
		b.startGapLocked(err)
		if hang {
			b.gapStart = b.gapStart.Add(-2 * b.health)
		}
		for ch := range b.refs {
			b.unconfirmed[ch] = struct{}{}
		}
	}
	// Pending Subscribes will not get their PING's reply.
	for token, w := range b.waiters {
		delete(b.waiters, token)
		if b.local {
			w.sub, w.err = b.mem.Subscribe(context.Background(), w.topic, w.handler)
		} else {
			w.err = fmt.Errorf("pub/sub connection lost: %w", err)
		}
		close(w.ready)
	}
}

func (b *Broker) startGapLocked(err error) {
	b.gapStart, b.gapErr = time.Now(), err
}

// endGapLocked ends the current gap, if any, and returns it.
func (b *Broker) endGapLocked() *Gap {
	if b.gapStart.IsZero() {
		return nil
	}
	g := &Gap{Start: b.gapStart, End: time.Now(), Channels: len(b.refs), Err: b.gapErr}
	b.gapStart, b.gapErr = time.Time{}, nil
	b.localWarned = false
	clear(b.unconfirmed)
	b.stats.Gaps++
	b.stats.GapTime += g.Duration()
	return g
}
