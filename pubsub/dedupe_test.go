package pubsub

import (
	"context"
	"fmt"
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
	// The bound.
	full := 0
	for i := range 100 {
		if _, _, err := d.ClaimEvent(ctx, fmt.Sprint("key", i), []byte("p"), time.Minute); err != nil {
			full++
		}
	}
	if full == 0 || d.Bytes() > 4096 {
		t.Errorf("%d refused, %d bytes: want refusals within 4096", full, d.Bytes())
	}
	_, _ = d.CompleteEvent(ctx, "key0", []byte("p"), make([]byte, 8192), time.Minute)
	if rec, _, _ := d.ClaimEvent(ctx, "key0", nil, time.Minute); len(rec) != 1 || d.Bytes() > 4096 {
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
		d.mu.Lock()
		rec := string(d.recs[step.key].val)
		d.mu.Unlock()
		if rec != step.rec {
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
