package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/pubsub"
	"github.com/echo-liveview/liveview/pubsub/pubsubtest"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// newClusterClient returns a go-redis cluster client for the nodes,
// closed when the test ends (after the brokers, whose cleanups run first
// when registered later).
func newClusterClient(t testing.TB, addrs []string, protocol int) *goredis.ClusterClient {
	t.Helper()
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs, Protocol: protocol})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestClusterConformance runs the pubsub contract suite against the
// broker on a three-node Redis Cluster (sharded pub/sub), with both wire
// protocols and both delivery modes.
func TestClusterConformance(t *testing.T) {
	cl := redisserver.StartCluster(t, 3)
	tests := []struct {
		name     string
		protocol int
		opts     []redis.Option
	}{
		{"RESP3", 3, nil},
		{"RESP2", 2, nil},
		{"RESP3/Local", 3, []redis.Option{redis.WithLocalDelivery()}},
		{"RESP2/Prefix", 2, []redis.Option{redis.WithPrefix("app:")}},
		// Not WithShardedPubSub(false): classic pub/sub on a cluster
		// cannot keep the whole contract (see "Redis Cluster" in the
		// package documentation); PublishWithoutSubscribers fails.
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pubsubtest.Run(t, func(t *testing.T) pubsub.Broker {
				c := newClusterClient(t, cl.Addrs(), tt.protocol)
				return redis.New(c, append([]redis.Option{redis.WithLogger(quietLogger())}, tt.opts...)...)
			})
		})
	}
}

// clusterTopics returns, for each node of cl, a topic (name followed by a
// number) whose channel that node serves.
func clusterTopics(t testing.TB, cl *redisserver.Cluster, name string) []string {
	t.Helper()
	topics := make([]string, len(cl.Addrs()))
	found := 0
	for i := 0; found < len(topics); i++ {
		if i > 1000 {
			t.Fatalf("no topic found for some node: %q", topics)
		}
		topic := name + strconv.Itoa(i)
		if n := cl.NodeFor(topic); topics[n] == "" {
			topics[n] = topic
			found++
		}
	}
	return topics
}

// numbered publishes "p-0", "p-1", ... to each of its topics in turn, one
// a millisecond, until stopped, and keeps count of what it sent and of
// the errors, per topic.
type numbered struct {
	mu       sync.Mutex
	sent     map[string]int
	failures map[string][]error
	stop     chan struct{}
	done     chan struct{}
}

func publishNumbered(t *testing.T, b *redis.Broker, topics ...string) *numbered {
	p := &numbered{sent: make(map[string]int), failures: make(map[string][]error), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for i := 0; ; i++ {
			for _, topic := range topics {
				select {
				case <-p.stop:
					return
				default:
				}
				p.mu.Lock()
				n := p.sent[topic]
				p.mu.Unlock()
				err := b.Publish(context.Background(), topic, []byte("p-"+strconv.Itoa(n)))
				p.mu.Lock()
				p.sent[topic] = n + 1
				if err != nil {
					p.failures[topic] = append(p.failures[topic], err)
				}
				p.mu.Unlock()
			}
			time.Sleep(time.Millisecond)
		}
	}()
	t.Cleanup(p.halt)
	return p
}

// halt stops the publisher and waits for it; it may be called again.
func (p *numbered) halt() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

func (p *numbered) counts(topic string) (sent int, failures []error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[topic], slices.Clone(p.failures[topic])
}

// TestClusterNodeKilled: one node of the cluster is killed (SIGKILL) and
// restarted. The subscribers of a topic of that node see one gap, reported
// with the node's address, and then get messages again; the topics of the
// other nodes are not affected at all: every message published to them
// during the outage arrives, in order, and no Publish to them fails.
func TestClusterNodeKilled(t *testing.T) {
	cl := redisserver.StartCluster(t, 3)
	for _, local := range []bool{false, true} {
		t.Run(fmt.Sprintf("local=%v", local), func(t *testing.T) {
			opts := []redis.Option{redis.WithLogger(quietLogger())}
			if local {
				opts = append(opts, redis.WithLocalDelivery())
			}
			gaps := make(chan redis.Gap, 10)
			pub := redis.New(newClusterClient(t, cl.Addrs(), 3), opts...)
			sub := redis.New(newClusterClient(t, cl.Addrs(), 3), append(opts, redis.WithGapHandler(func(g redis.Gap) { gaps <- g }))...)
			t.Cleanup(func() { _ = pub.Close(); _ = sub.Close() })

			topics := clusterTopics(t, cl, fmt.Sprintf("killed/%v/", local))
			victim := 0
			hit, spared := topics[victim], topics[1:]
			recs := make(map[string]*pubsubtest.Recorder)
			for _, topic := range topics {
				recs[topic] = pubsubtest.NewRecorder()
				if _, err := sub.Subscribe(t.Context(), topic, recs[topic].Handle); err != nil {
					t.Fatal(err)
				}
			}
			// More topics of the victim's node, in other slots: a node
			// refuses an SSUBSCRIBE of channels in several slots, so the
			// broker must resubscribe them one by one.
			var extra []string
			for i := 0; len(extra) < 4; i++ {
				topic := fmt.Sprintf("killed/%v/extra/%d", local, i)
				if cl.NodeFor(topic) == victim {
					extra = append(extra, topic)
				}
			}
			extraRecs := make(map[string]*pubsubtest.Recorder)
			for _, topic := range extra {
				extraRecs[topic] = pubsubtest.NewRecorder()
				if _, err := sub.Subscribe(t.Context(), topic, extraRecs[topic].Handle); err != nil {
					t.Fatal(err)
				}
			}
			if s := sub.Stats(); s.Shards != 3 || s.Channels != 3+len(extra) || !s.Connected {
				t.Fatalf("subscriber stats %+v: want 3 shards, %d channels, connected", s, 3+len(extra))
			}
			p := publishNumbered(t, pub, topics...)
			for _, topic := range topics {
				recs[topic].WaitUntil(t, "messages", func(m []string) bool { return len(m) >= 20 })
			}

			cl.Node(victim).Kill()
			waitFor(t, "publishes to the killed node's topic to fail", func() bool {
				_, f := p.counts(hit)
				return len(f) > 0
			})
			// The other nodes' topics flow on meanwhile.
			for _, topic := range spared {
				sent, _ := p.counts(topic)
				recs[topic].WaitUntil(t, "messages during the outage", func(m []string) bool {
					return len(m) > 0 && seq(m[len(m)-1]) > sent+20
				})
			}
			if s := sub.ShardStats()[cl.Addrs()[victim]]; s.Connected {
				t.Errorf("stats of the killed node's shard %+v: want not connected", s)
			}
			// Down long enough for the other nodes to flag it as failed
			// (the topics of the other nodes keep flowing, checked below).
			cl.WaitFailed(victim)
			cl.Node(victim).Restart()
			sent, _ := p.counts(hit)
			recs[hit].WaitUntil(t, "messages after the restart", func(m []string) bool {
				return len(m) > 0 && seq(m[len(m)-1]) > sent
			})
			p.halt()
			// Every topic of the restarted node is subscribed again.
			for _, topic := range extra {
				if err := pub.Publish(t.Context(), topic, []byte("back")); err != nil {
					t.Fatal(err)
				}
				extraRecs[topic].WaitFor(t, "back")
			}

			_, failures := p.counts(hit)
			for _, err := range failures {
				if !errors.Is(err, redis.ErrUnavailable) || !strings.HasPrefix(err.Error(), "liveview: ") {
					t.Errorf("publish error %q: want a liveview: error wrapping ErrUnavailable", err)
				}
			}
			checkSequences(t, "subscriber of the killed node's topic", recs[hit].Messages(), []string{"p"}, -1, false)
			for _, topic := range spared {
				n, failures := p.counts(topic)
				if len(failures) > 0 {
					t.Errorf("%d publishes to %s (another node) failed, first: %v", len(failures), topic, failures[0])
				}
				got := recs[topic].WaitUntil(t, "every message", func(m []string) bool { return len(m) >= n })
				checkSequences(t, "subscriber of "+topic+" (another node)", got, []string{"p"}, n, true)
			}
			select {
			case g := <-gaps:
				if g.Node != cl.Addrs()[victim] || g.Channels != 1+len(extra) || g.Err == nil || g.Duration() <= 0 {
					t.Errorf("gap %+v: want node %s, %d channels, a cause, a positive duration", g, cl.Addrs()[victim], 1+len(extra))
				}
				t.Logf("gap on %s: %v (%v)", g.Node, g.Duration(), g.Err)
			case <-time.After(waitTimeout):
				t.Error("no gap reported")
			}
			select {
			case g := <-gaps:
				t.Errorf("a second gap reported: %+v", g)
			default:
			}
			if s := sub.Stats(); s.Disconnects != 1 || s.Gaps != 1 || !s.GapSince.IsZero() || s.Channels != 3+len(extra) || !s.Connected {
				t.Errorf("subscriber stats %+v: want 1 disconnect, 1 ended gap, %d channels, connected", s, 3+len(extra))
			}
			for addr, s := range sub.ShardStats() {
				wantGaps, wantChannels := int64(0), 1
				if addr == cl.Addrs()[victim] {
					wantGaps, wantChannels = 1, 1+len(extra)
				}
				if s.Gaps != wantGaps || s.Channels != wantChannels {
					t.Errorf("stats of shard %s: %+v, want %d gaps, %d channels", addr, s, wantGaps, wantChannels)
				}
			}
			cl.WaitOK()
		})
	}
}

// TestClusterFrozenNode: one node of the cluster freezes (SIGSTOP). For the
// topics of that node, Publish gives up within its bound and then fails at
// once, Subscribe fails at once once the hang is noticed, and the
// subscribers see one gap when it resumes; the topics of the other nodes
// keep working at full speed throughout.
func TestClusterFrozenNode(t *testing.T) {
	cl := redisserver.StartCluster(t, 3)
	logs := &logCounter{}
	gaps := make(chan redis.Gap, 10)
	b := redis.New(newClusterClient(t, cl.Addrs(), 3),
		redis.WithLogger(slog.New(logs)),
		redis.WithGapHandler(func(g redis.Gap) { gaps <- g }))
	t.Cleanup(func() { _ = b.Close() })
	topics := clusterTopics(t, cl, "frozen/")
	more := clusterTopics(t, cl, "frozen-more/")
	victim := 0
	hit, spared := topics[victim], topics[1:]
	recs := make(map[string]*pubsubtest.Recorder)
	for _, topic := range topics {
		recs[topic] = pubsubtest.NewRecorder()
		if _, err := b.Subscribe(t.Context(), topic, recs[topic].Handle); err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(t.Context(), topic, []byte("before")); err != nil {
			t.Fatal(err)
		}
		recs[topic].WaitFor(t, "before")
	}

	cl.Node(victim).Pause()
	paused := time.Now()
	resumed := false
	defer func() {
		if !resumed {
			cl.Node(victim).Resume()
		}
	}()
	var err error
	d := timed(func() { err = b.Publish(t.Context(), hit, []byte("frozen-1")) })
	t.Logf("first Publish to the frozen node: %v after %v", err, d)
	if !errors.Is(err, redis.ErrUnavailable) || d > boundedWait {
		t.Errorf("Publish to the frozen node: %v after %v, want ErrUnavailable within %v", err, d, boundedWait)
	}
	addr := cl.Addrs()[victim]
	waitFor(t, "the hang to be detected", func() bool { return !b.ShardStats()[addr].Connected })
	t.Logf("hang detected %v after SIGSTOP", time.Since(paused))
	if detected := time.Since(paused); detected > detectWithin {
		t.Errorf("hang detected after %v, want under %v", detected, detectWithin)
	}
	if b.Stats().Connected {
		t.Error("Stats().Connected with one shard down")
	}
	for i := range 3 {
		d := timed(func() { err = b.Publish(t.Context(), hit, []byte("frozen-"+strconv.Itoa(i+2))) })
		if !errors.Is(err, redis.ErrUnavailable) || d > atOnce {
			t.Errorf("Publish to the frozen node after detection: %v after %v, want ErrUnavailable under %v", err, d, atOnce)
		}
	}
	d = timed(func() { _, err = b.Subscribe(t.Context(), more[victim], func([]byte) {}) })
	if !errors.Is(err, redis.ErrUnavailable) || d > atOnce {
		t.Errorf("Subscribe to a topic of the frozen node: %v after %v, want ErrUnavailable under %v", err, d, atOnce)
	}
	// The other nodes: Publish, Subscribe and delivery as usual.
	for i, topic := range spared {
		d := timed(func() { err = b.Publish(t.Context(), topic, []byte("during")) })
		if err != nil || d > atOnce {
			t.Errorf("Publish to %s (another node) during the freeze: %v after %v, want success under %v", topic, err, d, atOnce)
		}
		recs[topic].WaitFor(t, "during")
		r := pubsubtest.NewRecorder()
		d = timed(func() { _, err = b.Subscribe(t.Context(), more[i+1], r.Handle) })
		if err != nil || d > atOnce {
			t.Errorf("Subscribe to %s (another node) during the freeze: %v after %v, want success under %v", more[i+1], err, d, atOnce)
		}
	}

	cl.Node(victim).Resume()
	resumed = true
	select {
	case g := <-gaps:
		t.Logf("gap on %s: %v (%v)", g.Node, g.Duration(), g.Err)
		if g.Node != addr || g.Channels != 1 {
			t.Errorf("gap %+v: want node %s, 1 channel", g, addr)
		}
	case <-time.After(waitTimeout):
		t.Fatal("no gap reported after the resume")
	}
	waitFor(t, "the frozen node's topic to work again", func() bool {
		return b.Publish(t.Context(), hit, []byte("after")) == nil
	})
	recs[hit].WaitFor(t, "after")
	if s := b.ShardStats()[addr]; s.Hangs != 1 || s.Gaps != 1 || !s.Connected {
		t.Errorf("stats of the frozen node's shard %+v: want 1 hang, 1 gap, connected", s)
	}
	for _, a := range cl.Addrs()[1:] {
		if s := b.ShardStats()[a]; s.Disconnects != 0 || s.Gaps != 0 || s.PublishErrors != 0 {
			t.Errorf("stats of shard %s (not frozen) %+v: want no disconnect, gap or publish error", a, s)
		}
	}
	if n := len(logs.lines()); n > 6 {
		t.Errorf("%d warnings logged for one freeze, want a few: %q", n, logs.lines())
	}
}

// newClusterInstance is newInstance on a cluster: one liveview app with
// its own ClusterClient and broker (sharded pub/sub).
func newClusterInstance(t *testing.T, addrs []string) *instance {
	t.Helper()
	broker := redis.New(newClusterClient(t, addrs, 3), redis.WithLogger(quietLogger()))
	hub := liveview.New(liveview.Config{Broker: broker, Logger: quietLogger()})
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(hub.Middleware())
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		_ = hub.Close()
		srv.Close()
		_ = broker.Close()
	})
	return &instance{hub: hub, broker: broker, srv: srv}
}

// TestClusterHub: two liveview Hubs on the cluster broker. A Publish to a
// room reaches the room's connections on both instances and costs one
// SPUBLISH on the node of the room's channel and no command on the other
// nodes (classic PUBLISH would go to every node); a Broadcast reaches
// every connection.
func TestClusterHub(t *testing.T) {
	cl := redisserver.StartCluster(t, 3)
	a, b := newClusterInstance(t, cl.Addrs()), newClusterInstance(t, cl.Addrs())
	// One room per node: the Hub's channel of room R is "liveview:room:R".
	var rooms []string
	for _, topic := range clusterTopics(t, cl, "liveview:room:r") {
		rooms = append(rooms, strings.TrimPrefix(topic, "liveview:room:"))
	}
	conns := make(map[string][]*websocket.Conn)
	for _, room := range rooms {
		conns[room] = []*websocket.Conn{a.dial(t, room), b.dial(t, room)}
	}
	// A Broadcast reaches every connection (through the one node of the
	// broadcast topic).
	for _, in := range []*instance{a, b} {
		if err := in.hub.Broadcast(t.Context(), liveview.Message{Target: "#t", HTML: "all"}); err != nil {
			t.Fatal(err)
		}
		for _, room := range rooms {
			for _, ws := range conns[room] {
				if got := readHTML(t, ws); got != "all" {
					t.Fatalf("got %q, want %q", got, "all")
				}
			}
		}
	}
	// Warm up each instance's pooled connection to each node: opening one
	// costs a HELLO, once.
	for _, in := range []*instance{a, b} {
		for _, room := range rooms {
			if err := in.hub.Publish(t.Context(), room, liveview.Message{Target: "#t", HTML: "warm"}); err != nil {
				t.Fatal(err)
			}
			for _, ws := range conns[room] {
				if got := readHTML(t, ws); got != "warm" {
					t.Fatalf("got %q, want %q", got, "warm")
				}
			}
		}
	}
	for i, room := range rooms {
		node := cl.NodeFor("liveview:room:" + room)
		for j := range cl.Addrs() {
			cl.Node(j).Do("CONFIG", "RESETSTAT")
		}
		from := []*instance{a, b}[i%2]
		if err := from.hub.Publish(t.Context(), room, liveview.Message{Target: "#t", HTML: "to " + room}); err != nil {
			t.Fatal(err)
		}
		for _, ws := range conns[room] {
			if got := readHTML(t, ws); got != "to "+room {
				t.Fatalf("room %s: got %q, want %q", room, got, "to "+room)
			}
		}
		for j := range cl.Addrs() {
			got := commands(cl.Node(j))
			delete(got, "ping") // the brokers' health checks
			delete(got, "cluster|slots")
			delete(got, "cluster|nodes")
			want := map[string]int{}
			if j == node {
				want["spublish"] = 1
			}
			if !maps.Equal(got, want) {
				t.Errorf("Publish to room %s (node %d): node %d counted %v, want %v", room, node, j, got, want)
			}
		}
	}
}

// TestClusterUnreachable: with no node of the cluster reachable, so no
// slot map, Publish and Subscribe fail with ErrUnavailable (also with
// local delivery), and Close returns.
func TestClusterUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, opts := range [][]redis.Option{nil, {redis.WithLocalDelivery()}} {
		b := redis.New(newClusterClient(t, []string{addr}, 3), append(opts, redis.WithLogger(quietLogger()))...)
		if err := b.Publish(t.Context(), "t", []byte("x")); !errors.Is(err, redis.ErrUnavailable) || !strings.HasPrefix(err.Error(), "liveview: ") {
			t.Errorf("Publish: %v, want a liveview: error wrapping ErrUnavailable", err)
		}
		if _, err := b.Subscribe(t.Context(), "t", func([]byte) {}); !errors.Is(err, redis.ErrUnavailable) {
			t.Errorf("Subscribe: %v, want ErrUnavailable", err)
		}
		if s := b.Stats(); s.Connected || s.Shards != 0 || s.PublishErrors != 1 {
			t.Errorf("Stats %+v: want not connected, no shard, 1 publish error", s)
		}
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := b.Publish(t.Context(), "t", []byte("x")); !errors.Is(err, pubsub.ErrClosed) {
			t.Errorf("Publish after Close: %v, want ErrClosed", err)
		}
	}
}

// TestClusterSlotMoved: the slot of a subscribed topic moves to another
// node (CLUSTER SETSLOT ... NODE on every node, as at the end of a
// resharding). The old node unsubscribes the broker from the channel; the
// broker does not stay silent about it: a gap opens on that node's shard.
// Once the topic's subscriptions end, a new Subscribe goes to the new
// node and receives again, and the gap ends.
func TestClusterSlotMoved(t *testing.T) {
	cl := redisserver.StartCluster(t, 3)
	gaps := make(chan redis.Gap, 10)
	logs := &logCounter{}
	sub := redis.New(newClusterClient(t, cl.Addrs(), 3), redis.WithLogger(slog.New(logs)),
		redis.WithGapHandler(func(g redis.Gap) { gaps <- g }))
	pub := redis.New(newClusterClient(t, cl.Addrs(), 3), redis.WithLogger(quietLogger()))
	t.Cleanup(func() { _ = sub.Close(); _ = pub.Close() })
	topic := "moved/t"
	from := cl.NodeFor(topic)
	to := (from + 1) % 3
	r := pubsubtest.NewRecorder()
	s, err := sub.Subscribe(t.Context(), topic, r.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(t.Context(), topic, []byte("before")); err != nil {
		t.Fatal(err)
	}
	r.WaitFor(t, "before")

	slot := cl.Node(from).Do("CLUSTER", "KEYSLOT", topic)
	id := cl.Node(to).Do("CLUSTER", "MYID")
	for _, i := range []int{to, from, 3 - from - to} {
		cl.Node(i).Do("CLUSTER", "SETSLOT", slot, "NODE", id)
	}
	waitFor(t, "a gap on the old node's shard", func() bool {
		return !sub.ShardStats()[cl.Addrs()[from]].GapSince.IsZero()
	})
	// The broker retries on the old node, which refuses (MOVED), without
	// a log line per retry.
	waitFor(t, "retries", func() bool { return sub.ShardStats()[cl.Addrs()[from]].Disconnects >= 4 })
	if n := len(logs.lines()); n > 4 {
		t.Errorf("%d warnings for one moved slot, want a few: %q", n, logs.lines())
	}
	if err := s.Unsubscribe(); err != nil {
		t.Errorf("Unsubscribe: %v", err)
	}
	r2 := pubsubtest.NewRecorder()
	waitFor(t, "Subscribe on the new node", func() bool {
		s, err = sub.Subscribe(t.Context(), topic, r2.Handle)
		return err == nil
	})
	defer s.Unsubscribe()
	waitFor(t, "Publish to the new node", func() bool {
		return pub.Publish(t.Context(), topic, []byte("after")) == nil
	})
	r2.WaitFor(t, "after")
	if got := sub.ShardStats()[cl.Addrs()[to]].Channels; got != 1 {
		t.Errorf("channels on the new node's shard: %d, want 1", got)
	}
	select {
	case g := <-gaps:
		t.Logf("gap on %s: %v (%v)", g.Node, g.Duration(), g.Err)
		if g.Node != cl.Addrs()[from] {
			t.Errorf("gap on %s, want %s", g.Node, cl.Addrs()[from])
		}
	case <-time.After(waitTimeout):
		t.Error("the gap did not end")
	}
}
