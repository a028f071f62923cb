package redis_test

import (
	"context"
	"log"
	"log/slog"

	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// Several instances of an app share Redis: each gets a broker over the
// app's own go-redis client. (Not run: it needs a Redis server.)
func ExampleNew() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close() // after the broker

	broker := redis.New(rdb,
		redis.WithPrefix("myapp:"), // several apps may share one Redis
		redis.WithGapHandler(func(g redis.Gap) {
			slog.Warn("missed pub/sub messages", "for", g.Duration(), "cause", g.Err)
		}),
	)
	defer broker.Close() // after the Hub

	hub := liveview.New(liveview.Config{Broker: broker})
	defer hub.Close()

	e := echo.New()
	e.Use(hub.Middleware())
	if err := hub.Broadcast(context.Background(), liveview.Message{Target: "#news", HTML: "<p>Hello, every instance</p>"}); err != nil {
		log.Print(err) // wraps redis.ErrUnavailable while Redis is down
	}
}

// On a Redis Cluster, the broker uses sharded pub/sub: each topic lives on
// the shard of its hash slot. (Not run: it needs a cluster.)
func ExampleNew_cluster() {
	rdb := goredis.NewClusterClient(&goredis.ClusterOptions{
		Addrs: []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"},
	})
	defer rdb.Close() // after the broker

	broker := redis.New(rdb,
		redis.WithPrefix("myapp:"),
		redis.WithGapHandler(func(g redis.Gap) {
			// Only the topics of that node's slots missed messages.
			slog.Warn("missed pub/sub messages", "node", g.Node, "for", g.Duration(), "cause", g.Err)
		}),
	)
	defer broker.Close() // after the Hub

	hub := liveview.New(liveview.Config{Broker: broker})
	defer hub.Close()
	for node, s := range broker.ShardStats() {
		slog.Info("redis shard", "node", node, "connected", s.Connected, "channels", s.Channels)
	}
}
