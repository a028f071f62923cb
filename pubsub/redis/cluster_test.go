package redis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

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

// clusterTopics returns, for each node of cl, a topic (with prefix
// "name/") whose channel that node serves.
func clusterTopics(t testing.TB, cl *redisserver.Cluster, name string) []string {
	t.Helper()
	topics := make([]string, len(cl.Addrs()))
	found := 0
	for i := 0; found < len(topics); i++ {
		if i > 1000 {
			t.Fatalf("no topic found for some node: %q", topics)
		}
		topic := name + "/" + strconv.Itoa(i)
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

			topics := clusterTopics(t, cl, fmt.Sprintf("killed/%v", local))
			victim := 0
			hit, spared := topics[victim], topics[1:]
			recs := make(map[string]*pubsubtest.Recorder)
			for _, topic := range topics {
				recs[topic] = pubsubtest.NewRecorder()
				if _, err := sub.Subscribe(t.Context(), topic, recs[topic].Handle); err != nil {
					t.Fatal(err)
				}
			}
			if s := sub.Stats(); s.Shards != 3 || s.Channels != 3 || !s.Connected {
				t.Fatalf("subscriber stats %+v: want 3 shards, 3 channels, connected", s)
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
				if g.Node != cl.Addrs()[victim] || g.Channels != 1 || g.Err == nil || g.Duration() <= 0 {
					t.Errorf("gap %+v: want node %s, 1 channel, a cause, a positive duration", g, cl.Addrs()[victim])
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
			if s := sub.Stats(); s.Disconnects != 1 || s.Gaps != 1 || !s.GapSince.IsZero() || s.Channels != 3 || !s.Connected {
				t.Errorf("subscriber stats %+v: want 1 disconnect, 1 ended gap, 3 channels, connected", s)
			}
			for addr, s := range sub.ShardStats() {
				want := int64(0)
				if addr == cl.Addrs()[victim] {
					want = 1
				}
				if s.Gaps != want || s.Channels != 1 {
					t.Errorf("stats of shard %s: %+v, want %d gaps, 1 channel", addr, s, want)
				}
			}
			cl.WaitOK()
		})
	}
}
