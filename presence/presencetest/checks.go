package presencetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/echo-liveview/liveview/presence"
)

func checkTrackList(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	if l := e.list(tr, topic); len(l) != 0 {
		e.t.Fatalf("List of an unused topic: %s, want none", show(l))
	}
	want := []presence.Entry{
		entry("bob", "r3", `{"name":"Bob"}`),
		entry("alice", "r2", `{"tab":2}`),
		entry("alice", "r1", `{"tab":1}`),
		entry("carol", "r0", `"away"`),
	}
	for _, en := range want {
		e.track(tr, topic, en)
	}
	// Read your writes: at once, no waiting.
	got := e.list(tr, topic)
	if !sameEntries(got, sorted(want)) {
		e.t.Fatalf("List after Track:\n got %s\nwant %s", show(got), show(sorted(want)))
	}
}

func checkNilMeta(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	e.track(tr, topic, presence.Entry{Key: "k", Ref: "r"})
	got := e.list(tr, topic)
	if len(got) != 1 || (got[0].Meta != nil && string(got[0].Meta) != "null") {
		e.t.Fatalf("List after Track with nil Meta: %s, want one entry with nil (or null) Meta", show(got))
	}
}

func checkReplace(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	r, _ := e.watch(tr, topic)
	old := entry("alice", "r1", `{"status":"online"}`)
	repl := entry("alice", "r1", `{"status":"away"}`)
	moved := entry("bob", "r1", `{"status":"away"}`)
	e.track(tr, topic, old)
	e.track(tr, topic, repl)
	if got := e.list(tr, topic); !sameEntries(got, []presence.Entry{repl}) {
		e.t.Fatalf("List after a replacing Track: %s, want only %+v", show(got), repl)
	}
	e.track(tr, topic, moved) // another key, same ref
	e.marker(tr, topic, r)
	r.mu.Lock()
	defer r.mu.Unlock()
	want := []presence.Diff{
		{Topic: topic, Joins: []presence.Entry{old}},
		{Topic: topic, Joins: []presence.Entry{repl}, Leaves: []presence.Entry{old}},
		{Topic: topic, Joins: []presence.Entry{moved}, Leaves: []presence.Entry{repl}},
	}
	checkDiffs(e, r.diffs, want)
}

func checkDiffs(e *env, got, want []presence.Diff) {
	e.t.Helper()
	if len(got) != len(want) {
		e.t.Fatalf("got %d diffs, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i].Topic != want[i].Topic || !sameEntries(got[i].Joins, want[i].Joins) || !sameEntries(got[i].Leaves, want[i].Leaves) {
			e.t.Fatalf("diff %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func checkIdenticalTrack(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	en := entry("alice", "r1", `{"a":1}`)
	e.track(tr, topic, en)
	r, _ := e.watch(tr, topic)
	e.track(tr, topic, en)
	e.track(tr, topic, presence.Entry{Key: en.Key, Ref: en.Ref, Meta: append([]byte(nil), en.Meta...)})
	e.marker(tr, topic, r)
	if n := r.count(); n != 0 {
		e.t.Fatalf("a Track of an identical entry produced %d diffs, want none", n)
	}
	if got := e.list(tr, topic); !sameEntries(got, []presence.Entry{en}) {
		e.t.Fatalf("List: %s, want %+v", show(got), en)
	}
}

func checkUntrack(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	a, b := entry("alice", "r1", ""), entry("alice", "r2", "")
	e.track(tr, topic, a)
	e.track(tr, topic, b)
	r, _ := e.watch(tr, topic)
	r.seed(e.list(tr, topic))
	e.untrack(tr, topic, a.Ref)
	if got := e.list(tr, topic); !sameEntries(got, []presence.Entry{b}) {
		e.t.Fatalf("List after Untrack: %s, want %+v", show(got), b)
	}
	e.untrack(tr, topic, a.Ref)           // again: a no-op
	e.untrack(tr, topic, "never")         // absent: a no-op
	e.untrack(tr, e.topic("other"), "r2") // another topic: a no-op
	e.untrack(tr, topic, b.Ref)
	if got := e.list(tr, topic); len(got) != 0 {
		e.t.Fatalf("List after the last Untrack: %s, want none", show(got))
	}
	e.marker(tr, topic, r)
	r.mu.Lock()
	defer r.mu.Unlock()
	checkDiffs(e, r.diffs, []presence.Diff{{Topic: topic, Leaves: []presence.Entry{a}}, {Topic: topic, Leaves: []presence.Entry{b}}})
}

func checkWatchActiveOnReturn(e *env) {
	tr := e.tracker()
	for i := range 20 {
		topic := e.topic(fmt.Sprint(i))
		r, _ := e.watch(tr, topic)
		en := entry("k", "r", "")
		e.track(tr, topic, en)
		r.waitState([]presence.Entry{en}, timeout)
	}
}

func checkWatchOrder(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	r, _ := e.watch(tr, topic)
	var want []presence.Diff
	state := make(map[string]presence.Entry)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		ref := fmt.Sprintf("r%d", rng.IntN(10))
		if rng.IntN(3) == 0 {
			e.untrack(tr, topic, ref)
			if old, ok := state[ref]; ok {
				delete(state, ref)
				want = append(want, presence.Diff{Topic: topic, Leaves: []presence.Entry{old}})
			}
			continue
		}
		en := entry(fmt.Sprintf("k%d", rng.IntN(3)), ref, fmt.Sprint(i))
		e.track(tr, topic, en)
		d := presence.Diff{Topic: topic, Joins: []presence.Entry{en}}
		if old, ok := state[ref]; ok {
			d.Leaves = []presence.Entry{old}
		}
		state[ref] = en
		want = append(want, d)
	}
	e.marker(tr, topic, r)
	r.mu.Lock()
	defer r.mu.Unlock()
	checkDiffs(e, r.diffs, want)
}

func checkWatchStop(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	stopped, w := e.watch(tr, topic)
	other, _ := e.watch(tr, topic)
	e.track(tr, topic, entry("a", "r1", ""))
	stopped.waitState([]presence.Entry{entry("a", "r1", "")}, timeout)
	if err := w.Stop(); err != nil {
		e.t.Fatalf("Stop: %v", err)
	}
	if err := w.Stop(); err != nil {
		e.t.Fatalf("Stop again: %v", err)
	}
	n := stopped.count()
	e.track(tr, topic, entry("b", "r2", ""))
	e.untrack(tr, topic, "r1")
	e.marker(tr, topic, other)
	if got := stopped.count(); got != n {
		e.t.Fatalf("a stopped Watch got %d more diffs", got-n)
	}
	// The other Watch goes on, and a new one works.
	if got := other.list(); !sameEntries(got, []presence.Entry{entry("b", "r2", "")}) {
		e.t.Fatalf("the other Watch's state: %s", show(got))
	}
	again, _ := e.watch(tr, topic)
	e.track(tr, topic, entry("c", "r3", ""))
	again.waitState([]presence.Entry{entry("c", "r3", "")}, timeout)
}

func checkCallsFromWatch(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	var (
		mu   sync.Mutex
		errs []error
		w    presence.Watch
		done = make(chan struct{})
	)
	w, err := tr.Watch(e.ctx, topic, func(d presence.Diff) {
		if len(d.Joins) == 0 || d.Joins[0].Ref != "r1" {
			return
		}
		ctx := context.Background()
		mu.Lock()
		defer mu.Unlock()
		if _, err := tr.List(ctx, topic); err != nil {
			errs = append(errs, fmt.Errorf("calling List: %w", err))
		}
		if err := tr.Track(ctx, topic, entry("b", "r2", "")); err != nil {
			errs = append(errs, fmt.Errorf("calling Track: %w", err))
		}
		if err := tr.Untrack(ctx, topic, "r1"); err != nil {
			errs = append(errs, fmt.Errorf("calling Untrack: %w", err))
		}
		sub, err := tr.Watch(ctx, e.topic("other"), func(presence.Diff) {})
		if err != nil {
			errs = append(errs, fmt.Errorf("calling Watch: %w", err))
		} else if err := sub.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("calling Stop of another Watch: %w", err))
		}
		for w == nil {
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
		}
		if err := w.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("calling Stop of its own Watch: %w", err))
		}
		close(done)
	})
	if err != nil {
		e.t.Fatalf("Watch: %v", err)
	}
	mu.Lock()
	e.t.Cleanup(func() { _ = w.Stop() })
	mu.Unlock()
	e.track(tr, topic, entry("a", "r1", ""))
	select {
	case <-done:
	case <-time.After(timeout):
		e.t.Fatal("the Watch's fn did not finish calling the tracker (deadlock?)")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, err := range errs {
		e.t.Error(err)
	}
	if got := e.list(tr, topic); !sameEntries(got, []presence.Entry{entry("b", "r2", "")}) {
		e.t.Fatalf("List after the fn's calls: %s", show(got))
	}
}

func checkTopicsAreIsolated(e *env) {
	tr := e.tracker()
	t1, t2 := e.topic("one"), e.topic("two")
	r2, _ := e.watch(tr, t2)
	e.track(tr, t1, entry("a", "r1", ""))
	e.track(tr, t1, entry("b", "r2", ""))
	e.marker(tr, t2, r2)
	if n := r2.count(); n != 0 {
		e.t.Fatalf("a Watch of another topic got %d diffs", n)
	}
	if got := e.list(tr, t2); len(got) != 0 {
		e.t.Fatalf("List of another topic: %s", show(got))
	}
	// The same Ref in two topics is two entries.
	e.track(tr, t2, entry("a", "r1", `1`))
	if got := e.list(tr, t1); len(got) != 2 {
		e.t.Fatalf("List(%q): %s, want 2 entries", t1, show(got))
	}
}

func checkConcurrent(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	r, _ := e.watch(tr, topic)
	const workers, ops = 8, 50
	var wg sync.WaitGroup
	final := make([]map[string]presence.Entry, workers)
	for w := range workers {
		final[w] = make(map[string]presence.Entry)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range ops {
				ref := fmt.Sprintf("w%d-r%d", w, rng.IntN(5))
				if rng.IntN(4) == 0 {
					if err := tr.Untrack(e.ctx, topic, ref); err != nil {
						e.t.Errorf("Untrack: %v", err)
					}
					delete(final[w], ref)
					continue
				}
				en := entry(fmt.Sprintf("k%d", rng.IntN(4)), ref, fmt.Sprint(i))
				if err := tr.Track(e.ctx, topic, en); err != nil {
					e.t.Errorf("Track: %v", err)
				}
				final[w][ref] = en
				if _, err := tr.List(e.ctx, topic); err != nil {
					e.t.Errorf("List: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	var want []presence.Entry
	for _, m := range final {
		for _, en := range m {
			want = append(want, en)
		}
	}
	e.waitList(tr, topic, want, timeout)
	r.waitState(want, timeout)
}

func checkInvalidArguments(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	long := strings.Repeat("x", presence.MaxName+1)
	ok := entry("k", "r", "")
	tracks := []struct {
		name  string
		topic string
		e     presence.Entry
	}{
		{"EmptyTopic", "", ok},
		{"LongTopic", long, ok},
		{"BadUTF8Topic", "\xff", ok},
		{"EmptyKey", topic, entry("", "r", "")},
		{"LongKey", topic, entry(long, "r", "")},
		{"EmptyRef", topic, entry("k", "", "")},
		{"LongRef", topic, entry("k", long, "")},
		{"MetaNotJSON", topic, entry("k", "r", "{")},
		{"MetaTwoValues", topic, entry("k", "r", "1 2")},
	}
	for _, tt := range tracks {
		if err := tr.Track(e.ctx, tt.topic, tt.e); !errors.Is(err, presence.ErrInvalid) {
			e.t.Errorf("%s: Track: %v, want an error wrapping ErrInvalid", tt.name, err)
		} else if !strings.HasPrefix(err.Error(), "liveview: ") {
			e.t.Errorf("%s: Track's error %q does not start with \"liveview: \"", tt.name, err)
		}
	}
	for _, tt := range []struct{ name, topic, ref string }{{"EmptyTopic", "", "r"}, {"EmptyRef", topic, ""}, {"LongRef", topic, long}} {
		if err := tr.Untrack(e.ctx, tt.topic, tt.ref); !errors.Is(err, presence.ErrInvalid) {
			e.t.Errorf("%s: Untrack: %v, want an error wrapping ErrInvalid", tt.name, err)
		}
	}
	if _, err := tr.List(e.ctx, ""); !errors.Is(err, presence.ErrInvalid) {
		e.t.Errorf("List(\"\"): %v, want an error wrapping ErrInvalid", err)
	}
	if w, err := tr.Watch(e.ctx, "", func(presence.Diff) {}); !errors.Is(err, presence.ErrInvalid) || w != nil {
		e.t.Errorf("Watch(\"\"): %v, %v, want nil and an error wrapping ErrInvalid", w, err)
	}
	if w, err := tr.Watch(e.ctx, topic, nil); !errors.Is(err, presence.ErrInvalid) || w != nil {
		e.t.Errorf("Watch with a nil fn: %v, %v, want nil and an error wrapping ErrInvalid", w, err)
	}
	if got := e.list(tr, topic); len(got) != 0 {
		e.t.Fatalf("List after invalid calls: %s, want none", show(got))
	}
}

func checkLimits(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	jsonOf := func(n int) string { return `"` + strings.Repeat("a", n-2) + `"` }
	e.track(tr, topic, entry("k", "r1", jsonOf(e.c.MaxMeta)))
	e.track(tr, strings.Repeat("t", presence.MaxName), entry(strings.Repeat("k", presence.MaxName), strings.Repeat("r", presence.MaxName), ""))
	err := tr.Track(e.ctx, topic, entry("k", "r2", jsonOf(e.c.MaxMeta+1)))
	if !errors.Is(err, presence.ErrTooLarge) {
		e.t.Fatalf("Track with a Meta of MaxMeta+1 bytes: %v, want an error wrapping ErrTooLarge", err)
	}
	if got := e.list(tr, topic); len(got) != 1 {
		e.t.Fatalf("List: %s, want the one entry within the limit", show(got))
	}
}

func checkCanceledContext(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	if err := tr.Track(ctx, topic, entry("k", "r", "")); !errors.Is(err, context.Canceled) {
		e.t.Errorf("Track with a canceled context: %v, want an error wrapping context.Canceled", err)
	}
	if _, err := tr.List(ctx, topic); !errors.Is(err, context.Canceled) {
		e.t.Errorf("List with a canceled context: %v, want an error wrapping context.Canceled", err)
	}
	if w, err := tr.Watch(ctx, topic, func(presence.Diff) {}); !errors.Is(err, context.Canceled) || w != nil {
		e.t.Errorf("Watch with a canceled context: %v, %v, want nil and an error wrapping context.Canceled", w, err)
	}
	if got := e.list(tr, topic); len(got) != 0 {
		e.t.Fatalf("List after a Track with a canceled context: %s, want none", show(got))
	}
	e.track(tr, topic, entry("k", "r", ""))
	if err := tr.Untrack(ctx, topic, "r"); !errors.Is(err, context.Canceled) {
		e.t.Errorf("Untrack with a canceled context: %v, want an error wrapping context.Canceled", err)
	}
	if got := e.list(tr, topic); len(got) != 1 {
		e.t.Fatalf("List after an Untrack with a canceled context: %s, want the entry still there", show(got))
	}
}

func checkClose(e *env) {
	tr := e.tracker()
	topic := e.topic("t")
	r, _ := e.watch(tr, topic)
	e.track(tr, topic, entry("k", "r", ""))
	r.waitState([]presence.Entry{entry("k", "r", "")}, timeout)
	if err := tr.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	n := r.count()
	if err := tr.Close(); err != nil {
		e.t.Fatalf("Close again: %v", err)
	}
	if err := tr.Track(e.ctx, topic, entry("k", "r2", "")); !errors.Is(err, presence.ErrClosed) {
		e.t.Errorf("Track after Close: %v, want an error wrapping ErrClosed", err)
	}
	if err := tr.Untrack(e.ctx, topic, "r"); !errors.Is(err, presence.ErrClosed) {
		e.t.Errorf("Untrack after Close: %v, want an error wrapping ErrClosed", err)
	}
	if _, err := tr.List(e.ctx, topic); !errors.Is(err, presence.ErrClosed) {
		e.t.Errorf("List after Close: %v, want an error wrapping ErrClosed", err)
	}
	if w, err := tr.Watch(e.ctx, topic, func(presence.Diff) {}); !errors.Is(err, presence.ErrClosed) || w != nil {
		e.t.Errorf("Watch after Close: %v, %v, want nil and an error wrapping ErrClosed", w, err)
	}
	if got := r.count(); got != n {
		e.t.Errorf("a Watch got %d diffs after Close returned", got-n)
	}
	// A new instance on the same store does not see the closed one.
	if e.c.Instances {
		e.waitList(e.tracker(), topic, nil, e.c.Converge)
	}
}

// Multi-instance checks.

// entriesOf returns n entries with refs unique to this check: keys
// prefix-0..; shared keys when prefix is shared.
func entriesOf(keyPrefix string, n int, meta string) []presence.Entry {
	var l []presence.Entry
	for i := range n {
		l = append(l, entry(fmt.Sprintf("%s%d", keyPrefix, i), fmt.Sprintf("%016x", rand.Uint64()), meta))
	}
	return l
}

func (e *env) trackAll(tr presence.Tracker, topic string, l []presence.Entry) {
	e.t.Helper()
	for _, en := range l {
		e.track(tr, topic, en)
	}
}

func checkConverge(e *env) {
	a, b := e.tracker(), e.tracker()
	topic := e.topic("t")
	rb, _ := e.watch(b, topic)
	ea := entriesOf("a", 10, `{"on":"a"}`)
	eb := entriesOf("b", 10, `{"on":"b"}`)
	e.trackAll(a, topic, ea)
	e.trackAll(b, topic, eb)
	all := append(cloneList(ea), eb...)
	e.waitList(a, topic, all, e.c.Converge)
	e.waitList(b, topic, all, e.c.Converge)
	rb.waitState(all, e.c.Converge)
	// A new instance sees everything at once (no convergence wait).
	if got := e.list(e.tracker(), topic); !sameEntries(got, sorted(all)) {
		e.t.Fatalf("List of a new instance:\n got %s\nwant %s", show(got), show(sorted(all)))
	}
	// Untrack and replace on a are seen on b.
	e.untrack(a, topic, ea[0].Ref)
	ea[1].Meta = []byte(`{"on":"a","again":true}`)
	e.track(a, topic, ea[1])
	all = append(cloneList(ea[1:]), eb...)
	e.waitList(b, topic, all, e.c.Converge)
	rb.waitState(all, e.c.Converge)
}

func cloneList(l []presence.Entry) []presence.Entry { return append([]presence.Entry(nil), l...) }

func checkSharedKey(e *env) {
	a, b := e.tracker(), e.tracker()
	topic := e.topic("t")
	ta := entry("alice", "tab-a", `{"instance":"a"}`)
	tb := entry("alice", "tab-b", `{"instance":"b"}`)
	e.track(a, topic, ta)
	e.track(b, topic, tb)
	both := []presence.Entry{ta, tb}
	e.waitList(a, topic, both, e.c.Converge)
	e.waitList(b, topic, both, e.c.Converge)
	e.untrack(a, topic, ta.Ref)
	e.waitList(b, topic, []presence.Entry{tb}, e.c.Converge)
	e.untrack(b, topic, tb.Ref)
	e.waitList(a, topic, nil, e.c.Converge)
	e.waitList(b, topic, nil, e.c.Converge)
}

func checkSameRef(e *env) {
	a, b := e.tracker(), e.tracker()
	topic := e.topic("t")
	e.track(a, topic, entry("k", "same", `"a"`))
	e.track(b, topic, entry("k", "same", `"b"`))
	deadline := time.Now().Add(e.c.Converge)
	for {
		la, lb := e.list(a, topic), e.list(b, topic)
		if len(la) == 1 && sameEntries(la, lb) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("one Ref tracked on two instances: Lists %s and %s, want one and the same entry", show(la), show(lb))
		}
		time.Sleep(poll)
	}
}

func checkWatchesConverge(e *env) {
	trs := []presence.Tracker{e.tracker(), e.tracker(), e.tracker()}
	topic := e.topic("t")
	var recs []*recorder
	for _, tr := range trs {
		r, _ := e.watch(tr, topic)
		recs = append(recs, r)
	}
	final := make([]map[string]presence.Entry, len(trs))
	var wg sync.WaitGroup
	for i, tr := range trs {
		final[i] = make(map[string]presence.Entry)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			for j := range 60 {
				ref := fmt.Sprintf("i%d-r%d", i, rng.IntN(8))
				if rng.IntN(4) == 0 {
					if err := tr.Untrack(e.ctx, topic, ref); err != nil {
						e.t.Errorf("Untrack: %v", err)
					}
					delete(final[i], ref)
					continue
				}
				en := entry(fmt.Sprintf("user%d", rng.IntN(5)), ref, fmt.Sprint(j))
				if err := tr.Track(e.ctx, topic, en); err != nil {
					e.t.Errorf("Track: %v", err)
				}
				final[i][ref] = en
			}
		}()
	}
	wg.Wait()
	var want []presence.Entry
	for _, m := range final {
		for _, en := range m {
			want = append(want, en)
		}
	}
	for i, tr := range trs {
		e.waitList(tr, topic, want, e.c.Converge)
		recs[i].waitState(want, e.c.Converge)
	}
}

func checkCloseRemoves(e *env) {
	a, b := e.tracker(), e.tracker()
	topic := e.topic("t")
	rb, _ := e.watch(b, topic)
	ea, eb := entriesOf("a", 5, ""), entriesOf("b", 5, "")
	e.trackAll(a, topic, ea)
	e.trackAll(b, topic, eb)
	rb.waitState(append(cloneList(ea), eb...), e.c.Converge)
	if err := a.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	// Close tells the store: well within Converge, not a lease.
	e.waitList(b, topic, eb, e.c.Converge)
	rb.waitState(eb, e.c.Converge)
}

func checkKill(e *env) {
	a, b := e.tracker(), e.tracker()
	topic := e.topic("t")
	rb, _ := e.watch(b, topic)
	ea, eb := entriesOf("u", 10, `"a"`), entriesOf("u", 10, `"b"`) // shared keys: two tabs
	e.trackAll(a, topic, ea)
	e.trackAll(b, topic, eb)
	all := append(cloneList(ea), eb...)
	e.waitList(b, topic, all, e.c.Converge)
	rb.waitState(all, e.c.Converge)
	// b's entries must never go missing on b's Watch meanwhile.
	n := rb.count()
	start := time.Now()
	e.c.Kill(e.t, a)
	e.waitList(b, topic, eb, e.c.DeadBound+e.c.Converge)
	rb.waitState(eb, e.c.DeadBound+e.c.Converge)
	e.t.Logf("killed instance's entries gone after %v (bound %v)", time.Since(start).Round(time.Millisecond), e.c.DeadBound)
	rb.mu.Lock()
	for _, d := range rb.diffs[n:] {
		for _, l := range d.Leaves {
			if !containsRef(ea, l.Ref) {
				e.t.Errorf("after the kill, a live instance's entry left: %+v", l)
			}
		}
		for _, j := range d.Joins {
			e.t.Errorf("after the kill, an entry joined: %+v", j)
		}
	}
	rb.mu.Unlock()
	// A new instance (the dead one restarted) never shows the dead one's
	// entries, nor does b, and tracks its own without duplicates.
	c := e.tracker()
	rc, _ := e.watch(c, topic)
	rc.seed(e.list(c, topic))
	ec := entriesOf("u", 10, `"c"`)
	e.trackAll(c, topic, ec)
	want := append(cloneList(eb), ec...)
	e.waitList(b, topic, want, e.c.Converge)
	e.waitList(c, topic, want, e.c.Converge)
	time.Sleep(e.c.DeadBound / 2) // a sync or two: nothing comes back
	for _, tr := range []presence.Tracker{b, c} {
		if got := e.list(tr, topic); !sameEntries(got, sorted(want)) {
			e.t.Fatalf("List after the restart: %s, want %s", show(got), show(sorted(want)))
		}
	}
	rc.waitState(want, e.c.Converge)
}

func containsRef(l []presence.Entry, ref string) bool {
	for _, en := range l {
		if en.Ref == ref {
			return true
		}
	}
	return false
}

func checkRestart(e *env) {
	a, b := e.tracker(), e.tracker()
	topic := e.topic("t")
	ra, _ := e.watch(a, topic)
	rb, _ := e.watch(b, topic)
	ea, eb := entriesOf("u", 10, `"a"`), entriesOf("u", 10, `"b"`)
	e.trackAll(a, topic, ea)
	e.trackAll(b, topic, eb)
	all := append(cloneList(ea), eb...)
	rb.waitState(all, e.c.Converge)
	ra.waitState(all, e.c.Converge)
	e.c.Restart(e.t)
	// Changes while the store restarts, and after.
	within := e.c.DeadBound + e.c.Converge
	deadline := time.Now().Add(within)
	for {
		err := a.Untrack(e.ctx, topic, ea[0].Ref)
		if err == nil {
			break
		}
		if !errors.Is(err, presence.ErrUnavailable) || time.Now().After(deadline) {
			e.t.Fatalf("Untrack after the store restarted: %v", err)
		}
		time.Sleep(poll)
	}
	all = append(cloneList(ea[1:]), eb...)
	// A new instance reading the store (no replica) sees the rebuilt set.
	for _, tr := range []presence.Tracker{a, b, e.tracker()} {
		e.waitList(tr, topic, all, within)
	}
	ra.waitState(all, within)
	rb.waitState(all, within)
}
