package redis_test

import (
	"testing"

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
