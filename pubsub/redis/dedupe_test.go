package redis_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// The dedupe store of exactly-once events: a claim is atomic across two
// brokers (two instances), costs one SET and a record one more, expires
// with its TTL, and a dead or a frozen Redis is an error wrapping
// ErrUnavailable within the publish timeout, never a claim.
func TestDedupeStore(t *testing.T) {
	srv := redisserver.Start(t)
	ctx := context.Background()
	newBroker := func() *redis.Broker {
		c := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), MaxRetries: -1})
		b := redis.New(c, redis.WithPublishTimeout(300*time.Millisecond))
		t.Cleanup(func() { _ = b.Close(); _ = c.Close() })
		return b
	}
	a, b := newBroker(), newBroker()
	srv.Do("CONFIG", "RESETSTAT")

	var wins atomic.Int64
	var winner atomic.Value // []byte: the claim that won
	var wg sync.WaitGroup
	for i := range 40 {
		br := a
		if i%2 == 1 {
			br = b
		}
		wg.Go(func() {
			_, ok, err := br.ClaimEvent(ctx, "tab.1:r", []byte{'p', byte(i)}, time.Minute)
			if err != nil {
				t.Errorf("claim: %v", err)
			}
			if ok {
				wins.Add(1)
				winner.Store([]byte{'p', byte(i)})
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won across two brokers, want 1", wins.Load())
	}
	if ok, err := a.CompleteEvent(ctx, "tab.1:r", winner.Load().([]byte), []byte("dframes"), 2*time.Minute); err != nil || !ok {
		t.Fatalf("complete: %v %v", ok, err)
	}
	rec, ok, err := b.ClaimEvent(ctx, "tab.1:r", []byte("p"), time.Minute)
	if err != nil || ok || string(rec) != "dframes" {
		t.Fatalf("the other instance sees %q %v %v", rec, ok, err)
	}
	calls := srv.CommandCalls()
	// 41 claims + the record: one EVALSHA running a GET and a SET (and an
	// EVAL after it, as the script was not loaded yet).
	if calls["set"] != 42 || calls["get"] != 1 || calls["evalsha"] != 1 || calls["eval"] > 1 {
		t.Errorf("commands %v, want 42 SET, 1 GET, 1 EVALSHA (and at most 1 EVAL)", calls)
	}
	t.Logf("commands: %v", calls)
	if pttl := srv.Do("PTTL", "liveview:once:tab.1:r"); pttl < "1" || len(pttl) < 6 {
		t.Errorf("record PTTL %s ms, want about 120000", pttl)
	}

	// The TTL: a short claim is gone after it.
	if _, ok, _ := a.ClaimEvent(ctx, "tab.2:r", []byte("p"), 50*time.Millisecond); !ok {
		t.Fatal("claim")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok, _ := b.ClaimEvent(ctx, "tab.2:r", []byte("p"), time.Minute); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the claim did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}

	for _, fault := range []struct {
		name       string
		start, end func()
	}{
		{"frozen", srv.Pause, srv.Resume},
		{"dead", srv.Kill, srv.Restart},
	} {
		fault.start()
		t0 := time.Now()
		_, ok, err := a.ClaimEvent(ctx, "tab.3:r", []byte("p"), time.Minute)
		took := time.Since(t0)
		if ok || !errors.Is(err, redis.ErrUnavailable) {
			t.Errorf("%s: claim %v %v, want ErrUnavailable", fault.name, ok, err)
		}
		if _, err := a.CompleteEvent(ctx, "tab.3:r", []byte("p"), []byte("d"), time.Minute); !errors.Is(err, redis.ErrUnavailable) {
			t.Errorf("%s: complete %v, want ErrUnavailable", fault.name, err)
		}
		t.Logf("%s Redis: the claim failed after %v", fault.name, took)
		if took > 3*time.Second {
			t.Errorf("%s: the claim took %v", fault.name, took)
		}
		fault.end()
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		_, ok, err := a.ClaimEvent(ctx, "tab.4:r", []byte("p"), time.Minute)
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no claim after Redis came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Completing is a compare-and-set on the claim: a run that outlasted its
// lease, whose id another instance claimed since, does not overwrite that
// claim (nor its record); completing again (a retried command) succeeds.
func TestDedupeCompleteAfterLease(t *testing.T) {
	srv := redisserver.Start(t)
	ctx := context.Background()
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	b := redis.New(c)
	t.Cleanup(func() { _ = b.Close(); _ = c.Close() })

	if _, ok, err := b.ClaimEvent(ctx, "tab.1:r", []byte("pA"), 30*time.Millisecond); err != nil || !ok {
		t.Fatalf("claim A: %v %v", ok, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for { // A's lease expires; B claims the id
		_, ok, err := b.ClaimEvent(ctx, "tab.1:r", []byte("pB"), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease did not expire")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, step := range []struct {
		name       string
		claim, val string
		ok         bool
		rec        string
	}{
		{"A after its lease", "pA", "dA", false, "pB"},
		{"B", "pB", "dB", true, "dB"},
		{"B again", "pB", "dB", true, "dB"},
		{"A again", "pA", "dA", false, "dB"},
		{"a key never claimed", "pC", "dC", false, ""},
	} {
		key := "tab.1:r"
		if step.rec == "" {
			key = "tab.2:r"
		}
		ok, err := b.CompleteEvent(ctx, key, []byte(step.claim), []byte(step.val), time.Minute)
		if err != nil || ok != step.ok {
			t.Errorf("%s: completed %v %v, want %v", step.name, ok, err, step.ok)
		}
		if got := srv.Do("GET", "liveview:once:"+key); got != step.rec {
			t.Errorf("%s: record %q, want %q", step.name, got, step.rec)
		}
	}
}
