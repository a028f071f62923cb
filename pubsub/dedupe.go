package pubsub

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"
)

// ErrDedupeFull is returned by [Dedupe.ClaimEvent] when the store holds
// its maximum of bytes: it records no new event until records expire.
var ErrDedupeFull = errors.New("liveview: dedupe store full")

// DefaultDedupeBytes is the default bound of a [Dedupe]: 64 MiB of keys and
// values, each record counted with 64 bytes of overhead.
const DefaultDedupeBytes = 64 << 20

// dedupeOverhead is what a record counts besides its key and value.
const dedupeOverhead = 64

// Dedupe is an in-process store of event records with a time to live: the
// dedupe store of liveview's exactly-once events (liveview.DedupeStore) for
// Hubs that share one process. [Memory] has one (its ClaimEvent and
// CompleteEvent methods), so Hubs sharing a Memory broker share their
// records. It is bounded in bytes (see NewDedupe). Its methods are safe
// for concurrent use; the zero value is not ready: use NewDedupe.
type Dedupe struct {
	mu    sync.Mutex
	max   int
	size  int
	recs  map[string]dedupeRec
	order []dedupeExp // in the order of writes: expiry candidates
	head  int
	now   func() time.Time
}

type dedupeRec struct {
	val []byte
	exp time.Time
}

type dedupeExp struct {
	key string
	exp time.Time
}

// NewDedupe returns an empty store of at most maxBytes bytes (keys, values
// and 64 bytes per record); maxBytes <= 0 means DefaultDedupeBytes.
func NewDedupe(maxBytes int) *Dedupe {
	if maxBytes <= 0 {
		maxBytes = DefaultDedupeBytes
	}
	return &Dedupe{max: maxBytes, recs: make(map[string]dedupeRec), now: time.Now}
}

// ClaimEvent stores val under key for ttl unless key holds an unexpired
// record, atomically. It reports claimed true when it stored val; else it
// returns the record's value (which the caller must not modify). A store
// at its bound claims nothing and returns an error wrapping ErrDedupeFull.
func (d *Dedupe) ClaimEvent(_ context.Context, key string, val []byte, ttl time.Duration) ([]byte, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(now)
	if r, ok := d.recs[key]; ok && r.exp.After(now) {
		return r.val, false, nil
	}
	if d.size+len(key)+len(val)+dedupeOverhead > d.max {
		return nil, false, ErrDedupeFull
	}
	d.put(key, bytes.Clone(val), now.Add(ttl))
	return nil, true, nil
}

// CompleteEvent replaces the record of key by val for ttl if the record
// is still claim (or already val: a call made again), atomically, and
// reports whether it did: false means the claim expired and the key is
// free or holds another claim, which it leaves alone. When val does not
// fit in the store's bound, the record keeps its first byte only (a
// record without frames).
func (d *Dedupe) CompleteEvent(_ context.Context, key string, claim, val []byte, ttl time.Duration) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(now)
	old, had := d.recs[key]
	if !had || !old.exp.After(now) || !(bytes.Equal(old.val, claim) || bytes.Equal(old.val, val)) {
		return false, nil
	}
	if d.size-len(old.val)+len(val) > d.max && len(val) > 1 {
		val = val[:1]
	}
	d.put(key, bytes.Clone(val), now.Add(ttl))
	return true, nil
}

// put stores a record, replacing any old one.
func (d *Dedupe) put(key string, val []byte, exp time.Time) {
	if old, ok := d.recs[key]; ok {
		d.size -= len(key) + len(old.val) + dedupeOverhead
	}
	d.recs[key] = dedupeRec{val: val, exp: exp}
	d.size += len(key) + len(val) + dedupeOverhead
	d.order = append(d.order, dedupeExp{key: key, exp: exp})
}

// expire deletes the records whose expiry, as written first in order, has
// passed; a record written again later has a later entry of its own.
func (d *Dedupe) expire(now time.Time) {
	for d.head < len(d.order) && !d.order[d.head].exp.After(now) {
		e := d.order[d.head]
		d.order[d.head] = dedupeExp{}
		d.head++
		if r, ok := d.recs[e.key]; ok && !r.exp.After(now) {
			delete(d.recs, e.key)
			d.size -= len(e.key) + len(r.val) + dedupeOverhead
		}
	}
	if d.head > 1024 && d.head*2 > len(d.order) {
		d.order = append([]dedupeExp(nil), d.order[d.head:]...)
		d.head = 0
	}
}

// Len returns the number of records held, expired ones not yet removed
// included. For tests and metrics.
func (d *Dedupe) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.recs)
}

// Bytes returns the bytes the store counts against its bound.
func (d *Dedupe) Bytes() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.size
}

// records returns the Memory's dedupe store, made on first use.
func (m *Memory) records() *Dedupe {
	m.dedupeOnce.Do(func() { m.dedupe = NewDedupe(0) })
	return m.dedupe
}

// ClaimEvent is [Dedupe.ClaimEvent] on the broker's own store (bounded to
// DefaultDedupeBytes): the Hubs that share this Memory share their event
// records (liveview.DedupeStore). It works after Close too.
func (m *Memory) ClaimEvent(ctx context.Context, key string, val []byte, ttl time.Duration) ([]byte, bool, error) {
	return m.records().ClaimEvent(ctx, key, val, ttl)
}

// CompleteEvent is [Dedupe.CompleteEvent] on the broker's own store.
func (m *Memory) CompleteEvent(ctx context.Context, key string, claim, val []byte, ttl time.Duration) (bool, error) {
	return m.records().CompleteEvent(ctx, key, claim, val, ttl)
}

// StoreValues stores val under key for ttl, replacing what key held: the
// value store of liveview's kept values (liveview.ValueStore), within the
// same bound as the event records (an error wrapping ErrDedupeFull at it).
// Keys are the caller's: liveview's do not collide with event ids.
func (d *Dedupe) StoreValues(_ context.Context, key string, val []byte, ttl time.Duration) error {
	key = valuesPrefix + key
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(now)
	grow := len(key) + len(val) + dedupeOverhead
	if old, ok := d.recs[key]; ok {
		grow -= len(key) + len(old.val) + dedupeOverhead
	}
	if d.size+grow > d.max {
		return ErrDedupeFull
	}
	d.put(key, bytes.Clone(val), now.Add(ttl))
	return nil
}

// LoadValues returns what StoreValues stored under key, nil when nothing
// or expired (a copy).
func (d *Dedupe) LoadValues(_ context.Context, key string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(now)
	if r, ok := d.recs[valuesPrefix+key]; ok && r.exp.After(now) {
		return bytes.Clone(r.val), nil
	}
	return nil, nil
}

// valuesPrefix keeps the keys of kept values apart from event ids (which
// never hold a space).
const valuesPrefix = "values "

// StoreValues is [Dedupe.StoreValues] on the broker's own store: the Hubs
// that share this Memory share their kept values (liveview.ValueStore).
func (m *Memory) StoreValues(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return m.records().StoreValues(ctx, key, val, ttl)
}

// LoadValues is [Dedupe.LoadValues] on the broker's own store.
func (m *Memory) LoadValues(ctx context.Context, key string) ([]byte, error) {
	return m.records().LoadValues(ctx, key)
}
