// Package redis is a [presence.Tracker] shared by the instances of an
// application through Redis, using the caller's go-redis v9 client (a
// single server, a failover client or a ClusterClient) for its store and a
// [github.com/echo-liveview/liveview/pubsub/redis.Broker] for its change
// notifications.
//
//	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	tracker := redis.New(rdb, redis.WithPrefix("myapp:presence:"))
//	defer tracker.Close() // before rdb.Close()
//
// # Redis use
//
// Each Tracker gets a random instance id when it is created (never derived
// from an address, so a restarted process is a new instance and cannot
// bring back the entries of the dead one).
//
// Liveness is in one place: a sorted set <prefix>instances of instance id
// -> lease expiry (in Redis's clock, so the instances' clocks do not
// matter). Every interval (the sync interval, at most lease/4) each
// instance runs one script on it that renews its own lease and returns the
// whole set: that is the instance's whole steady-state upkeep, whatever
// the number of topics.
//
// Per topic T and instance I it keeps a hash <prefix>{T}:I (field = Ref,
// value = Key and Meta, plus one field with I's sequence number) and a set
// <prefix>{T} of the instances with entries in T; the hash tag {T} keeps a
// topic on one Cluster slot, so the Lua scripts that change a topic are
// atomic there. A set <prefix>topics:I lists the topics I has a hash in
// (written before the hash), so that the others can collect them when I
// dies. These keys are not renewed by the heartbeat: they carry a long
// safety TTL (24 hours, or 100 leases if longer), set on every write and
// renewed by their live owner when it is half gone, so that nothing stays
// behind for ever when every instance is gone. The liveness set and
// <prefix>topics:I live on slots of their own; no command or script
// touches keys of two slots.
//
// A Track or Untrack is one script (one round trip) followed by one
// PUBLISH on the channel <prefix>{T}, through which the other instances'
// replicas follow within milliseconds. A Watch keeps a replica of its
// topic (one per topic and instance, shared by its Watches): the messages
// keep it, and each carries the sequence number of its instance's previous
// write in the topic, so that a replica that missed one sees it at the
// next and reads the topic again (one script). A replica reads its topic
// only then: when the Watch starts, after a lost message, after a gap of
// the notifications reported by the broker (every replica, once), and
// when another instance announces that it rewrote its hash (a Redis
// restart). An instance's part of a replica never goes back to an older
// state (each hash carries the instance's sequence number). List of a
// watched topic answers from the replica; of another topic, it reads
// Redis (one script, and one read of the liveness set if the topic has
// entries of instances the last one read did not show alive).
//
// When the liveness set says an instance's lease expired, every other
// instance drops that instance's parts from its replicas at once, locally,
// and the live instances collect its keys: up to 100 of its topics per
// instance per interval (one pipeline), then its entry in the set, a lease
// later. An instance that finds its own lease gone or expired (Redis lost
// its data, or the instance was cut off for longer than the lease) takes a
// new random id and rewrites its hashes under it; its old id expires and
// is collected like a dead instance's, so that no collection can ever hit
// the new hashes.
//
// # Cost on Redis
//
// Per instance, with p = min(lease/4, sync interval) (2.5s by default):
//
//   - Steady state: 1 script per p (TIME, ZSCORE, ZADD, PEXPIRE and a ZRANGE
//     of the liveness set inside: O(instances) work), and nothing per
//     topic: 0.4 commands/s per instance with the defaults, 8/s for 20
//     instances however many topics they track and watch.
//   - Per change: 1 script + 1 PUBLISH; the first entry of an instance in a
//     topic adds 1 pipelined SADD+PEXPIRE, its last one's removal 1 SREM.
//   - Safety TTLs: 2 PEXPIREs per tracked topic every 12 hours, pipelined
//     1,000 topics at a time (2.3 commands/s for 50,000 topics).
//   - A Watch's start: 1 script (+1 liveness read at most).
//   - An instance dying with D topics: D/100 pipelines of 2 commands per
//     topic, spread over the live instances, then 1 ZREM.
//   - Rare events: a lost message costs 1 script (that topic); a
//     notification gap 1 script per watched topic; a Redis restart 1 script
//     per tracked topic (the rewrite) plus 1 per watched topic per
//     rewriting instance (coalesced while pending). These reads go one
//     topic at a time, at most lease/4 of them per upkeep round, the rest
//     in the next rounds: a resync of many topics never delays the
//     heartbeat past lease/2.
//
// # Bounds
//
//   - Convergence: a change reaches every replica with its PUBLISH, within
//     milliseconds; a lost message with the next message of its instance
//     in the topic, or the next gap report; a PUBLISH that failed is
//     announced again (as a reread) the next interval. List of an
//     unwatched topic is exact once the writer's call has returned.
//   - Dead instances (kill -9, no goodbye): their lease expires at most a
//     lease after their last heartbeat, and every instance reads the
//     liveness set every interval and drops them from its replicas and its
//     Lists: within lease + sync interval of the death (12.5s with the
//     defaults), plus a Redis round trip. A Close removes the instance's
//     entries everywhere at once.
//   - Redis restart (data lost): every instance notices at its next
//     heartbeat (its lease is gone), takes a new id and rewrites its
//     hashes whole, in one script each, so that no instance ever sees a
//     partial or duplicated one, and announces each rewrite with its old
//     id: a replica replaces the old id's part by the new one in one step,
//     so a restart causes no flapping Leaves and Joins. For lease + sync
//     interval after noticing, a replica keeps the parts of other
//     instances that Redis no longer has (they are being rewritten by their
//     live owners); the entries of an instance that died during that time
//     go at the end of it. Lists converge within an interval and the
//     rewrites of Redis answering again.
//   - An instance cut off from Redis for longer than the lease (frozen,
//     partitioned) is taken for dead by the others, who deliver its
//     Leaves; when it gets through again it takes a new id, rewrites its
//     hashes and its entries join again. Meanwhile it keeps its own
//     replica, and treats Redis as having lost data (see above).
//   - Faults: every Redis call is bounded by [WithTimeout] (1s by default;
//     go-redis's retries can add up to one more such wait). A call that
//     times out marks Redis unavailable: until a heartbeat gets an answer
//     again, Track, Untrack, List of an unwatched topic and Watch of a new
//     topic fail at once with an error wrapping [presence.ErrUnavailable],
//     instead of each waiting. Track and Untrack apply the change locally
//     regardless; the next interval writes it to Redis once it answers.
//   - Limits: Meta at most 4 KiB and 10,000 entries per topic per instance
//     by default ([WithLimits]); what is read from Redis or the channels
//     is checked against the same limits and skipped when it breaks them
//     or is malformed (and logged, once per read).
//
// All instances of an application must use the same prefix, lease and
// limits.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/pubsub"
	psredis "github.com/echo-liveview/liveview/pubsub/redis"
)

// Defaults of the options.
const (
	DefaultPrefix  = "liveview:presence:"
	DefaultLease   = 10 * time.Second
	DefaultTimeout = time.Second
)

// Option configures a Tracker.
type Option func(*Tracker)

// WithPrefix sets the prefix of every Redis key and channel name.
// Default: DefaultPrefix.
func WithPrefix(p string) Option { return func(t *Tracker) { t.prefix = p } }

// WithLease sets the lease: how long an instance counts as alive after its
// last heartbeat (one every lease/4 or sync interval, the shorter). A dead
// instance's entries disappear within lease + sync interval. d <= 0 keeps
// the default. Default: DefaultLease (10s).
func WithLease(d time.Duration) Option {
	return func(t *Tracker) {
		if d > 0 {
			t.lease = d
		}
	}
}

// WithSyncInterval sets how often each instance reads the liveness set (in
// its heartbeat, which runs at least every lease/4), and so how soon after
// a lease expires the dead instance's entries go. It costs one command per
// interval per instance, whatever the number of topics: the replicas do
// not re-read their topics periodically. d <= 0 keeps the default.
// Default: lease/4.
func WithSyncInterval(d time.Duration) Option {
	return func(t *Tracker) {
		if d > 0 {
			t.syncEvery = d
		}
	}
}

// WithTimeout bounds each Redis operation (and each PUBLISH of the
// tracker's broker). d <= 0 keeps the default. Default: DefaultTimeout (1s).
func WithTimeout(d time.Duration) Option {
	return func(t *Tracker) {
		if d > 0 {
			t.timeout = d
		}
	}
}

// WithLimits sets the limits on Meta and entries (zero fields keep their
// defaults). Default: presence.Limits{} (4 KiB, 10,000).
func WithLimits(l presence.Limits) Option { return func(t *Tracker) { t.limits = l.WithDefaults() } }

// WithLogger sets where the tracker (and its broker) logs faults; nil keeps
// the default. Default: slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(t *Tracker) {
		if l != nil {
			t.log = l
		}
	}
}

// Tracker is a [presence.Tracker] over Redis; see the package
// documentation. Create it with [New]; all methods are safe for concurrent
// use.
type Tracker struct {
	client goredis.UniversalClient
	// cmd runs the commands: for a *goredis.Client, a clone sharing its
	// pool with read and write timeouts of at most timeout; else client,
	// and detach is set: commands run on a goroutine of their own that
	// the caller stops waiting for at the bound.
	cmd    goredis.UniversalClient
	detach bool
	broker *psredis.Broker

	prefix    string
	lease     time.Duration
	syncEvery time.Duration
	// syncBudget bounds one pass of syncs (loop.go, syncAll): a long
	// resync, of every watched topic after a gap, is spread over several
	// upkeep rounds so that the heartbeat between them keeps the lease.
	syncBudget time.Duration
	timeout    time.Duration
	limits     presence.Limits
	log        *slog.Logger

	seq     atomic.Uint64
	closed  atomic.Bool
	stalled atomic.Bool // a command timed out and Redis has answered nothing since
	stop    chan struct{}
	done    chan struct{} // the loop exited
	wake    chan struct{} // capacity 1: a replica wants a sync
	kick    chan struct{} // capacity 1: run an upkeep round now
	first   chan struct{} // closed after the first heartbeat's attempt

	firstOnce   sync.Once
	losePublish atomic.Int32 // tests: the next n change messages are lost (never sent)
	cycleMu     sync.Mutex   // one upkeep round or syncAll at a time

	// opsMu and ops track the detached commands, so that Close waits
	// for them: draining is set under the write lock before the Wait.
	opsMu    sync.RWMutex
	ops      sync.WaitGroup
	draining bool

	mu       sync.Mutex
	id       string // this instance's id; a new one after Redis lost it
	prevID   string // the id before the last change, or ""
	retired  map[string]bool
	epoch    uint64 // counts the id changes
	own      map[string]*ownTopic
	replicas map[string]*replica
	aliveSet bool      // the instance is registered in the liveness set
	lostAt   time.Time // when Redis was last found to have lost our keys
	live     *liveness // the last liveness set read, or nil
	// byID indexes the replicas' parts by instance id, and absent says
	// since when an id with parts is missing from the liveness set.
	byID          map[string]map[*replica]struct{}
	absent        map[string]time.Time
	topicsRenewed time.Time // of this instance's topics set's safety TTL
}

// ownTopic is this instance's entries in one topic.
type ownTopic struct {
	sem     chan struct{}             // capacity 1: orders this topic's writes to Redis
	entries map[string]presence.Entry // guarded by Tracker.mu
	dirty   bool                      // guarded by Tracker.mu: Redis may differ; rewrite it
	// Guarded by Tracker.mu, written under sem:
	lastSeq    uint64    // of the last write of the hash (0: no hash)
	registered bool      // the topic is in the instance's topics set
	renewed    time.Time // the hash's safety TTL was last set
	announce   bool      // a change message was lost: announce a reread
}

var _ presence.Tracker = (*Tracker)(nil)

// New returns a tracker that uses client for everything, and starts its
// heartbeat. It does not fail when Redis is down. The tracker never closes
// client: close the tracker first. A nil client panics.
func New(client goredis.UniversalClient, opts ...Option) *Tracker {
	if client == nil {
		panic("liveview: presence/redis.New: nil client")
	}
	t := &Tracker{
		client:   client,
		prefix:   DefaultPrefix,
		lease:    DefaultLease,
		timeout:  DefaultTimeout,
		limits:   presence.Limits{}.WithDefaults(),
		log:      slog.Default(),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
		kick:     make(chan struct{}, 1),
		first:    make(chan struct{}),
		own:      make(map[string]*ownTopic),
		replicas: make(map[string]*replica),
		retired:  make(map[string]bool),
		byID:     make(map[string]map[*replica]struct{}),
		absent:   make(map[string]time.Time),
	}
	for _, o := range opts {
		o(t)
	}
	if t.syncEvery == 0 {
		t.syncEvery = t.lease / 4
	}
	t.syncBudget = t.lease / 4
	t.id = newID()
	t.cmd, t.detach = client, true
	if c, ok := client.(*goredis.Client); ok {
		d := t.timeout
		o := c.Options()
		for _, x := range []time.Duration{o.ReadTimeout, o.WriteTimeout} {
			if x > 0 && x < d {
				d = x
			}
		}
		t.cmd, t.detach = c.WithTimeout(d), false
	}
	t.broker = psredis.New(client,
		psredis.WithPrefix(t.prefix),
		psredis.WithLogger(t.log),
		psredis.WithPublishTimeout(t.timeout),
		psredis.WithTimeout(max(t.timeout, psredis.DefaultTimeout)),
		psredis.WithGapHandler(func(psredis.Gap) { t.wantSyncAll() }),
	)
	go t.loop()
	return t
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ID returns the tracker's instance id: 32 hex digits, random per New, and
// replaced by a new random one when Redis lost this instance's lease (a
// Redis restart, or the instance cut off from Redis for longer than the
// lease).
func (t *Tracker) ID() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.id
}

// Lease returns the lease (see WithLease).
func (t *Tracker) Lease() time.Duration { return t.lease }

// Bound returns lease + sync interval: the bound within which the entries
// of an instance that died disappear from this one's replicas.
func (t *Tracker) Bound() time.Duration { return t.lease + t.syncEvery }

func (t *Tracker) hashKey(topic, id string) string { return t.prefix + "{" + topic + "}:" + id }
func (t *Tracker) indexKey(topic string) string    { return t.prefix + "{" + topic + "}" }
func (t *Tracker) instancesKey() string            { return t.prefix + "instances" }
func (t *Tracker) topicsKey(id string) string      { return t.prefix + "topics:" + id }
func channel(topic string) string                  { return "{" + topic + "}" }

// safety is the TTL of every key the tracker writes: much longer than the
// lease, so that it costs nothing in steady state (the live instances set
// it on writes and renew it every safety/2), and only makes sure that
// nothing stays behind forever when every instance is gone.
func (t *Tracker) safety() time.Duration { return max(24*time.Hour, 100*t.lease) }
func ms(d time.Duration) string          { return strconv.FormatInt(d.Milliseconds(), 10) }

var errStalled = errors.New("liveview: presence: redis: no answer since a command timed out")

// do runs fn against Redis bounded by the timeout, and turns its error into
// the tracker's: ctx's error if ctx is done, else one wrapping
// presence.ErrUnavailable. While Redis is known to be stalled, it fails at
// once, unless probe is set (the heartbeat's own commands).
func (t *Tracker) do(ctx context.Context, op string, probe bool, fn func(context.Context, goredis.UniversalClient) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("liveview: presence: redis: %s: %w", op, err)
	}
	if !probe && t.stalled.Load() {
		return fmt.Errorf("liveview: presence: redis: %s: %w: %w", op, presence.ErrUnavailable, errStalled)
	}
	cctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	var err error
	if !t.detach {
		err = fn(cctx, t.cmd)
	} else {
		t.opsMu.RLock()
		if t.draining {
			t.opsMu.RUnlock()
			return fmt.Errorf("liveview: presence: redis: %s: %w", op, presence.ErrClosed)
		}
		t.ops.Add(1)
		t.opsMu.RUnlock()
		ch := make(chan error, 1)
		go func() {
			defer t.ops.Done()
			ch <- fn(cctx, t.cmd)
		}()
		select {
		case err = <-ch:
		case <-cctx.Done():
			err = cctx.Err()
		}
	}
	if err == nil || errors.Is(err, goredis.Nil) {
		t.stalled.Store(false)
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("liveview: presence: redis: %s: %w (%w)", op, ctx.Err(), err)
	}
	var ne net.Error
	if cctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.stalled.Store(true)
	}
	return fmt.Errorf("liveview: presence: redis: %s: %w: %w", op, presence.ErrUnavailable, err)
}

func (t *Tracker) closedErr(op string) error {
	return fmt.Errorf("liveview: presence: redis: %s: %w", op, presence.ErrClosed)
}

// acquire takes the semaphore of topic's ownTopic, creating it, bounded by
// ctx and the timeout; the caller releases it with release.
func (t *Tracker) acquire(ctx context.Context, topic string) (*ownTopic, error) {
	wait := time.NewTimer(2 * t.timeout)
	defer wait.Stop()
	for {
		t.mu.Lock()
		ot := t.own[topic]
		if ot == nil {
			ot = &ownTopic{sem: make(chan struct{}, 1), entries: make(map[string]presence.Entry)}
			t.own[topic] = ot
		}
		t.mu.Unlock()
		select {
		case ot.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("liveview: presence: redis: %w", ctx.Err())
		case <-wait.C:
			return nil, fmt.Errorf("liveview: presence: redis: %w: a write of topic %.40q is still waiting for Redis", presence.ErrUnavailable, topic)
		}
		t.mu.Lock()
		same := t.own[topic] == ot
		t.mu.Unlock()
		if same {
			return ot, nil
		}
		<-ot.sem // dropped meanwhile: start again
	}
}

// release gives the semaphore back, and forgets the topic if this
// instance has nothing there any more.
func (t *Tracker) release(topic string, ot *ownTopic) {
	t.mu.Lock()
	if len(ot.entries) == 0 && !ot.dirty && !ot.announce && t.own[topic] == ot {
		delete(t.own, topic)
	}
	t.mu.Unlock()
	<-ot.sem
}

// Track implements [presence.Tracker.Track]. It changes this instance's
// entry at once (List and Watches of this instance show it), then writes
// it to Redis and announces it. On an error wrapping
// presence.ErrUnavailable the entry stays tracked here and reaches Redis
// with the next heartbeat that gets an answer.
func (t *Tracker) Track(ctx context.Context, topic string, e presence.Entry) error {
	if err := t.limits.Check(topic, e); err != nil {
		return err
	}
	if string(e.Meta) == "null" {
		e.Meta = nil // one spelling of null on every instance
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("liveview: presence: redis: track: %w", err)
	}
	if t.closed.Load() {
		return t.closedErr("track")
	}
	ot, err := t.acquire(ctx, topic)
	if err != nil {
		return err
	}
	defer t.release(topic, ot)
	t.mu.Lock()
	if t.closed.Load() {
		t.mu.Unlock()
		return t.closedErr("track")
	}
	old, had := ot.entries[e.Ref]
	if had && presence.Equal(old, e) {
		t.mu.Unlock()
		return nil
	}
	if !had && len(ot.entries) >= t.limits.MaxEntries {
		t.mu.Unlock()
		return fmt.Errorf("%w: %d entries in topic %.40q on this instance (at most %d)", presence.ErrTooLarge, len(ot.entries), topic, t.limits.MaxEntries)
	}
	others := len(ot.entries) > 1 || (len(ot.entries) == 1 && !had)
	t.changeOwnLocked(topic, ot, e.Ref, &e)
	t.mu.Unlock()
	w, err := t.begin(ctx, "track", topic, ot)
	if err != nil || w.rewrite {
		return err
	}
	if !others {
		w.prev = 0 // the script replaces the hash
	}
	var res int64
	err = t.do(ctx, "track", false, func(ctx context.Context, c goredis.UniversalClient) error {
		var err error
		res, err = trackScript.Run(ctx, c, []string{t.hashKey(topic, w.id), t.indexKey(topic)},
			e.Ref, encodeValue(e), w.seq, ms(t.safety()), w.id, boolArg(others)).Int64()
		return err
	})
	if err != nil {
		t.markDirty(ot)
		return err
	}
	if res == 0 { // Redis lost the hash: the heartbeat finds out why and rewrites it
		t.markDirty(ot)
		t.kickLoop()
		return nil
	}
	if t.wrote(ot, w, true) {
		t.publish(ctx, topic, ot, message{ID: w.id, Seq: w.seq, Prev: w.prev, Op: opTrack, Ref: e.Ref, Key: e.Key, Meta: e.Meta})
	}
	return nil
}

// write is one write of this instance's hash of a topic, as begin set it
// up: the instance id and epoch it is for, its sequence number and the
// previous write's.
type write struct {
	id        string
	epoch     uint64
	seq, prev uint64
	rewrite   bool // begin rewrote the hash whole instead
}

// begin prepares a write of topic's hash; the caller holds ot's
// semaphore. It waits for the instance's first heartbeat, registers the
// topic in the instance's topics set (before any hash exists there, so
// that a collector always finds it), and rewrites the hash whole instead
// when it is dirty (then w.rewrite is set).
func (t *Tracker) begin(ctx context.Context, op, topic string, ot *ownTopic) (write, error) {
	select {
	case <-t.first:
	case <-ctx.Done():
		t.markDirty(ot)
		return write{}, fmt.Errorf("liveview: presence: redis: %s: %w", op, ctx.Err())
	}
	t.mu.Lock()
	w := write{id: t.id, epoch: t.epoch, seq: t.seq.Add(1), prev: ot.lastSeq}
	registered, dirty, alive := ot.registered, ot.dirty, t.aliveSet
	t.mu.Unlock()
	if !alive {
		t.markDirty(ot)
		return w, fmt.Errorf("liveview: presence: redis: %s: %w: this instance is not registered in Redis yet", op, presence.ErrUnavailable)
	}
	if dirty {
		w.rewrite = true
		return w, t.rewrite(ctx, topic, ot)
	}
	if !registered {
		if err := t.register(ctx, op, w.id, topic); err != nil {
			t.markDirty(ot)
			return w, err
		}
		t.mu.Lock()
		if t.epoch == w.epoch {
			ot.registered = true
		}
		t.mu.Unlock()
	}
	return w, nil
}

// register adds topics to id's topics set (with the safety TTL).
func (t *Tracker) register(ctx context.Context, op, id string, topics ...string) error {
	members := make([]any, len(topics))
	for i, tp := range topics {
		members[i] = tp
	}
	return t.do(ctx, op, false, func(ctx context.Context, c goredis.UniversalClient) error {
		_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			p.SAdd(ctx, t.topicsKey(id), members...)
			p.PExpire(ctx, t.topicsKey(id), t.safety())
			return nil
		})
		return err
	})
}

// unregister removes topic from id's topics set, after the hash went.
func (t *Tracker) unregister(ctx context.Context, id, topic string) {
	_ = t.do(ctx, "untrack", false, func(ctx context.Context, c goredis.UniversalClient) error {
		return c.SRem(ctx, t.topicsKey(id), topic).Err()
	})
}

// wrote records a successful write w of ot's hash (present: the hash
// exists after it), and reports whether it is worth announcing: not when
// the instance changed its id meanwhile (the rewrite under the new one
// announces it).
func (t *Tracker) wrote(ot *ownTopic, w write, present bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.epoch != w.epoch {
		return false
	}
	if present {
		ot.lastSeq = w.seq
		ot.renewed = time.Now()
	} else {
		ot.lastSeq = 0
		ot.registered = false
	}
	return true
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (t *Tracker) markDirty(ot *ownTopic) {
	t.mu.Lock()
	ot.dirty = true
	t.mu.Unlock()
}

// kickLoop asks the loop for an upkeep round now.
func (t *Tracker) kickLoop() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// Untrack implements [presence.Tracker.Untrack]; errors as for Track.
func (t *Tracker) Untrack(ctx context.Context, topic, ref string) error {
	if err := presence.CheckName("topic", topic); err != nil {
		return err
	}
	if err := presence.CheckName("ref", ref); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("liveview: presence: redis: untrack: %w", err)
	}
	if t.closed.Load() {
		return t.closedErr("untrack")
	}
	t.mu.Lock()
	ot := t.own[topic]
	_, had := ot.entry(ref)
	t.mu.Unlock()
	if !had {
		return nil
	}
	ot, err := t.acquire(ctx, topic)
	if err != nil {
		return err
	}
	defer t.release(topic, ot)
	t.mu.Lock()
	if t.closed.Load() {
		t.mu.Unlock()
		return t.closedErr("untrack")
	}
	if _, had := ot.entries[ref]; !had {
		t.mu.Unlock()
		return nil
	}
	t.changeOwnLocked(topic, ot, ref, nil)
	t.mu.Unlock()
	w, err := t.begin(ctx, "untrack", topic, ot)
	if err != nil || w.rewrite {
		return err
	}
	var res int64
	err = t.do(ctx, "untrack", false, func(ctx context.Context, c goredis.UniversalClient) error {
		var err error
		res, err = untrackScript.Run(ctx, c, []string{t.hashKey(topic, w.id), t.indexKey(topic)},
			ref, w.seq, ms(t.safety()), w.id).Int64()
		return err
	})
	if err != nil {
		t.markDirty(ot)
		return err
	}
	if res == 0 {
		t.markDirty(ot)
		t.kickLoop()
		return nil
	}
	if res == 2 {
		t.unregister(ctx, w.id, topic)
	}
	if t.wrote(ot, w, res == 1) {
		t.publish(ctx, topic, ot, message{ID: w.id, Seq: w.seq, Prev: w.prev, Op: opUntrack, Ref: ref})
	}
	return nil
}

func (ot *ownTopic) entry(ref string) (presence.Entry, bool) {
	if ot == nil {
		return presence.Entry{}, false
	}
	e, ok := ot.entries[ref]
	return e, ok
}

// rewrite writes this instance's whole hash of topic from its entries; the
// caller holds ot's semaphore.
func (t *Tracker) rewrite(ctx context.Context, topic string, ot *ownTopic) error {
	t.mu.Lock()
	if !t.aliveSet {
		t.mu.Unlock()
		return fmt.Errorf("liveview: presence: redis: rewrite: %w: this instance is not registered in Redis yet", presence.ErrUnavailable)
	}
	w := write{id: t.id, epoch: t.epoch, seq: t.seq.Add(1)}
	old := t.prevID
	registered := ot.registered
	args := []any{ms(t.safety()), w.id, w.seq}
	for ref, e := range ot.entries {
		args = append(args, ref, encodeValue(e))
	}
	t.mu.Unlock()
	present := len(args) > 3
	if present && !registered {
		if err := t.register(ctx, "rewrite", w.id, topic); err != nil {
			return err
		}
	}
	err := t.do(ctx, "rewrite", false, func(ctx context.Context, c goredis.UniversalClient) error {
		return putScript.Run(ctx, c, []string{t.hashKey(topic, w.id), t.indexKey(topic)}, args...).Err()
	})
	if err != nil {
		return err
	}
	if !present {
		t.unregister(ctx, w.id, topic)
	}
	if !t.wrote(ot, w, present) {
		return nil // the id changed meanwhile: still dirty, rewritten under the new one
	}
	t.mu.Lock()
	ot.dirty = false
	ot.registered = present
	t.mu.Unlock()
	t.publish(ctx, topic, ot, message{ID: w.id, Seq: w.seq, Op: opReread, Old: old})
	return nil
}

// publish announces a change; a failure is not the caller's: the next
// upkeep round announces a reread of the topic instead.
func (t *Tracker) publish(ctx context.Context, topic string, ot *ownTopic, m message) {
	p, err := jsonMarshal(m)
	if err != nil {
		return
	}
	if t.losePublish.Add(-1) >= 0 {
		return
	}
	t.losePublish.Store(0)
	err = t.broker.Publish(context.WithoutCancel(ctx), channel(topic), p)
	lost := err != nil && !errors.Is(err, pubsub.ErrClosed)
	t.mu.Lock()
	ot.announce = lost
	t.mu.Unlock()
	if lost {
		t.log.Debug("liveview: presence: redis: announcing a change failed; retrying at the next heartbeat", "topic", topic, "err", err)
	}
}

// Close implements [presence.Tracker.Close]: it deletes this instance's
// hashes, marks its lease expired (the others collect anything left) and
// announces it, bounded by the timeout, stops the Watches and the
// heartbeat, closes its broker and waits for its goroutines. During a
// Redis freeze it may take a few timeouts (and the broker's Close up to
// the client's ReadTimeout).
func (t *Tracker) Close() error { return t.shutdown(true) }

// shutdown stops the tracker; with goodbye it removes its entries first.
func (t *Tracker) shutdown(goodbye bool) error {
	t.mu.Lock()
	if t.closed.Load() {
		t.mu.Unlock()
		return nil
	}
	t.closed.Store(true)
	var watches []*watch
	var subs []pubsub.Subscription
	for topic, r := range t.replicas {
		for w := range r.watches {
			watches = append(watches, w)
		}
		if r.sub != nil {
			subs = append(subs, r.sub)
		}
		delete(t.replicas, topic)
		t.forgetLocked(r)
	}
	t.mu.Unlock()
	for _, w := range watches {
		w.q.Stop()
	}
	close(t.stop)
	<-t.done
	var err error
	if goodbye {
		err = t.goodbye()
	}
	for _, s := range subs {
		_ = s.Unsubscribe()
	}
	if cerr := t.broker.Close(); cerr != nil && err == nil {
		err = cerr
	}
	t.opsMu.Lock()
	t.draining = true
	t.opsMu.Unlock()
	t.ops.Wait()
	return err
}

// goodbye deletes this instance's hashes and key and announces it. In-flight
// writes finish first (each topic's semaphore is taken), and none starts
// after (closed is set).
func (t *Tracker) goodbye() error {
	ctx := context.Background()
	t.mu.Lock()
	topics := make(map[string]*ownTopic, len(t.own))
	for topic, ot := range t.own {
		topics[topic] = ot
	}
	t.mu.Unlock()
	type left struct {
		topic string
		seq   uint64
	}
	var gone []left
	for topic, ot := range topics {
		select {
		case ot.sem <- struct{}{}:
		case <-time.After(2 * t.timeout):
			continue // stuck on a frozen Redis; its entries will expire
		}
		gone = append(gone, left{topic, t.seq.Add(1)})
	}
	t.mu.Lock()
	id := t.id
	t.mu.Unlock()
	err := t.do(ctx, "close", false, func(ctx context.Context, c goredis.UniversalClient) error {
		_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, g := range gone {
				p.Del(ctx, t.hashKey(g.topic, id))
				p.SRem(ctx, t.indexKey(g.topic), id)
			}
			if len(gone) == len(topics) {
				p.Del(ctx, t.topicsKey(id))
			}
			// Expired at once: the others drop what is left and
			// collect it (a topic still being written, stuck).
			p.ZAdd(ctx, t.instancesKey(), goredis.Z{Score: 0, Member: id})
			p.PExpire(ctx, t.instancesKey(), t.safety())
			return nil
		})
		return err
	})
	if err != nil {
		return err
	}
	for _, g := range gone {
		p, err := jsonMarshal(message{ID: id, Seq: g.seq, Op: opClose})
		if err == nil {
			_ = t.broker.Publish(ctx, channel(g.topic), p)
		}
	}
	return nil
}
