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
// added to the client after New do not see it. With any other client (a
// ClusterClient), PUBLISH runs on a goroutine of its own that Publish stops
// waiting for at the bound; go-redis goes on with it until the client's
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
// or failover client; the broker never closes it, so close the broker
// first. A nil client panics.
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
		readDone:       make(chan struct{}),
		refs:           make(map[string]int),
		waiters:        make(map[string]*waiter),
		unconfirmed:    make(map[string]struct{}),
	}
	for _, o := range opts {
		o(b)
	}
	b.publisher, b.detach = client, true
	if c, ok := client.(*goredis.Client); ok {
		// The go-redis way to bound one command whatever the context says
		// (ContextTimeoutEnabled is the client's choice).
		b.publisher, b.detach = c.WithTimeout(publishIOTimeout(c.Options(), b.publishTimeout)), false
	}
	_, _ = rand.Read(b.id[:])
	b.id[0] |= 1 // never the zero ID of escaped payloads
	b.ps = client.Subscribe(context.Background())
	go b.read()
	return b
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
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Connected = b.connected
	s.Channels = len(b.refs)
	s.GapSince = b.gapStart
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
	err := b.ps.Close()
	<-b.readDone
	b.pubs.Wait() // the PUBLISH commands still running in go-redis
	if err != nil && !errors.Is(err, goredis.ErrClosed) {
		return fmt.Errorf("liveview: redis: closing the pub/sub connection: %w", err)
	}
	return nil
}
