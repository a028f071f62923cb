package redis_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/redis"
)

// TestCollectDead kills an instance tracking more topics than one upkeep
// round collects: the live one deletes every key of the dead one (hashes,
// index memberships, its topics set, then its liveness entry) and none of
// its own.
func TestCollectDead(t *testing.T) {
	const topics = 250 // collectBatch is 100: three rounds at least
	srv := redisserver.Start(t)
	opts := []redis.Option{redis.WithPrefix("c:"), redis.WithLease(testLease), redis.WithSyncInterval(testSync), redis.WithLogger(quietLogger())}
	a := redis.New(newClient(t, srv.Addr(), 3), opts...)
	b := redis.New(newClient(t, srv.Addr(), 3), opts...)
	defer b.Close()
	ctx := t.Context()
	for i := range topics {
		topic := fmt.Sprintf("t%d", i)
		for _, tr := range []*redis.Tracker{a, b} {
			if err := tr.Track(ctx, topic, presence.Entry{Key: "k", Ref: tr.ID()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	dead, live := a.ID(), b.ID()
	keysOf := func(id string) []string {
		out := srv.Do("KEYS", "c:*"+id)
		var keys []string
		for k := range strings.SplitSeq(out, "\n") {
			if k != "" {
				keys = append(keys, k)
			}
		}
		return keys
	}
	if n := len(keysOf(dead)); n != topics+1 {
		t.Fatalf("before the kill: %d keys of the instance, want %d", n, topics+1)
	}
	redis.Kill(a)
	waitUntil(t, "every key of the dead instance collected", 20*time.Second, func() bool {
		return len(keysOf(dead)) == 0 && srv.Do("ZSCORE", "c:instances", dead) == "" &&
			!strings.Contains(srv.Do("SMEMBERS", "c:{t0}"), dead)
	})
	if n := len(keysOf(live)); n != topics+1 {
		t.Fatalf("the live instance has %d keys, want %d", n, topics+1)
	}
	if srv.Do("ZSCORE", "c:instances", live) == "" {
		t.Fatal("the live instance left the liveness set")
	}
	l, err := b.List(ctx, "t0")
	if err != nil || len(l) != 1 || l[0].Ref != live {
		t.Fatalf("List: %+v, %v; want the live instance's entry only", l, err)
	}
}

// TestLostMessage loses a change message (written to Redis, never
// delivered, no gap reported): the replicas, which do not re-read topics
// in steady state, see it from the next message's Prev and read the
// topic again.
func TestLostMessage(t *testing.T) {
	srv := redisserver.Start(t)
	// Hour-long intervals: no upkeep round reads anything meanwhile.
	opts := []redis.Option{redis.WithLease(time.Hour), redis.WithLogger(quietLogger())}
	a := redis.New(newClient(t, srv.Addr(), 3), opts...)
	defer a.Close()
	b := redis.New(newClient(t, srv.Addr(), 3), opts...)
	defer b.Close()
	ctx := t.Context()
	seen := &diffLog{state: make(map[string]presence.Entry)}
	w, err := b.Watch(ctx, "room", seen.fn)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	steps := []struct {
		name string
		do   func() error
		lose bool
		want []string // refs on b's Watch and List afterwards
	}{
		{"track r1", func() error { return a.Track(ctx, "room", presence.Entry{Key: "k", Ref: "r1"}) }, false, []string{"r1"}},
		{"track r2, lost", func() error { return a.Track(ctx, "room", presence.Entry{Key: "k", Ref: "r2"}) }, true, []string{"r1"}},
		{"track r3", func() error { return a.Track(ctx, "room", presence.Entry{Key: "k", Ref: "r3"}) }, false, []string{"r1", "r2", "r3"}},
		{"untrack r1, lost", func() error { return a.Untrack(ctx, "room", "r1") }, true, []string{"r1", "r2", "r3"}},
		{"untrack r3", func() error { return a.Untrack(ctx, "room", "r3") }, false, []string{"r2"}},
	}
	for _, s := range steps {
		if s.lose {
			redis.LoseMessages(a, 1)
		}
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		waitUntil(t, s.name+": b's Watch and List", 5*time.Second, func() bool {
			l, err := b.List(ctx, "room")
			if err != nil || len(l) != len(s.want) {
				return false
			}
			for i, ref := range s.want {
				if l[i].Ref != ref || !seen.has(ref) {
					return false
				}
			}
			seen.mu.Lock()
			defer seen.mu.Unlock()
			return len(seen.state) == len(s.want)
		})
	}
}

// A resync of every watched topic (after a gap in the notifications) is
// spread over upkeep rounds: one pass syncs for at most its budget
// (lease/4; here about nothing, so one topic a pass), the others wait for
// the next rounds, whose heartbeat runs first. With 50,000 watched topics
// one pass of seconds used to keep the heartbeat, on the same goroutine,
// from renewing the lease, so the other instances could take a live
// instance for dead while it resynced.
func TestResyncSpreadOverRounds(t *testing.T) {
	const topics = 20
	srv := redisserver.Start(t)
	// Hour-long intervals: no round runs but those the test asks for.
	tr := redis.New(newClient(t, srv.Addr(), 3), redis.WithLease(time.Hour), redis.WithLogger(quietLogger()))
	defer tr.Close()
	ctx := t.Context()
	for i := range topics {
		w, err := tr.Watch(ctx, fmt.Sprintf("t%d", i), func(presence.Diff) {})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
	}
	redis.SetSyncBudget(tr, time.Nanosecond)
	redis.WantSyncAll(tr) // as a gap does: the loop runs one pass
	waitUntil(t, "the first pass", 5*time.Second, func() bool { return redis.Wanting(tr) == topics-1 })
	time.Sleep(100 * time.Millisecond)
	if n := redis.Wanting(tr); n != topics-1 {
		t.Fatalf("%d topics left after one pass, want %d: the pass went past its budget", n, topics-1)
	}
	for round := 2; round <= topics; round++ {
		calls := srv.CommandCalls()["evalsha"]
		redis.Cycle(tr) // heartbeat (a script), then one more sync
		if n := redis.Wanting(tr); n != topics-round {
			t.Fatalf("round %d: %d topics left, want %d", round, n, topics-round)
		}
		// Two scripts: the heartbeat and the topic's read.
		if d := srv.CommandCalls()["evalsha"] - calls; d != 2 {
			t.Fatalf("round %d ran %d scripts, want the heartbeat and one read", round, d)
		}
	}
	// The default budget syncs them all in one pass.
	redis.SetSyncBudget(tr, time.Minute)
	redis.WantSyncAll(tr)
	waitUntil(t, "one full pass", 5*time.Second, func() bool { return redis.Wanting(tr) == 0 })
}

// BenchmarkResync measures the resync after a gap: every watched topic
// read again, one at a time (one script each), on a redis-server on
// loopback; reported per topic.
func BenchmarkResync(b *testing.B) {
	const topics = 1000
	srv := redisserver.Start(b)
	tr := redis.New(newClient(b, srv.Addr(), 3), redis.WithLease(time.Hour), redis.WithLogger(quietLogger()))
	defer tr.Close()
	ctx := b.Context()
	for i := range topics {
		w, err := tr.Watch(ctx, fmt.Sprintf("t%d", i), func(presence.Diff) {})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Stop()
	}
	start := time.Now()
	passes := 0
	for b.Loop() {
		redis.WantSyncAll(tr)
		for redis.Wanting(tr) > 0 {
			time.Sleep(time.Millisecond)
		}
		passes++
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(passes*topics), "µs/topic")
}
