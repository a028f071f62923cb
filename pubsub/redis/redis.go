// Package redis is a [pubsub.Broker] that carries messages between the
// instances of an application through Redis pub/sub, using the caller's
// go-redis v9 client. It is the only package of the module that imports
// go-redis: applications that stay in memory never link it.
//
//	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	broker := redis.New(rdb, redis.WithPrefix("myapp:"))
//	defer broker.Close() // before rdb.Close()
//	e.Use(liveview.PluginWithConfig(liveview.Config{Broker: broker}))
//
// # Redis use
//
// A [Broker] holds one Redis pub/sub connection for all its subscriptions,
// whatever their number, and publishes over the client's connection pool.
// A Publish is one PUBLISH command. The first local subscription of a topic
// costs a SUBSCRIBE and a PING (the PING's reply proves the subscription is
// active), every further one a PING, and the last Unsubscribe of a topic
// an UNSUBSCRIBE. The liveview Hub subscribes a topic once per instance, so
// a liveview Broadcast or Publish costs exactly one Redis command however
// many instances and connections receive it; a connection that makes its
// room's first member on an instance costs SUBSCRIBE and PING, and the last
// one leaving costs UNSUBSCRIBE. The tests measure this with INFO
// commandstats. The only other traffic is the health check: a PING on the
// pub/sub connection after every second without a reply on it
// ([WithHealthCheck]).
//
// # Redis Cluster
//
// Give New a *goredis.ClusterClient (goredis.NewClusterClient, or
// goredis.NewUniversalClient with several addresses) and the broker uses
// sharded pub/sub (Redis 7 or later): SSUBSCRIBE and SPUBLISH, which Redis
// keeps within the shard that serves the hash slot of the channel's name,
// as for a key (a topic with a {hash tag} hashes on the tag).
//
//	rdb := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
//	broker := redis.New(rdb, redis.WithPrefix("myapp:"))
//
// Which to pick. One Redis server (with Sentinel for failover, if you
// need it) is simpler and holds a lot: each message costs it one write per
// subscribed instance, on one thread. Pick a cluster when that thread is
// the limit, or when you run one anyway. Classic PUBLISH does not scale on
// a cluster: every node forwards every message to every other node over
// the cluster bus, so each node does the delivery work of all messages and
// the cluster's pub/sub capacity stays that of one node, while the bus
// traffic grows with the number of nodes. SPUBLISH goes to the topic's
// shard only (its master, and its replicas), so capacity grows with the
// number of shards, as long as the traffic is spread over many topics:
// one hot topic (the liveview broadcast topic, a very busy room) still
// lives on one shard.
//
// How. The broker keeps one pub/sub connection per cluster node it has a
// topic on (opened on first use, with a client of its own for that node's
// address, built from the ClusterClient's options), and puts each topic's
// subscription on the connection to the node that serves its slot, from
// the ClusterClient's slot map. Each such connection is the single-server
// broker described here: same commands (SSUBSCRIBE, SUNSUBSCRIBE and
// SPUBLISH in place of SUBSCRIBE, UNSUBSCRIBE and PUBLISH), same health
// check, fail-fast and publish bound, same reconnection. A Publish is one
// SPUBLISH, sent to the topic's node only.
//
// Confirmation. Subscribe sends SSUBSCRIBE, then PING, on the connection
// to the topic's node, and returns on the PING's reply. A node handles a
// connection's commands in order, so the reply proves the SSUBSCRIBE was
// handled: accepted (a node that does not serve the slot answers it with
// a MOVED error first, which fails the Subscribe), and from then on every
// SPUBLISH of the channel that node handles reaches this broker. Every
// publisher sends the channel's SPUBLISH to that same node, so what holds
// for a single server holds per topic: a message published after
// Subscribe returned is delivered, one published before is not, and one
// publisher's messages keep their order. (PING on a connection in
// sharded-subscriber mode answers as on a classic one; the suite runs on
// both protocols.)
//
// Faults are per node. A node that dies or freezes affects only the
// topics of its slots: their Publish and Subscribe fail with
// [ErrUnavailable] (at once once noticed), their subscriptions have a gap,
// reported with the node's address in [Gap.Node]; the topics of the other
// nodes go on unaffected. [Broker.Stats] sums the nodes' counters
// (Connected only when every node's connection is up) and
// [Broker.ShardStats] gives each node's. When the node answers again at
// its address (restarted, with its slots from its nodes.conf), the broker
// subscribes its topics again, one SSUBSCRIBE each: go-redis's own
// resubscription sends one SSUBSCRIBE for all of a connection's channels,
// which a node refuses (CROSSSLOT) as soon as they are in different slots.
// Keep cluster-allow-pubsubshard-when-down at its default (yes): the
// other nodes then serve their shard channels while the cluster is down.
// Without replicas, a dead node's topics wait for it to come back.
//
// Known limits. A change of the topology, a slot moved to another node
// (resharding) or a replica promoted by a failover, is followed by Subscribe
// and Publish calls made afterwards (the slot map is reloaded after a
// redirection, and periodically by go-redis) but not by existing
// subscriptions, which stay on the node they were made on. They do not go
// silent: the old node unsubscribes the broker from the moved slot's
// channels, which opens a gap on that node's connection (logged, in Stats,
// reported to WithGapHandler when it ends), and the broker retries to
// subscribe them there, at most once a second; the gap ends when the
// topic's subscriptions all end (as a liveview Hub's do when the topic's
// last local connection leaves), and the next Subscribe goes to the new
// node (TestClusterSlotMoved). With local delivery, a
// Subscribe fails when no node of the cluster could be reached to load
// the slot map yet. Each node costs a pub/sub connection and a small
// connection pool per instance.
//
// WithShardedPubSub(false) makes the broker use classic pub/sub on a
// cluster (one pub/sub connection on any node, PUBLISH through the master
// of the channel's slot, which keeps one publisher's order): only to
// interoperate with classic subscribers. It costs every node every message
// and is weaker: a message published shortly before a Subscribe returns
// may still reach it, having been on its way over the cluster bus.
//
// # Delivery
//
// Redis pub/sub delivers at most once, in publishing order per channel, to
// the connections subscribed when the message is published. The broker
// keeps the [pubsub.Broker] contract on top of it: each subscription has its
// own delivery goroutine and queue (as [pubsub.Memory]), so a slow handler
// never holds up the pub/sub connection, and one reader takes every reply
// off that connection as it arrives.
//
// # Faults
//
// A dead Redis (connections refused or reset): Publish fails at once with
// an error wrapping [ErrUnavailable] (go-redis is not allowed to retry a
// PUBLISH, which could deliver it twice). Subscribe fails the same way,
// unless local delivery is on (see below).
//
// A frozen Redis (alive, its connections open, but silent: stopped with
// SIGSTOP, swapping, or behind a network that drops packets) is noticed by
// the health check of the pub/sub connection: after a second without a
// reply the broker sends a PING, and when that gets no answer within
// another second it handles the server as dead, about 2s after it went
// silent ([WithHealthCheck] sets the second). Until then, a Publish waits
// at most a second for its answer ([WithPublishTimeout]) and fails with
// ErrUnavailable; every further Publish fails at once until Redis answers
// again (so no later message overtakes it; it is not retried, but a Redis
// that wakes up may still deliver it, once). A Subscribe waits
// until the hang is noticed, at most 5s ([WithTimeout]). From then on,
// both fail at once, as with a dead Redis. Each call waits on its own:
// concurrent Publishes do not queue behind one another.
//
// Either way, the broker reconnects with a backoff of at most a second and
// resubscribes every active topic; a frozen server that resumes answers
// the pending reconnection attempt, usually within milliseconds. The time
// in between, when subscribed topics receive nothing, is a gap: it is
// logged when it starts and when it ends (two lines however long it
// lasts), counted in [Broker.Stats], and passed to the [WithGapHandler]
// hook. Messages published elsewhere during a gap are lost for this
// instance; nothing is replayed. During a freeze, Close may take up to
// the client's ReadTimeout (5s by default), when go-redis gives up the
// reconnection attempt it is waiting for.
//
// # Local delivery
//
// By default every message, even one for a subscriber in the same process,
// goes through Redis: all instances see one order per topic, and nothing
// is delivered while Redis is down. [WithLocalDelivery] makes Publish also
// deliver to this instance's subscribers directly; the copy coming back
// through Redis is recognised by the instance's ID and dropped. Local
// traffic then keeps working while Redis is down (Publish still returns an
// error wrapping [ErrUnavailable]: other instances did not get it), at the
// price of order: concurrent publishes from different instances to one
// topic may be seen in a different order on each instance. Per publisher
// order is kept either way. All instances sharing a channel prefix may mix
// both settings.
package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/pubsub"
)

// ErrUnavailable is wrapped by the errors of Publish and Subscribe when
// Redis cannot be reached, does not answer in time (see
// [WithPublishTimeout] and [WithHealthCheck]), or the pub/sub connection
// was lost and is not back yet. The error also wraps the cause (go-redis's
// own error, or the broker's). Test for it with errors.Is.
var ErrUnavailable = errors.New("liveview: redis unavailable")

var (
	errEmptyTopic = fmt.Errorf("%w: empty name", pubsub.ErrInvalidTopic)
	errNilHandler = errors.New("liveview: redis: subscribe: nil handler")
	errNoPong     = errors.New("liveview: redis: pub/sub connection did not answer a health check")
	errDown       = errors.New("liveview: redis: pub/sub connection is down")
	errNoAnswer   = errors.New("liveview: redis: no answer to PUBLISH")
	errStalled    = errors.New("liveview: redis: no answer since a PUBLISH timed out")
	errMoved      = errors.New("liveview: redis: the node unsubscribed a channel of a slot it no longer serves")
)

// Defaults of the options that bound waits.
const (
	// DefaultTimeout is the default of WithTimeout.
	DefaultTimeout = 5 * time.Second
	// DefaultPublishTimeout is the default of WithPublishTimeout.
	DefaultPublishTimeout = time.Second
	// DefaultHealthCheck is the default of WithHealthCheck.
	DefaultHealthCheck = time.Second
)

// Reconnect attempts back off from minBackoff, doubling up to maxBackoff.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = time.Second
)

// PING payloads of the reader's own pings; subscription pings use
// subToken followed by a number.
const (
	probeToken  = "liveview-probe"
	healthToken = "liveview-health"
	subToken    = "liveview-sub-"
)

// Option configures a Broker.
type Option func(*Broker)

// WithPrefix puts prefix in front of every topic to make its Redis channel
// name, so that several applications can share one Redis. Instances of one
// application must use the same prefix. Default: "" (the topic is the
// channel name; the liveview Hub's topics start with "liveview:").
func WithPrefix(prefix string) Option { return func(b *Broker) { b.prefix = prefix } }

// WithLocalDelivery makes Publish deliver to this broker's own subscribers
// directly, so that they keep receiving while Redis is down, and makes
// Subscribe succeed while Redis is down (the topic is subscribed on Redis
// once it is back). See the package documentation for the price in order.
// Default: off (everything goes through Redis).
func WithLocalDelivery() Option { return func(b *Broker) { b.local = true } }

// WithLogger sets where the broker logs connection losses and gaps; nil
// keeps the default. Default: slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(b *Broker) {
		if l != nil {
			b.log = l
		}
	}
}

// WithGapHandler calls fn after every gap, once all subscriptions are
// confirmed again (or at Close, if the broker closes during a gap). fn runs
// on the broker's reader goroutine: it must return quickly and must not
// call Close. A nil fn means none. Default: none (gaps are logged and
// counted in Stats).
func WithGapHandler(fn func(Gap)) Option { return func(b *Broker) { b.onGap = fn } }

// WithTimeout bounds how long Subscribe waits for Redis to confirm a
// subscription (a hang detected meanwhile, see [WithHealthCheck], ends the
// wait sooner), and how long the broker waits for each of its reconnection
// attempts. It does not bound Publish: see [WithPublishTimeout]. d <= 0
// keeps the default. Default: DefaultTimeout (5s).
func WithTimeout(d time.Duration) Option {
	return func(b *Broker) {
		if d > 0 {
			b.timeout = d
		}
	}
}

// WithPublishTimeout bounds how long Publish waits for Redis to answer its
// PUBLISH, whatever the deadline of its context (a sooner one wins). When
// the bound passes, Publish returns an error wrapping [ErrUnavailable],
// and every further Publish fails at once the same way until Redis answers
// again (on the pub/sub connection, where the health check asks within a
// second, or to another PUBLISH): a handler meets a frozen Redis with one
// short wait, not one per call, and no later message can overtake the
// unanswered one. A Publish that must first wait for one of go-redis's
// pooled connections, all busy, and open it may take up to twice the
// bound.
//
// With a *goredis.Client (from NewClient or NewFailoverClient), PUBLISH
// goes through a clone of it (Client.WithTimeout) that shares its pool,
// with read and write timeouts of d, or the client's own if shorter; hooks
// added to the client after New do not see it. With sharded pub/sub on a
// ClusterClient, SPUBLISH goes the same way through the broker's own
// client of the topic's node (the ClusterClient's hooks do not see it).
// With any other client (a ClusterClient without sharded pub/sub),
// PUBLISH runs on a goroutine of its own that Publish stops waiting for at
// the bound; go-redis goes on with it until the client's
// ReadTimeout, and Close waits for it. Either way a PUBLISH that timed out
// may still be delivered by a Redis that wakes up, once (it is never
// retried). d <= 0 keeps the default. Default: DefaultPublishTimeout (1s).
func WithPublishTimeout(d time.Duration) Option {
	return func(b *Broker) {
		if d > 0 {
			b.publishTimeout = d
		}
	}
}

// WithHealthCheck sets how long the pub/sub connection may stay silent.
// After d without any reply on it, the broker sends a PING; when nothing
// arrives within another d, it takes Redis for hung (alive, its
// connections open, but not answering: stopped with SIGSTOP, swapping, or
// behind a network that drops packets) and handles it exactly as a lost
// connection: Publish and Subscribe fail at once with [ErrUnavailable], a
// gap starts, and the broker reconnects and resubscribes as soon as Redis
// answers again. A silent server is thus noticed within about 2d. An idle
// broker sends one PING every d; a Redis that takes longer than d to
// answer a PING (a long script or command on a busy server) is taken for
// a hung one, so raise d if yours can. d <= 0 keeps the default. Default:
// DefaultHealthCheck (1s).
func WithHealthCheck(d time.Duration) Option {
	return func(b *Broker) {
		if d > 0 {
			b.health = d
		}
	}
}

// WithShardedPubSub chooses the pub/sub commands: on (true), SSUBSCRIBE,
// SUNSUBSCRIBE and SPUBLISH (Redis 7 or later), which on a Redis Cluster
// carry each topic only within the shard that owns its channel's hash slot;
// off (false), the classic SUBSCRIBE, UNSUBSCRIBE and PUBLISH, which a
// cluster broadcasts to every node. With a *goredis.ClusterClient, sharded
// pub/sub gives the broker one pub/sub connection per node, each topic's
// subscriptions on the connection to the node of its slot (see "Redis
// Cluster" in the package documentation). With any other client it only
// changes the commands: a single Redis 7 server accepts them too. All
// instances sharing a channel prefix must agree: a message sent with
// PUBLISH does not reach an SSUBSCRIBE, nor SPUBLISH a SUBSCRIBE. Default:
// on for a *goredis.ClusterClient (from NewClusterClient, or
// NewUniversalClient with several addresses), off for any other client.
func WithShardedPubSub(on bool) Option {
	return func(b *Broker) { b.shardedSet, b.shardedOpt = true, on }
}

// Gap is a time during which the broker's subscriptions received nothing
// because the pub/sub connection was down: from the moment the broker saw
// the connection fail (it may have failed shortly before), or for a
// server that went silent from its last reply, to the moment Redis
// confirmed every subscription again.
type Gap struct {
	Start, End time.Time
	// Channels is the number of Redis channels subscribed when the gap
	// ended.
	Channels int
	// Err is what ended the connection.
	Err error
	// Node is the address of the cluster node whose connection was lost,
	// with sharded pub/sub on a cluster (only the topics of that node's
	// slots had a gap); "" otherwise.
	Node string
}

// Duration returns End - Start.
func (g Gap) Duration() time.Duration { return g.End.Sub(g.Start) }

// Stats is a snapshot of a broker's counters, from [Broker.Stats]. The zero
// Stats is that of a broker that has not connected yet.
type Stats struct {
	Connected       bool          // the pub/sub connection is up
	Channels        int           // Redis channels subscribed (one per topic with local subscribers)
	Disconnects     int64         // times the pub/sub connection was lost, Hangs included
	Hangs           int64         // times the health check found the server silent (see WithHealthCheck)
	Gaps            int64         // gaps that have ended
	GapTime         time.Duration // total duration of the ended gaps
	GapSince        time.Time     // start of the current gap; zero if none
	PublishErrors   int64         // Publish calls that failed because of Redis, those failing at once while it is unavailable included
	PublishTimeouts int64         // of PublishErrors, those that gave up waiting (WithPublishTimeout or the caller's context)
	// Shards is the number of pub/sub connections: 1 for a single Redis
	// (or a ClusterClient without sharded pub/sub), and with sharded pub/sub
	// on a cluster the number of nodes this broker has used so far (one
	// connection each, opened by the first Subscribe or Publish of a topic
	// of that node). On a cluster, Connected means every one of them is up,
	// Channels, the counters and GapTime are sums, and GapSince is the
	// earliest start of a current gap; [Broker.ShardStats] has each node's.
	Shards int
}

// Broker is a [pubsub.Broker] over Redis pub/sub. It keeps the whole
// contract of that interface; see the package documentation for what it
// costs in Redis commands and how it behaves on faults. Create it with
// [New]; all methods are safe for concurrent use.
type Broker struct {
	client goredis.UniversalClient
	// publisher runs PUBLISH: for a *goredis.Client, a clone sharing its
	// pool with read and write timeouts of at most publishTimeout, else
	// client itself, and detach is set: Publish runs the command on a
	// goroutine of its own to stop waiting for it at the bound.
	publisher goredis.UniversalClient
	detach    bool
	ps        *goredis.PubSub
	mem       *pubsub.Memory // local fan-out to the subscriptions' goroutines
	prefix    string
	local     bool
	id        [16]byte
	log       *slog.Logger
	onGap     func(Gap)
	gapWatch  gapWatchers // observe.go
	timeout   time.Duration
	// publishTimeout bounds a Publish's wait; health is the silence after
	// which the reader pings, and the wait for that ping's answer.
	publishTimeout time.Duration
	health         time.Duration

	// sharded: SSUBSCRIBE, SUNSUBSCRIBE and SPUBLISH instead of SUBSCRIBE,
	// UNSUBSCRIBE and PUBLISH (shardedSet: WithShardedPubSub chose
	// shardedOpt). cluster is set for a ClusterClient in sharded mode: b
	// then only routes each topic to the broker of its node (a shard
	// broker, sharded, with a client of its own for that node) and has no
	// connection or reader of its own; node is a shard broker's address.
	sharded, shardedSet, shardedOpt bool
	cluster                         *cluster
	node                            string
	// onRefused, for a shard broker, is told of an error reply on the
	// pub/sub connection (the router reloads its slot map).
	onRefused func(error)

	closed   atomic.Bool
	stop     chan struct{} // closed by Close: the reader exits
	readDone chan struct{} // closed when the reader has exited

	// down: the pub/sub connection failed (or went silent) and has not
	// answered since. Written under mu, read without it by Publish.
	down atomic.Bool
	// stalled: a PUBLISH got no answer in time, and Redis has answered
	// nothing since (a reply on the pub/sub connection, or to another
	// PUBLISH); abandoned counts the detached PUBLISH commands that Publish
	// stopped waiting for and go-redis has not ended yet. Publish fails at
	// once while either holds, so a frozen Redis costs a caller one wait,
	// and no later PUBLISH can overtake an unanswered one.
	stalled   atomic.Bool
	abandoned atomic.Int64
	// pubMu and pubs track the goroutines of detached PUBLISH commands, so
	// that Close waits for them: publishDetached adds to pubs under a read
	// lock after checking closed, and Close sets closed under the lock.
	pubMu sync.RWMutex
	pubs  sync.WaitGroup

	// subMu orders the SUBSCRIBE, UNSUBSCRIBE and subscription PING
	// commands with the reference counts they follow from, and guards
	// psChans.
	subMu sync.Mutex
	// psChans: the channels go-redis's PubSub has been given (and
	// resubscribes by itself on every reconnection). While the connection
	// is down nobody but the reader touches the PubSub, which may be
	// blocked for seconds in a reconnection attempt; the difference between
	// psChans and refs is made up when the connection answers again.
	psChans map[string]struct{}
	// unsubs counts, per channel, the SUNSUBSCRIBE commands sent on the
	// current connection and not answered yet (sharded only): an answer
	// beyond them is the node's own, for a slot it no longer serves.
	unsubs map[string]int
	// moved is set by handle, on the reader's goroutine, to a channel the
	// node unsubscribed by itself; the reader then drops the connection.
	moved string

	mu          sync.Mutex
	refs        map[string]int     // Redis channel -> local subscriptions, pending ones included
	waiters     map[string]*waiter // PING token -> Subscribe waiting for it
	token       uint64
	connected   bool                // a reply came since the last failure
	downErr     error               // why down is set
	gapStart    time.Time           // zero if no gap
	gapErr      error               // what started the gap
	unconfirmed map[string]struct{} // channels to be confirmed before the gap ends
	localWarned bool                // the current gap's local-only Subscribe was logged
	stats       Stats
}

var _ pubsub.Broker = (*Broker)(nil)

// New returns a broker that uses client for everything and starts its
// reader, which connects to Redis in the background: New does not fail
// when Redis is down. client may be a *goredis.Client, *goredis.ClusterClient
// (sharded pub/sub by default: see "Redis Cluster" above and
// [WithShardedPubSub]) or failover client; the broker never closes it, so
// close the broker first (the clients it makes for cluster nodes are its
// own, closed by Close). A nil client panics.
func New(client goredis.UniversalClient, opts ...Option) *Broker {
	if client == nil {
		panic("liveview: redis.New: nil client")
	}
	b := &Broker{
		client:         client,
		publishTimeout: DefaultPublishTimeout,
		health:         DefaultHealthCheck,
		mem:            pubsub.NewMemory(),
		log:            slog.Default(),
		timeout:        DefaultTimeout,
		stop:           make(chan struct{}),
		psChans:        make(map[string]struct{}),
		unsubs:         make(map[string]int),
		readDone:       make(chan struct{}),
		refs:           make(map[string]int),
		waiters:        make(map[string]*waiter),
		unconfirmed:    make(map[string]struct{}),
	}
	for _, o := range opts {
		o(b)
	}
	_, _ = rand.Read(b.id[:])
	b.id[0] |= 1 // never the zero ID of escaped payloads
	cc, isCluster := client.(*goredis.ClusterClient)
	b.sharded = isCluster
	if b.shardedSet {
		b.sharded = b.shardedOpt
	}
	if isCluster && b.sharded {
		b.cluster = newCluster(cc)
		return b
	}
	b.start()
	return b
}

// start makes b's publisher and pub/sub connection and starts its reader.
func (b *Broker) start() {
	b.publisher, b.detach = b.client, true
	if c, ok := b.client.(*goredis.Client); ok {
		// The go-redis way to bound one command whatever the context says
		// (ContextTimeoutEnabled is the client's choice).
		b.publisher, b.detach = c.WithTimeout(publishIOTimeout(c.Options(), b.publishTimeout)), false
	}
	b.ps = b.client.Subscribe(context.Background())
	go b.read()
}

// publishIOTimeout returns the read and write timeout of the publisher
// clone: d, or the client's own timeouts when they are shorter.
func publishIOTimeout(o *goredis.Options, d time.Duration) time.Duration {
	for _, t := range []time.Duration{o.ReadTimeout, o.WriteTimeout} {
		if t > 0 && t < d {
			d = t
		}
	}
	return d
}

// Stats returns the broker's counters and state. It is cheap and safe to
// call at any time, also after Close.
func (b *Broker) Stats() Stats {
	if b.cluster != nil {
		return b.cluster.stats()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Connected = b.connected
	s.Channels = len(b.refs)
	s.GapSince = b.gapStart
	s.Shards = 1
	return s
}

// wrap turns a go-redis error into the broker's: ErrClosed after Close,
// the error of the caller's ctx if it is done, a Redis error reply as is,
// anything else (our own timeouts included) as ErrUnavailable.
func (b *Broker) wrap(op string, ctx context.Context, err error) error {
	var reply goredis.Error
	switch {
	case b.closed.Load():
		return fmt.Errorf("liveview: redis: %s: %w", op, pubsub.ErrClosed)
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return fmt.Errorf("liveview: redis: %s: %w (%w)", op, ctx.Err(), err)
	case ctx.Err() != nil:
		return fmt.Errorf("liveview: redis: %s: %w", op, err)
	case errors.As(err, &reply):
		return fmt.Errorf("liveview: redis: %s: %w", op, err)
	default:
		return fmt.Errorf("liveview: redis: %s: %w: %w", op, ErrUnavailable, err)
	}
}

// Close unsubscribes everything, closes the pub/sub connection and waits
// for the reader goroutine to exit (so it must not be called from a
// WithGapHandler hook) and for the PUBLISH commands that Publish runs on
// goroutines of their own (see [WithPublishTimeout]). It never waits for
// handlers. While Redis is frozen this may take up to the client's
// ReadTimeout, when go-redis ends its reconnection attempt and commands.
// The client stays open. See [pubsub.Broker.Close].
func (b *Broker) Close() error {
	if b.cluster != nil {
		return b.cluster.close(b)
	}
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return nil
	}
	// Under pubMu too: no Publish adds to pubs once it is set.
	b.pubMu.Lock()
	b.closed.Store(true)
	b.pubMu.Unlock()
	for token, w := range b.waiters {
		w.err = pubsub.ErrClosed
		close(w.ready)
		delete(b.waiters, token)
	}
	gap := b.endGapLocked()
	b.mu.Unlock()
	if gap != nil {
		b.gapEnded(*gap)
	}
	_ = b.mem.Close()
	close(b.stop)
	// Under subMu: the reader of a sharded broker replaces ps after a
	// loss, and does not once closed is set.
	b.subMu.Lock()
	ps := b.ps
	b.subMu.Unlock()
	err := ps.Close()
	<-b.readDone
	b.pubs.Wait() // the PUBLISH commands still running in go-redis
	if err != nil && !errors.Is(err, goredis.ErrClosed) {
		return fmt.Errorf("liveview: redis: closing the pub/sub connection: %w", err)
	}
	return nil
}
