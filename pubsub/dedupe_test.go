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
	for i := range 50 {
		wg.Go(func() {
			if _, ok, err := d.ClaimEvent(ctx, "k", []byte{'p', byte(i)}, time.Minute); err == nil && ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d claims won, want 1", wins)
	}
	if err := d.CompleteEvent(ctx, "k", []byte("dframes"), 2*time.Minute); err != nil {
		t.Fatal(err)
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
	_ = d.CompleteEvent(ctx, "key0", make([]byte, 8192), time.Minute)
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
