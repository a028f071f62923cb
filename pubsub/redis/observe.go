package redis

import (
	"sync"
	"time"
)

// gapWatchers are the functions WatchGaps added, called after the
// WithGapHandler one.
type gapWatchers struct {
	mu  sync.Mutex
	fns map[*gapWatch]struct{}
}

type gapWatch struct {
	fn func(start, end time.Time, err error)
}

// WatchGaps adds fn to the functions called after every gap, like the
// WithGapHandler one (after it, on the same goroutine, with the same
// rules: return quickly, do not call Close), and returns a function that
// removes it. The liveview Hub calls it by itself when Config.Hooks has a
// BrokerGap hook: nothing to wire up.
func (b *Broker) WatchGaps(fn func(start, end time.Time, err error)) (stop func()) {
	w := &gapWatch{fn: fn}
	b.gapWatch.mu.Lock()
	if b.gapWatch.fns == nil {
		b.gapWatch.fns = make(map[*gapWatch]struct{})
	}
	b.gapWatch.fns[w] = struct{}{}
	b.gapWatch.mu.Unlock()
	return func() {
		b.gapWatch.mu.Lock()
		delete(b.gapWatch.fns, w)
		b.gapWatch.mu.Unlock()
	}
}

// gapEnded calls the gap handler and the watchers with g.
func (b *Broker) gapEnded(g Gap) {
	if b.onGap != nil {
		b.onGap(g)
	}
	b.gapWatch.mu.Lock()
	fns := make([]func(start, end time.Time, err error), 0, len(b.gapWatch.fns))
	for w := range b.gapWatch.fns {
		fns = append(fns, w.fn)
	}
	b.gapWatch.mu.Unlock()
	for _, fn := range fns {
		fn(g.Start, g.End, g.Err)
	}
}

// BrokerStats returns Stats, for the liveview Hub's Stats (its "broker").
func (b *Broker) BrokerStats() any { return b.Stats() }
