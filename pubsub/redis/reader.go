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
// waiting for a handler, and reconnects when the connection fails.
func (b *Broker) read() {
	defer close(b.readDone)
	ctx := context.Background()
	backoff := minBackoff
	probe, healthPending := true, false
	for {
		select {
		case <-b.stop:
			return
		default:
		}
		if probe {
			// Dials when needed; go-redis resubscribes every channel first.
			pctx, cancel := context.WithTimeout(ctx, b.timeout)
			err := b.ps.Ping(pctx, probeToken)
			cancel()
			if err != nil {
				b.lost(err)
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
		// (TestSilentServer); go-redis's own Channel only notices when a
		// write fails, minutes later. Known limit: a reply that starts
		// arriving just before the deadline and ends after it leaves the
		// reader mid-reply, and that message may be lost unreported. It
		// takes a reply straddling the deadline after healthInterval of
		// silence, which for the usual payloads arrive whole within
		// microseconds.
		msg, err := b.ps.ReceiveTimeout(ctx, healthInterval)
		if err != nil {
			if b.closed.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if !healthPending {
					healthPending = true
					hctx, cancel := context.WithTimeout(ctx, b.timeout)
					err = b.ps.Ping(hctx, healthToken)
					cancel()
					if err == nil {
						continue
					}
				} else {
					// No answer for two intervals: a read with a deadline in
					// the past makes go-redis drop the connection.
					dead, cancel := context.WithDeadline(ctx, time.Now())
					msg, err = b.ps.ReceiveTimeout(dead, 0)
					cancel()
					if err == nil {
						healthPending = false
						b.handle(msg)
						continue
					}
					err = errNoPong
				}
			}
			b.lost(err)
			probe, healthPending = true, false
			continue
		}
		healthPending, backoff = false, minBackoff
		b.handle(msg)
	}
}

// handle processes one reply from the pub/sub connection.
func (b *Broker) handle(msg any) {
	b.mu.Lock()
	if !b.connected {
		b.connected, b.down = true, false
		b.log.Debug("liveview: redis pub/sub connected")
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
		if m.Kind == "subscribe" {
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
		if b.onGap != nil {
			b.onGap(*gap)
		}
	}
}

// lost records that the pub/sub connection failed with err.
func (b *Broker) lost(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return
	}
	wasConnected := b.connected
	b.connected, b.down = false, true
	if wasConnected {
		b.stats.Disconnects++
		b.log.Warn("liveview: redis pub/sub connection lost, reconnecting", "err", err, "channels", len(b.refs))
	}
	if len(b.refs) > 0 && b.gapStart.IsZero() {
		b.startGapLocked(err)
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
	clear(b.unconfirmed)
	b.stats.Gaps++
	b.stats.GapTime += g.Duration()
	return g
}
