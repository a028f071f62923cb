package redis

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
