package pubsub

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"testing"
	"time"
)

// The claim is atomic, records expire after their TTL, and the store
// stays within its bound (a full store claims nothing, a large record is
// kept without its frames).
func TestDedupe(t *testing.T) {
	ctx := context.Background()
	d := NewDedupe(4096)
	now := time.Unix(1000, 0)
	d.now = func() time.Time { return now }

	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	var winner []byte
	for i := range 50 {
		wg.Go(func() {
			if _, ok, err := d.ClaimEvent(ctx, "k", []byte{'p', byte(i)}, time.Minute); err == nil && ok {
				mu.Lock()
				wins++
				winner = []byte{'p', byte(i)}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d claims won, want 1", wins)
	}
	if ok, err := d.CompleteEvent(ctx, "k", winner, []byte("dframes"), 2*time.Minute); err != nil || !ok {
		t.Fatalf("complete: %v %v", ok, err)
	}
	for _, tt := range []struct {
		after time.Duration
		rec   string
		ok    bool
	}{
		{time.Minute + time.Second, "dframes", false}, // the lease's expiry does not drop the record
		{2*time.Minute + time.Second, "", true},       // the record's does
	} {
		now = time.Unix(1000, 0).Add(tt.after)
		rec, ok, err := d.ClaimEvent(ctx, "k", []byte("p2"), time.Minute)
		if err != nil || ok != tt.ok || string(rec) != tt.rec {
			t.Errorf("after %v: %q %v %v, want %q %v", tt.after, rec, ok, err, tt.rec, tt.ok)
		}
	}
	// The bound: a full store evicts, oldest first, and never refuses a
	// record that fits in a shard (a sixteenth of the bound).
	for i := range 100 {
		if _, ok, err := d.ClaimEvent(ctx, fmt.Sprint("key", i), []byte("p"), time.Minute); err != nil || !ok {
			t.Fatalf("claim %d at the bound: %v %v", i, ok, err)
		}
	}
	if d.Bytes() > 4096 || d.Evicted() == 0 {
		t.Errorf("%d bytes, %d evicted: want evictions within 4096", d.Bytes(), d.Evicted())
	}
	if rec, ok, _ := d.ClaimEvent(ctx, "key99", []byte("p2"), time.Minute); ok || string(rec) != "p" {
		t.Errorf("the last claim was evicted: %q %v", rec, ok)
	}
	if _, _, err := d.ClaimEvent(ctx, "huge", make([]byte, 300), time.Minute); !errors.Is(err, ErrDedupeFull) {
		t.Errorf("a claim larger than a shard: %v, want ErrDedupeFull", err)
	}
	if _, ok, _ := d.ClaimEvent(ctx, "big", []byte("p"), time.Minute); !ok {
		t.Fatal("claim big")
	}
	if ok, _ := d.CompleteEvent(ctx, "big", []byte("p"), make([]byte, 8192), time.Minute); !ok {
		t.Fatal("complete big")
	}
	if rec, _, _ := d.ClaimEvent(ctx, "big", nil, time.Minute); len(rec) != 1 || d.Bytes() > 4096 {
		t.Errorf("a record over the bound kept %d bytes (store %d)", len(rec), d.Bytes())
	}
	// Everything expires.
	now = now.Add(time.Hour)
	_, _, _ = d.ClaimEvent(ctx, "last", []byte("p"), time.Minute)
	if d.Len() != 1 {
		t.Errorf("%d records after an hour, want 1", d.Len())
	}
}

// Completing is a compare-and-set on the claim: a run that outlasted its
// lease, whose id was claimed again since, leaves that claim and its
// record alone; completing again with the same record succeeds.
func TestDedupeCompleteAfterLease(t *testing.T) {
	ctx := context.Background()
	d := NewDedupe(0)
	now := time.Unix(1000, 0)
	d.now = func() time.Time { return now }
	if _, ok, _ := d.ClaimEvent(ctx, "k", []byte("pA"), time.Second); !ok {
		t.Fatal("claim A")
	}
	now = now.Add(2 * time.Second)
	if _, ok, _ := d.ClaimEvent(ctx, "k", []byte("pB"), time.Second); !ok {
		t.Fatal("claim B after A's lease")
	}
	for _, step := range []struct {
		name       string
		key        string
		claim, val string
		ok         bool
		rec        string
	}{
		{"A after its lease", "k", "pA", "dA", false, "pB"},
		{"B", "k", "pB", "dB", true, "dB"},
		{"B again", "k", "pB", "dB", true, "dB"},
		{"A again", "k", "pA", "dA", false, "dB"},
		{"a key never claimed", "other", "pC", "dC", false, ""},
	} {
		ok, err := d.CompleteEvent(ctx, step.key, []byte(step.claim), []byte(step.val), time.Minute)
		if err != nil || ok != step.ok {
			t.Errorf("%s: completed %v %v, want %v", step.name, ok, err, step.ok)
		}
		if rec := d.held(step.key); rec != step.rec {
			t.Errorf("%s: record %q, want %q", step.name, rec, step.rec)
		}
	}
	// Past B's lease and unfinished: the claim is gone, completing fails.
	if _, ok, _ := d.ClaimEvent(ctx, "late", []byte("pL"), time.Second); !ok {
		t.Fatal("claim L")
	}
	now = now.Add(2 * time.Second)
	if ok, _ := d.CompleteEvent(ctx, "late", []byte("pL"), []byte("dL"), time.Minute); ok {
		t.Error("a claim past its lease was completed")
	}
}

// held returns the value key holds, expired or not ("" when none).
func (d *Dedupe) held(key string) string {
	sh := &d.shards[maphash.String(d.seed, key)%dedupeShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return string(sh.recs[key].val)
}

// Records of different times to live expire each on time: a long-lived
// value written first does not hold back the removal of the short claims
// written after it (with one queue of writes they stayed until it
// expired), and the byte count returns to zero once all have expired, also
// after concurrent claims, completions and replacements on every shard.
func TestDedupeExpiryByTTL(t *testing.T) {
	ctx := context.Background()
	d := NewDedupe(0)
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	d.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(by time.Duration) { mu.Lock(); now = now.Add(by); mu.Unlock() }

	if err := d.StoreValues(ctx, "page", []byte("kept values"), 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				key := fmt.Sprintf("e%d.%d", g, i)
				claim := []byte("p" + key)
				if _, ok, err := d.ClaimEvent(ctx, key, claim, 30*time.Second); err != nil || !ok {
					t.Errorf("claim %s: %v %v", key, ok, err)
					return
				}
				if i%2 == 0 { // half complete (2 minutes), half stay claims (killed runs)
					if ok, err := d.CompleteEvent(ctx, key, claim, []byte("d frames of "+key), 2*time.Minute); err != nil || !ok {
						t.Errorf("complete %s: %v %v", key, ok, err)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, step := range []struct {
		after time.Duration
		want  int
	}{
		{0, 1 + 4000},
		{31 * time.Second, 1 + 2000},        // the claims left are gone
		{2*time.Minute - 30*time.Second, 1}, // then the records
		{30 * time.Minute, 0},               // then the value
	} {
		advance(step.after)
		if n := d.Len(); n != step.want {
			t.Errorf("after +%v: %d records, want %d", step.after, n, step.want)
		}
	}
	if b := d.Bytes(); b != 0 {
		t.Errorf("%d bytes counted with every record expired, want 0", b)
	}
}

// At its bound the store drops the records of the longest time to live
// first (kept values, then event records), oldest first, and claims of
// running events last; it keeps claiming, so a flood of events shortens
// how long records are kept but never stops events from running.
func TestDedupeEvictionOrder(t *testing.T) {
	ctx := context.Background()
	d := NewDedupe(16 * 4096) // 4096 bytes a shard
	now := time.Unix(1000, 0)
	d.now = func() time.Time { return now }
	claims := map[string]bool{}
	for i := range 200 { // running events: about 90 bytes each, 1,100 a shard at most
		k := fmt.Sprint("run", i)
		if _, ok, err := d.ClaimEvent(ctx, k, []byte("p"), 30*time.Second); err != nil || !ok {
			t.Fatal(k, ok, err)
		}
		claims[k] = true
	}
	for i := range 100 {
		if err := d.StoreValues(ctx, fmt.Sprint("page", i), make([]byte, 200), 30*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// The flood: records of finished events, far more than fit.
	for i := range 20000 {
		k := fmt.Sprint("flood", i)
		if _, ok, err := d.ClaimEvent(ctx, k, []byte("p"), 30*time.Second); err != nil || !ok {
			t.Fatalf("claim %s in the flood: %v %v", k, ok, err)
		}
		if ok, err := d.CompleteEvent(ctx, k, []byte("p"), make([]byte, 100), 2*time.Minute); err != nil || !ok {
			t.Fatalf("complete %s: %v %v", k, ok, err)
		}
	}
	if d.Bytes() > 16*4096 {
		t.Errorf("%d bytes, over the bound", d.Bytes())
	}
	for k := range claims {
		if rec, ok, _ := d.ClaimEvent(ctx, k, []byte("q"), 30*time.Second); ok || string(rec) != "p" {
			t.Errorf("the claim of running %s was evicted before event records", k)
		}
	}
	kept := 0
	for i := range 100 {
		if v, _ := d.LoadValues(ctx, fmt.Sprint("page", i)); v != nil {
			kept++
		}
	}
	if kept != 0 {
		t.Errorf("%d kept values survived the flood, want them evicted first", kept)
	}
	// The newest records are there, the oldest went.
	if rec, ok, _ := d.ClaimEvent(ctx, "flood19999", nil, time.Minute); ok || len(rec) != 100 {
		t.Errorf("the newest record: %d bytes, claimed %v", len(rec), ok)
	}
	if _, ok, _ := d.ClaimEvent(ctx, "flood0", nil, time.Minute); !ok {
		t.Error("the oldest record of the flood is still there")
	}
	if d.Evicted() < 19000 {
		t.Errorf("%d evicted", d.Evicted())
	}
}
