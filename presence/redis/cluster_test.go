package redis_test

import (
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/presencetest"
	"github.com/echo-liveview/liveview/presence/redis"
)

// TestClusterConformance runs the conformance suite on a real 3-node Redis
// Cluster through a ClusterClient: a topic's keys share one hash slot, so
// its scripts run on one node; the change messages go through the
// sharded pub/sub of pubsub/redis. The store restart kills and restarts
// every node (their data lost, their slots kept).
func TestClusterConformance(t *testing.T) {
	cl := redisserver.StartCluster(t, 3)
	presencetest.Run(t, presencetest.Config{
		New: func(t *testing.T) presence.Tracker {
			c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs()})
			t.Cleanup(func() { _ = c.Close() })
			return redis.New(c, redis.WithLease(testLease), redis.WithSyncInterval(testSync), redis.WithLogger(quietLogger()))
		},
		Instances: true,
		Kill:      func(t *testing.T, tr presence.Tracker) { redis.Kill(tr.(*redis.Tracker)) },
		Restart: func(t *testing.T) {
			for i := range 3 {
				cl.Node(i).Kill()
			}
			for i := range 3 {
				cl.Node(i).Restart()
			}
			cl.WaitOK()
		},
		DeadBound: testLease + testSync,
	})
}
