package redis_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/redis"
)

// TestUpkeepCost counts the Redis commands (INFO commandstats, commands
// run inside scripts included) of the background upkeep of two instances
// that each track and watch n topics, over a few intervals driven by hand
// (redis.Cycle, the loop's own interval being an hour): a deterministic
// count. The steady-state cost must not grow with the number of topics.
func TestUpkeepCost(t *testing.T) {
	const cycles = 5
	cost := func(t *testing.T, n int) (int, map[string]int) {
		srv := redisserver.Start(t)
		opts := []redis.Option{redis.WithLease(time.Hour), redis.WithSyncInterval(time.Hour), redis.WithLogger(quietLogger())}
		a := redis.New(newClient(t, srv.Addr(), 3), opts...)
		defer a.Close()
		b := redis.New(newClient(t, srv.Addr(), 3), opts...)
		defer b.Close()
		ctx := t.Context()
		for i := range n {
			topic := fmt.Sprintf("topic-%d", i)
			for _, tr := range []*redis.Tracker{a, b} {
				if _, err := tr.Watch(ctx, topic, func(presence.Diff) {}); err != nil {
					t.Fatal(err)
				}
				if err := tr.Track(ctx, topic, presence.Entry{Key: "k", Ref: tr.ID()[:8] + "-" + topic}); err != nil {
					t.Fatal(err)
				}
			}
		}
		waitUntil(t, "both instances see every topic", 30*time.Second, func() bool {
			for _, tr := range []*redis.Tracker{a, b} {
				l, err := tr.List(ctx, fmt.Sprintf("topic-%d", n-1))
				if err != nil || len(l) != 2 {
					return false
				}
			}
			return true
		})
		// Settle: a first round may still have work from the setup.
		redis.Cycle(a)
		redis.Cycle(b)
		srv.Do("CONFIG", "RESETSTAT")
		for range cycles {
			redis.Cycle(a)
			redis.Cycle(b)
		}
		calls := srv.CommandCalls()
		delete(calls, "config|resetstat")
		total := 0
		for _, c := range calls {
			total += c
		}
		return total, calls
	}
	show := func(calls map[string]int) string {
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(calls)) {
			fmt.Fprintf(&b, " %s=%d", k, calls[k])
		}
		return b.String()
	}
	var per []float64
	for _, n := range []int{10, 1000} {
		total, calls := cost(t, n)
		p := float64(total) / cycles / 2
		per = append(per, p)
		t.Logf("%d topics tracked and watched on 2 instances: %d commands (round trips: %d) in %d intervals: %.1f per instance per interval;%s",
			n, total, calls["evalsha"], cycles, p, show(calls))
		// One script per instance per interval: the heartbeat, which
		// also reads the liveness set.
		if calls["evalsha"] != cycles*2 {
			t.Errorf("%d topics: %d scripts in %d intervals of 2 instances, want %d", n, calls["evalsha"], cycles, cycles*2)
		}
	}
	if per[1] != per[0] {
		t.Errorf("upkeep per instance per interval: %.1f commands with 10 topics, %.1f with 1,000: it grows with the topics", per[0], per[1])
	}
}
