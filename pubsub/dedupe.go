package pubsub

import (
	"bytes"
	"context"
	"errors"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrDedupeFull is returned by [Dedupe.ClaimEvent] and [Dedupe.StoreValues]
// for a record that could never fit: larger than a sixteenth of the
// store's bound (one shard's share).
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
// records. Its methods are safe for concurrent use: keys are spread over
// 16 shards, each with its lock and a sixteenth of the bound, so events on
// different cores rarely wait for each other. The zero value is not ready:
// use NewDedupe.
//
// Records expire on time: each shard keeps a queue of expiry times per
// time to live in use (the Hub uses three: Config.DedupeLease,
// Config.DedupeTTL, Config.KeepTTL), so a 30-minute value never holds back
// the removal of a 30-second claim written after it.
//
// A store at its bound never refuses a record that fits in a shard: it
// drops unexpired records to make room, those of the longest time to live
// first (kept values, then event records, then claims of running events),
// oldest first, and counts them ([Dedupe.Evicted]). So a flood of events
// (one visitor with many connections, say) shortens how long records are
// kept, for everyone, but never stops events from running; a duplicate of
// a dropped record runs again. A record of the Hub counts 82 bytes without
// frames and 138 with a short answer's three (measured: BenchmarkOnce,
// TestOnceFloodDoesNotStopOthers), so the default bound holds 480,000 to
// 800,000 records: 4,000 to 6,800 events a second for two minutes.
type Dedupe struct {
	max     int // per shard
	seed    maphash.Seed
	shards  [dedupeShards]dedupeShard
	evicted atomic.Uint64
	now     func() time.Time
}

// dedupeShards is the number of shards of a Dedupe.
const dedupeShards = 16

// dedupeQueues is the number of distinct times to live a shard expires in
// exact order; records with further ones share the last queue, where one
// with a long time to live may hold back the removal (not the expiry) of
// shorter ones written after it.
const dedupeQueues = 4

type dedupeShard struct {
	mu     sync.Mutex
	size   int // bytes counted against the shard's bound
	recs   map[string]dedupeRec
	queues []dedupeQueue // by time to live, longest first
	_      [64]byte      // keeps shards' locks on separate cache lines
}

// dedupeQueue holds the expiry times of the records written with one time
// to live, in the order of writes: nondecreasing.
type dedupeQueue struct {
	ttl   time.Duration
	order []dedupeExp
	head  int
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
	d := &Dedupe{max: max(1, maxBytes/dedupeShards), seed: maphash.MakeSeed(), now: time.Now}
	for i := range d.shards {
		d.shards[i].recs = make(map[string]dedupeRec)
	}
	return d
}

// shard returns key's shard, locked, with its expired records removed, and
// the time now.
func (d *Dedupe) shard(key string) (*dedupeShard, time.Time) {
	sh := &d.shards[maphash.String(d.seed, key)%dedupeShards]
	sh.mu.Lock()
	now := d.now()
	sh.expire(now)
	return sh, now
}

// ClaimEvent stores val under key for ttl unless key holds an unexpired
// record, atomically. It reports claimed true when it stored val; else it
// returns the record's value (which the caller must not modify). A record
// larger than a shard's share of the bound is refused with an error
// wrapping ErrDedupeFull.
func (d *Dedupe) ClaimEvent(_ context.Context, key string, val []byte, ttl time.Duration) ([]byte, bool, error) {
	sh, now := d.shard(key)
	defer sh.mu.Unlock()
	if r, ok := sh.recs[key]; ok && r.exp.After(now) {
		return r.val, false, nil
	}
	if !d.put(sh, key, val, now, ttl) {
		return nil, false, ErrDedupeFull
	}
	return nil, true, nil
}

// CompleteEvent replaces the record of key by val for ttl if the record
// is still claim (or already val: a call made again), atomically, and
// reports whether it did: false means the claim expired and the key is
// free or holds another claim, which it leaves alone. When val does not
// fit in a shard's share of the bound, the record keeps its first byte
// only (a record without frames).
func (d *Dedupe) CompleteEvent(_ context.Context, key string, claim, val []byte, ttl time.Duration) (bool, error) {
	sh, now := d.shard(key)
	defer sh.mu.Unlock()
	old, had := sh.recs[key]
	if !had || !old.exp.After(now) || !(bytes.Equal(old.val, claim) || bytes.Equal(old.val, val)) {
		return false, nil
	}
	if !d.put(sh, key, val, now, ttl) {
		d.put(sh, key, val[:min(len(val), 1)], now, ttl) // fits: a key is short
	}
	return true, nil
}

// put stores a copy of val under key for ttl from now, replacing what key
// held, and makes room by evicting other records if need be. It reports
// false, storing nothing, when the record could never fit.
func (d *Dedupe) put(sh *dedupeShard, key string, val []byte, now time.Time, ttl time.Duration) bool {
	need := len(key) + len(val) + dedupeOverhead
	if need > d.max {
		return false
	}
	if old, ok := sh.recs[key]; ok { // its queue entry becomes stale
		delete(sh.recs, key)
		sh.size -= len(key) + len(old.val) + dedupeOverhead
	}
	for sh.size+need > d.max && sh.evictOne() {
		d.evicted.Add(1)
	}
	exp := now.Add(ttl)
	sh.recs[key] = dedupeRec{val: bytes.Clone(val), exp: exp}
	sh.size += need
	q := sh.queue(ttl)
	q.order = append(q.order, dedupeExp{key: key, exp: exp})
	return true
}

// queue returns the expiry queue of ttl, made if there is room for one;
// the queues stay sorted by time to live, longest first.
func (sh *dedupeShard) queue(ttl time.Duration) *dedupeQueue {
	for i := range sh.queues {
		if sh.queues[i].ttl == ttl {
			return &sh.queues[i]
		}
	}
	if len(sh.queues) == dedupeQueues {
		return &sh.queues[len(sh.queues)-1]
	}
	i := 0
	for i < len(sh.queues) && sh.queues[i].ttl > ttl {
		i++
	}
	sh.queues = slices.Insert(sh.queues, i, dedupeQueue{ttl: ttl})
	return &sh.queues[i]
}

// evictOne deletes the oldest record of the longest time to live (stale
// queue entries, of records written again or deleted since, are skipped)
// and reports whether there was one.
func (sh *dedupeShard) evictOne() bool {
	for i := range sh.queues {
		q := &sh.queues[i]
		for q.head < len(q.order) {
			e := q.pop()
			if r, ok := sh.recs[e.key]; ok && r.exp.Equal(e.exp) {
				delete(sh.recs, e.key)
				sh.size -= len(e.key) + len(r.val) + dedupeOverhead
				return true
			}
		}
	}
	return false
}

// pop removes and returns q's head.
func (q *dedupeQueue) pop() dedupeExp {
	e := q.order[q.head]
	q.order[q.head] = dedupeExp{}
	q.head++
	if q.head > 1024 && q.head*2 > len(q.order) {
		q.order = append([]dedupeExp(nil), q.order[q.head:]...)
		q.head = 0
	}
	return e
}

// expire deletes sh's records whose expiry has passed: each queue from its
// head while its entries have expired. A record written again later has a
// later entry of its own, so an entry deletes its key only if the record
// held has expired.
func (sh *dedupeShard) expire(now time.Time) {
	for i := range sh.queues {
		q := &sh.queues[i]
		for q.head < len(q.order) && !q.order[q.head].exp.After(now) {
			e := q.pop()
			if r, ok := sh.recs[e.key]; ok && !r.exp.After(now) {
				delete(sh.recs, e.key)
				sh.size -= len(e.key) + len(r.val) + dedupeOverhead
			}
		}
	}
}

// Len returns the number of records held, after removing the expired
// ones. For tests and metrics.
func (d *Dedupe) Len() int {
	n := 0
	for i := range d.shards {
		sh := &d.shards[i]
		sh.mu.Lock()
		sh.expire(d.now())
		n += len(sh.recs)
		sh.mu.Unlock()
	}
	return n
}

// Bytes returns the bytes the store counts against its bound.
func (d *Dedupe) Bytes() int {
	n := 0
	for i := range d.shards {
		sh := &d.shards[i]
		sh.mu.Lock()
		n += sh.size
		sh.mu.Unlock()
	}
	return n
}

// Evicted returns the number of unexpired records dropped so far to make
// room at the store's bound. For metrics: a store that evicts keeps
// records for less than their time to live.
func (d *Dedupe) Evicted() uint64 { return d.evicted.Load() }

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
// same bound as the event records (an error wrapping ErrDedupeFull for a
// value that could never fit; at the bound, older records are evicted).
// Keys are the caller's: liveview's do not collide with event ids.
func (d *Dedupe) StoreValues(_ context.Context, key string, val []byte, ttl time.Duration) error {
	key = valuesPrefix + key
	sh, now := d.shard(key)
	defer sh.mu.Unlock()
	if !d.put(sh, key, val, now, ttl) {
		return ErrDedupeFull
	}
	return nil
}

// LoadValues returns what StoreValues stored under key, nil when nothing
// or expired (a copy).
func (d *Dedupe) LoadValues(_ context.Context, key string) ([]byte, error) {
	key = valuesPrefix + key
	sh, now := d.shard(key)
	defer sh.mu.Unlock()
	if r, ok := sh.recs[key]; ok && r.exp.After(now) {
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
