package redis_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/redis"
)

// Bounds of the fault tests, generous on purpose (a loaded two-core machine
// under -race): several times what they check.
const (
	freezeTimeout = 300 * time.Millisecond // WithTimeout of the frozen test
	boundedWait   = 4 * time.Second        // a call meeting a frozen Redis (target: 1-2 timeouts)
	atOnce        = time.Second            // a call failing fast
)

func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

type diffLog struct {
	mu    sync.Mutex
	state map[string]presence.Entry
}

func (d *diffLog) fn(diff presence.Diff) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range diff.Leaves {
		delete(d.state, e.Ref)
	}
	for _, e := range diff.Joins {
		d.state[e.Ref] = e
	}
}

func (d *diffLog) has(ref string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.state[ref]
	return ok
}

func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFrozenRedis pauses redis-server (SIGSTOP): calls fail within their
// bound with ErrUnavailable, then at once; the change made meanwhile is
// kept locally and reaches the other instance after SIGCONT.
func TestFrozenRedis(t *testing.T) {
	srv := redisserver.Start(t)
	opts := []redis.Option{redis.WithLease(5 * time.Second), redis.WithSyncInterval(200 * time.Millisecond),
		redis.WithTimeout(freezeTimeout), redis.WithLogger(quietLogger())}
	a := redis.New(newClient(t, srv.Addr(), 3), opts...)
	defer a.Close()
	b := redis.New(newClient(t, srv.Addr(), 3), opts...)
	defer b.Close()
	c := redis.New(newClient(t, srv.Addr(), 3), opts...)
	defer c.Close()
	ctx := t.Context()
	topic := fmt.Sprintf("frozen-%016x", rand.Uint64())
	if err := c.Track(ctx, topic, presence.Entry{Key: "k", Ref: "closed-in-freeze"}); err != nil {
		t.Fatal(err)
	}
	seen := &diffLog{state: make(map[string]presence.Entry)}
	w, err := b.Watch(ctx, topic, seen.fn)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if err := a.Track(ctx, topic, presence.Entry{Key: "k", Ref: "before"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the entry tracked before the freeze reaches b", 5*time.Second, func() bool { return seen.has("before") })

	srv.Pause()
	paused := true
	defer func() {
		if paused {
			srv.Resume()
		}
	}()
	var terr error
	if d := timed(func() { terr = a.Track(ctx, topic, presence.Entry{Key: "k", Ref: "during"}) }); d > boundedWait {
		t.Fatalf("Track on a frozen Redis took %v", d)
	}
	if !errors.Is(terr, presence.ErrUnavailable) {
		t.Fatalf("Track on a frozen Redis: %v, want ErrUnavailable", terr)
	}
	checks := []struct {
		name string
		call func() error
	}{
		{"Track", func() error { return a.Track(ctx, topic, presence.Entry{Key: "k", Ref: "during2"}) }},
		{"Untrack", func() error { return a.Untrack(ctx, topic, "during2") }},
		{"List", func() error { _, err := a.List(ctx, topic); return err }},
		{"Watch", func() error { _, err := a.Watch(ctx, topic+"-other", func(presence.Diff) {}); return err }},
	}
	for _, c := range checks {
		var err error
		if d := timed(func() { err = c.call() }); d > atOnce {
			t.Errorf("%s after a timeout took %v, want it at once", c.name, d)
		}
		if !errors.Is(err, presence.ErrUnavailable) || !strings.HasPrefix(err.Error(), "liveview: ") {
			t.Errorf("%s on a frozen Redis: %v, want an error wrapping ErrUnavailable", c.name, err)
		}
	}
	// Close during the freeze is bounded too (go-redis's ReadTimeout, 3s,
	// for the broker's pub/sub connection), and says Redis was not told.
	var cerr error
	if d := timed(func() { cerr = c.Close() }); d > boundedWait+3*time.Second || !errors.Is(cerr, presence.ErrUnavailable) {
		t.Errorf("Close on a frozen Redis: %v after %v", cerr, d)
	} else {
		t.Logf("Close on a frozen Redis: %v after %v", cerr, d.Round(time.Millisecond))
	}
	// b, which only watched, answers List from its replica meanwhile.
	if d := timed(func() { _, err = b.List(ctx, topic) }); err != nil || d > atOnce {
		t.Errorf("List of a watched topic on a frozen Redis: %v after %v, want the replica at once", err, d)
	}
	srv.Resume()
	paused = false
	waitUntil(t, "the entry tracked during the freeze reaches b", 10*time.Second, func() bool { return seen.has("during") && !seen.has("during2") })
	waitUntil(t, "a's calls work again", 10*time.Second, func() bool {
		return a.Track(ctx, topic, presence.Entry{Key: "k", Ref: "after"}) == nil
	})
	waitUntil(t, "the entry tracked after the freeze reaches b", 5*time.Second, func() bool { return seen.has("after") && seen.has("before") })
	// The instance closed during the freeze did not hear back: its entry
	// goes with its lease, or sooner if the resumed Redis runs the
	// goodbye it had received.
	waitUntil(t, "the entry of the instance closed during the freeze expires", 10*time.Second, func() bool { return !seen.has("closed-in-freeze") })
}

// TestDeadRedis: with redis-server killed, calls fail at once with
// ErrUnavailable; after a restart (data lost) everything is rebuilt.
func TestDeadRedis(t *testing.T) {
	srv := redisserver.Start(t)
	opts := []redis.Option{redis.WithLease(2 * time.Second), redis.WithSyncInterval(200 * time.Millisecond), redis.WithLogger(quietLogger())}
	a := redis.New(newClient(t, srv.Addr(), 3), opts...)
	defer a.Close()
	ctx := t.Context()
	topic := fmt.Sprintf("dead-%016x", rand.Uint64())
	if err := a.Track(ctx, topic, presence.Entry{Key: "k", Ref: "r1"}); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	var err error
	if d := timed(func() { err = a.Track(ctx, topic, presence.Entry{Key: "k", Ref: "r2"}) }); d > boundedWait || !errors.Is(err, presence.ErrUnavailable) {
		t.Fatalf("Track on a dead Redis: %v after %v", err, d)
	}
	if _, err := a.List(ctx, topic); !errors.Is(err, presence.ErrUnavailable) {
		t.Fatalf("List on a dead Redis: %v", err)
	}
	srv.Restart()
	b := redis.New(newClient(t, srv.Addr(), 3), opts...)
	defer b.Close()
	waitUntil(t, "a's entries rebuilt in the new Redis", 10*time.Second, func() bool {
		l, err := b.List(ctx, topic)
		return err == nil && len(l) == 2
	})
}

// TestHostileStore writes malformed values into a topic's keys: List and
// Watch skip them, keep the good entries and do not panic.
func TestHostileStore(t *testing.T) {
	srv := redisserver.Start(t)
	a := redis.New(newClient(t, srv.Addr(), 3), redis.WithLogger(quietLogger()), redis.WithPrefix("h:"))
	defer a.Close()
	ctx := t.Context()
	topic := "room"
	id := strings.Repeat("c", 32)
	srv.Do("HSET", "h:{room}:"+id, "", "12", "good", "3:bob{\"a\":1}", "bad1", "zz", "bad2", "9:x", "bad3", "1:a{")
	srv.Do("SADD", "h:{room}", id, "not-an-id", strings.Repeat("d", 32))
	srv.Do("HSET", "h:{room}:not-an-id", "r", "1:a")
	srv.Do("SET", "h:{room}:"+strings.Repeat("d", 32), "a string, not a hash")
	// The liveness set: c's lease runs (an hour from now: scores are
	// milliseconds of Redis's clock), with malformed members beside it.
	srv.Do("ZADD", "h:instances", strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10), id, "1", "not-an-id", "2", strings.Repeat("E", 32))
	want := []presence.Entry{{Key: "bob", Ref: "good", Meta: json.RawMessage(`{"a":1}`)}}
	l, err := a.List(ctx, topic)
	if err != nil {
		// The read script meets a key of the wrong type: an error, not a panic.
		if !errors.Is(err, presence.ErrUnavailable) {
			t.Fatalf("List: %v", err)
		}
		srv.Do("DEL", "h:{room}:"+strings.Repeat("d", 32))
		if l, err = a.List(ctx, topic); err != nil {
			t.Fatalf("List: %v", err)
		}
	}
	if len(l) != 1 || !presence.Equal(l[0], want[0]) {
		t.Fatalf("List: %+v, want %+v", l, want)
	}
	// Hostile change messages on the topic's channel are ignored.
	seen := &diffLog{state: make(map[string]presence.Entry)}
	w, err := a.Watch(ctx, topic, seen.fn)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for _, p := range []string{"junk", `{"i":"` + id + `","s":99,"o":"t","r":"x","k":"","m":1}`, `{"i":"` + id + `","s":99,"o":"zz"}`, `{"i":"` + id + `","s":100,"o":"t","r":"x","k":"k","m":{]}`} {
		srv.Do("PUBLISH", "h:{room}", p)
	}
	srv.Do("PUBLISH", "h:{room}", `{"i":"`+id+`","s":101,"o":"t","r":"ok","k":"k"}`)
	waitUntil(t, "the well-formed message is applied", 5*time.Second, func() bool { return seen.has("ok") })
	if seen.has("x") {
		t.Fatal("a malformed message was applied")
	}
	_ = context.Background
}
