package redis

import "time"

// Kill stops t as a crash would: no goodbye, its entries stay in Redis until
// their lease expires.
func Kill(t *Tracker) { _ = t.shutdown(false) }

// Cycle runs one round of t's background upkeep (heartbeat, liveness,
// syncs) now, on the caller's goroutine, as its loop does every interval.
func Cycle(t *Tracker) { t.cycle() }

// LoseMessages makes t's next n change messages get lost: written to
// Redis, never published, and t not told (as when a subscriber's
// connection drops one without a gap being seen).
func LoseMessages(t *Tracker, n int) { t.losePublish.Store(int32(n)) }

// SetSyncBudget sets how long one pass of t's syncs may take (lease/4).
func SetSyncBudget(t *Tracker, d time.Duration) {
	t.cycleMu.Lock()
	t.syncBudget = d
	t.cycleMu.Unlock()
}

// Wanting returns the number of t's ready replicas waiting for a sync.
func Wanting(t *Tracker) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, r := range t.replicas {
		if isClosed(r.ready) && r.err == nil && r.want {
			n++
		}
	}
	return n
}

// WantSyncAll marks every replica of t as wanting a sync, as a gap in the
// notifications does.
func WantSyncAll(t *Tracker) { t.wantSyncAll() }
