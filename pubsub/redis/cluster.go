package redis

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/echo-liveview/liveview/pubsub"
)

// cluster is the router of a broker with sharded pub/sub on a
// ClusterClient: each topic goes to the shard broker of the node that
// serves its channel's hash slot, a whole single-node broker (its own
// pub/sub connection, reader, health check, gaps and fail-fast state) with
// a client of its own for that node's address. The ClusterClient is used
// only to map channels to nodes (its slot map, and the node options).
type cluster struct {
	cc *goredis.ClusterClient

	mu     sync.Mutex
	closed bool
	shards map[string]*Broker // node address -> its broker
	// routeErrors counts the Publishes that failed before reaching a
	// shard (the slot map could not be loaded).
	routeErrors int64
}

func newCluster(cc *goredis.ClusterClient) *cluster {
	return &cluster{cc: cc, shards: make(map[string]*Broker)}
}

// shard returns the broker of the node that serves topic's channel,
// making it on first use. The slot map comes from the ClusterClient, which
// loads it on first use (bounded by ctx) and refreshes it in the
// background; an error wraps ErrUnavailable, or ErrClosed after Close.
func (c *cluster) shard(ctx context.Context, parent *Broker, topic string) (*Broker, error) {
	node, err := c.cc.MasterForKey(ctx, parent.prefix+topic)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w (finding the cluster node: %w)", ctx.Err(), err)
		}
		c.check(err)
		return nil, fmt.Errorf("%w: finding the cluster node: %w", ErrUnavailable, err)
	}
	opt := *node.Options()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, pubsub.ErrClosed
	}
	if s := c.shards[opt.Addr]; s != nil {
		return s, nil
	}
	// A client of the broker's own: the ClusterClient closes the clients
	// of nodes that leave its slot map, and the shard must go on trying
	// its node's address until the node is back. It shares no pool with
	// the ClusterClient's node client.
	// Nothing of the node client's push notification and client-side
	// cache state is shared (go-redis refuses a second registration of
	// its handlers), and neither is of use to pub/sub and SPUBLISH.
	opt.PushNotificationProcessor = nil
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	opt.ClientSideCacheConfig, opt.ClientSideCache = nil, nil
	s := &Broker{
		client:         goredis.NewClient(&opt),
		publishTimeout: parent.publishTimeout,
		health:         parent.health,
		mem:            pubsub.NewMemory(),
		log:            parent.log.With("node", opt.Addr),
		timeout:        parent.timeout,
		prefix:         parent.prefix,
		local:          parent.local,
		id:             parent.id,
		sharded:        true,
		node:           opt.Addr,
		stop:           make(chan struct{}),
		psChans:        make(map[string]struct{}),
		unsubs:         make(map[string]int),
		readDone:       make(chan struct{}),
		refs:           make(map[string]int),
		waiters:        make(map[string]*waiter),
		unconfirmed:    make(map[string]struct{}),
	}
	if fn := parent.onGap; fn != nil {
		addr := opt.Addr
		s.onGap = func(g Gap) {
			g.Node = addr
			fn(g)
		}
	}
	s.onRefused = c.check
	s.start()
	c.shards[opt.Addr] = s
	return s, nil
}

// check asks the ClusterClient to reload its slot map (in the background,
// at most once at a time) after a node answered err, a redirection or a
// refusal: the slot of the topic is served by another node now, or by
// none. The next call of shard then routes the topic anew. Subscriptions
// made before stay with the node they were made on (a known limit: see
// "Redis Cluster" in the package documentation).
func (c *cluster) check(err error) {
	if errors.Is(err, errMoved) {
		c.cc.ReloadState(context.Background())
		return
	}
	var reply goredis.Error
	if err == nil || !errors.As(err, &reply) {
		return
	}
	msg := reply.Error()
	for _, p := range []string{"MOVED", "ASK", "CLUSTERDOWN", "TRYAGAIN"} {
		if strings.HasPrefix(msg, p) {
			c.cc.ReloadState(context.Background())
			return
		}
	}
}

// list returns the shard brokers, sorted by address.
func (c *cluster) list() []*Broker {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*Broker, 0, len(c.shards))
	for _, addr := range slices.Sorted(maps.Keys(c.shards)) {
		out = append(out, c.shards[addr])
	}
	return out
}

func (c *cluster) countPublishError() {
	c.mu.Lock()
	c.routeErrors++
	c.mu.Unlock()
}

// stats sums the shards' Stats.
func (c *cluster) stats() Stats {
	shards := c.list()
	c.mu.Lock()
	sum := Stats{PublishErrors: c.routeErrors, Connected: len(shards) > 0}
	c.mu.Unlock()
	for _, b := range shards {
		s := b.Stats()
		sum.Connected = sum.Connected && s.Connected
		sum.Channels += s.Channels
		sum.Disconnects += s.Disconnects
		sum.Hangs += s.Hangs
		sum.Gaps += s.Gaps
		sum.GapTime += s.GapTime
		if !s.GapSince.IsZero() && (sum.GapSince.IsZero() || s.GapSince.Before(sum.GapSince)) {
			sum.GapSince = s.GapSince
		}
		sum.PublishErrors += s.PublishErrors
		sum.PublishTimeouts += s.PublishTimeouts
		sum.Shards++
	}
	return sum
}

// close closes every shard broker, then their clients.
func (c *cluster) close(b *Broker) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	b.closed.Store(true)
	c.mu.Unlock()
	shards := c.list()
	// In parallel: during a freeze each may take up to its client's
	// ReadTimeout.
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, s := range shards {
		wg.Go(func() {
			errs[i] = s.Close()
			if err := s.client.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) {
				errs[i] = errors.Join(errs[i], fmt.Errorf("liveview: redis: closing the client of %s: %w", s.node, err))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ShardStats returns the Stats of each cluster node's connection, keyed by
// node address, for a broker with sharded pub/sub on a ClusterClient (only
// the nodes it has used so far); for any other broker, one entry with key
// "" and the same value as Stats. Safe to call at any time, also after
// Close.
func (b *Broker) ShardStats() map[string]Stats {
	if b.cluster == nil {
		return map[string]Stats{"": b.Stats()}
	}
	out := make(map[string]Stats)
	for _, s := range b.cluster.list() {
		out[s.node] = s.Stats()
	}
	return out
}
