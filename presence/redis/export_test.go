package redis

// Kill stops t as a crash would: no goodbye, its entries stay in Redis until
// their lease expires.
func Kill(t *Tracker) { _ = t.shutdown(false) }
