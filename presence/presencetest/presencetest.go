// Package presencetest checks that an implementation of [presence.Tracker]
// keeps the contract documented on that interface and in package presence.
package presencetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echo-liveview/liveview/presence"
)

// timeout bounds every wait of the suite that has no bound of its own in
// Config, so that a tracker that deadlocks fails instead of hanging.
const timeout = 10 * time.Second

// poll is the interval at which the suite looks again at a List.
const poll = 10 * time.Millisecond

// Config describes the implementation under test.
type Config struct {
	// New returns a new tracker (an instance). It is required. The suite
	// closes it when the check ends (before the cleanups New registered
	// on t). With Instances set, every tracker that New returns during one
	// check must share one store, as instances of an application do.
	New func(t *testing.T) presence.Tracker

	// Instances: New returns distinct instances sharing a store; the
	// multi-instance checks (convergence, Close seen elsewhere) run only
	// when it is set.
	Instances bool

	// Kill, optional (it needs Instances), stops tr as a crash would:
	// without removing its entries from the store or telling anyone. Its
	// methods may then fail with ErrClosed; the suite still calls Close,
	// whose error it ignores. The dead-instance checks run only when Kill
	// is set.
	Kill func(t *testing.T, tr presence.Tracker)

	// Restart, optional (it needs Instances), restarts the shared store,
	// losing its data, and returns once the store answers again. The
	// store-restart check runs only when it is set.
	Restart func(t *testing.T)

	// Converge is the bound within which instances agree without faults.
	// Zero means 5s.
	Converge time.Duration

	// DeadBound is the documented bound within which a killed instance's
	// entries disappear everywhere (and within which Lists converge again
	// after Restart). Required with Kill or Restart; the suite waits for
	// DeadBound + Converge.
	DeadBound time.Duration

	// MaxMeta is the tracker's Meta limit; zero means
	// presence.DefaultMaxMeta.
	MaxMeta int
}

// Run checks that the trackers returned by c.New keep the contract of
// [presence.Tracker]. Call it from a test of the implementation:
//
//	func TestTracker(t *testing.T) {
//		presencetest.Run(t, presencetest.Config{
//			New: func(t *testing.T) presence.Tracker { return presence.NewMemory(presence.Limits{}) },
//		})
//	}
//
// Every check is a subtest of t, run in sequence; topics carry a random
// prefix chosen per call, so trackers sharing a store (even from concurrent
// test processes) do not see each other's checks. The checks that a Diff is
// not delivered do not sleep: they make a later change (a marker) and wait
// for it, as the Watch order puts everything before it first. Only the
// dead-instance and restart checks wait on the clock, up to their bounds.
func Run(t *testing.T, c Config) {
	t.Helper()
	if c.New == nil {
		t.Fatal("presencetest: Config.New is nil")
	}
	if c.Converge <= 0 {
		c.Converge = 5 * time.Second
	}
	if c.MaxMeta <= 0 {
		c.MaxMeta = presence.DefaultMaxMeta
	}
	if (c.Kill != nil || c.Restart != nil) && c.DeadBound <= 0 {
		t.Fatal("presencetest: Config.DeadBound is required with Kill or Restart")
	}
	prefix := fmt.Sprintf("presencetest-%016x", rand.Uint64())
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			switch {
			case ch.needs&needInstances != 0 && !c.Instances:
				t.Skip("Config.Instances is not set")
			case ch.needs&needKill != 0 && c.Kill == nil:
				t.Skip("Config.Kill is nil")
			case ch.needs&needRestart != 0 && c.Restart == nil:
				t.Skip("Config.Restart is nil")
			}
			ch.run(&env{t: t, c: c, ctx: t.Context(), prefix: prefix})
		})
	}
}

const (
	needInstances = 1 << iota
	needKill
	needRestart
)

var checks = []struct {
	name  string
	needs int
	run   func(e *env)
}{
	{"TrackList", 0, checkTrackList},
	{"NilMeta", 0, checkNilMeta},
	{"Replace", 0, checkReplace},
	{"IdenticalTrack", 0, checkIdenticalTrack},
	{"Untrack", 0, checkUntrack},
	{"WatchActiveOnReturn", 0, checkWatchActiveOnReturn},
	{"WatchOrder", 0, checkWatchOrder},
	{"WatchStop", 0, checkWatchStop},
	{"CallsFromWatch", 0, checkCallsFromWatch},
	{"TopicsAreIsolated", 0, checkTopicsAreIsolated},
	{"Concurrent", 0, checkConcurrent},
	{"InvalidArguments", 0, checkInvalidArguments},
	{"Limits", 0, checkLimits},
	{"CanceledContext", 0, checkCanceledContext},
	{"Close", 0, checkClose},
	{"Converge", needInstances, checkConverge},
	{"SharedKey", needInstances, checkSharedKey},
	{"SameRefTwoInstances", needInstances, checkSameRef},
	{"WatchesConverge", needInstances, checkWatchesConverge},
	{"CloseRemovesEverywhere", needInstances, checkCloseRemoves},
	{"KillRemovesWithinBound", needInstances | needKill, checkKill},
	{"StoreRestart", needInstances | needRestart, checkRestart},
}

// env is what every check gets. Its methods must be called from the test's
// goroutine.
type env struct {
	t      *testing.T
	c      Config
	ctx    context.Context
	prefix string
}

func (e *env) topic(name string) string {
	return e.prefix + "/" + e.t.Name() + "/" + name
}

// tracker returns a new instance, closed when the check ends.
func (e *env) tracker() presence.Tracker {
	e.t.Helper()
	tr := e.c.New(e.t)
	if tr == nil {
		e.t.Fatal("Config.New returned nil")
	}
	e.t.Cleanup(func() { _ = tr.Close() })
	return tr
}

func (e *env) track(tr presence.Tracker, topic string, en presence.Entry) {
	e.t.Helper()
	if err := tr.Track(e.ctx, topic, en); err != nil {
		e.t.Fatalf("Track(%q, %+v): %v", topic, en, err)
	}
}

func (e *env) untrack(tr presence.Tracker, topic, ref string) {
	e.t.Helper()
	if err := tr.Untrack(e.ctx, topic, ref); err != nil {
		e.t.Fatalf("Untrack(%q, %q): %v", topic, ref, err)
	}
}

func (e *env) list(tr presence.Tracker, topic string) []presence.Entry {
	e.t.Helper()
	l, err := tr.List(e.ctx, topic)
	if err != nil {
		e.t.Fatalf("List(%q): %v", topic, err)
	}
	checkSorted(e.t, l)
	return l
}

// checkSorted fails the test if l is not sorted by Key then Ref or has a
// Ref twice.
func checkSorted(t *testing.T, l []presence.Entry) {
	t.Helper()
	refs := make(map[string]bool, len(l))
	for i, en := range l {
		if i > 0 && presence.Compare(l[i-1], en) >= 0 {
			t.Fatalf("List is not sorted by Key then Ref (or has a duplicate): %+v before %+v", l[i-1], en)
		}
		if refs[en.Ref] {
			t.Fatalf("List has Ref %q twice: %v", en.Ref, l)
		}
		refs[en.Ref] = true
	}
}

// waitList polls List until it equals want (as sets of equal entries) or
// within passes, and fails the test then.
func (e *env) waitList(tr presence.Tracker, topic string, want []presence.Entry, within time.Duration) {
	e.t.Helper()
	want = sorted(want)
	deadline := time.Now().Add(within)
	var got []presence.Entry
	for {
		got = e.list(tr, topic)
		if sameEntries(got, want) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("List(%q) after %v:\n got %s\nwant %s", topic, within, show(got), show(want))
		}
		time.Sleep(poll)
	}
}

func sorted(l []presence.Entry) []presence.Entry {
	l = slices.Clone(l)
	presence.Sort(l)
	return l
}

func sameEntries(a, b []presence.Entry) bool {
	return slices.EqualFunc(a, b, presence.Equal)
}

func show(l []presence.Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d entries:", len(l))
	for i, en := range l {
		if i == 12 {
			fmt.Fprintf(&b, " ...")
			break
		}
		fmt.Fprintf(&b, " {%s %s %s}", en.Key, en.Ref, en.Meta)
	}
	return b.String()
}

func entry(key, ref string, meta string) presence.Entry {
	e := presence.Entry{Key: key, Ref: ref}
	if meta != "" {
		e.Meta = json.RawMessage(meta)
	}
	return e
}

// recorder is a Watch's fn: it keeps every Diff, the state they add up to,
// and checks that its calls are not concurrent.
type recorder struct {
	t     *testing.T
	in    atomic.Int32
	mu    sync.Mutex
	diffs []presence.Diff
	state map[string]presence.Entry
	wake  chan struct{}
	topic string
}

func newRecorder(t *testing.T, topic string) *recorder {
	return &recorder{t: t, state: make(map[string]presence.Entry), wake: make(chan struct{}, 1), topic: topic}
}

func (r *recorder) fn(d presence.Diff) {
	if r.in.Add(1) != 1 {
		r.t.Errorf("calls of one Watch's fn are concurrent")
	}
	defer r.in.Add(-1)
	if d.Empty() {
		r.t.Errorf("empty Diff delivered: %+v", d)
	}
	if d.Topic != r.topic {
		r.t.Errorf("Diff of topic %q delivered to a Watch of %q", d.Topic, r.topic)
	}
	for _, l := range [][]presence.Entry{d.Joins, d.Leaves} {
		if !slices.IsSortedFunc(l, presence.Compare) {
			r.t.Errorf("Diff's Joins or Leaves not sorted: %+v", l)
		}
	}
	r.mu.Lock()
	r.diffs = append(r.diffs, d)
	for _, en := range d.Leaves {
		if cur, ok := r.state[en.Ref]; !ok || !presence.Equal(cur, en) {
			r.t.Errorf("Diff leaves %+v, which the Watch's state did not have (it had %+v, %v)", en, cur, ok)
		}
		delete(r.state, en.Ref)
	}
	for _, en := range d.Joins {
		r.state[en.Ref] = en
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// list returns the recorder's state as a sorted list.
func (r *recorder) list() []presence.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var l []presence.Entry
	for _, en := range r.state {
		l = append(l, en)
	}
	presence.Sort(l)
	return l
}

// seed sets the recorder's state (from a List taken after Watch).
func (r *recorder) seed(l []presence.Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, en := range l {
		r.state[en.Ref] = en
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.diffs)
}

// waitFor waits until cond (called under the recorder's lock) holds.
func (r *recorder) waitFor(what string, within time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.After(within)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.wake:
		case <-time.After(poll):
		case <-deadline:
			r.mu.Lock()
			n := len(r.diffs)
			r.mu.Unlock()
			r.t.Fatalf("waiting for %s: not within %v (%d diffs received)", what, within, n)
		}
	}
}

// waitState waits until the recorder's state equals want.
func (r *recorder) waitState(want []presence.Entry, within time.Duration) {
	r.t.Helper()
	want = sorted(want)
	deadline := time.Now().Add(within)
	for {
		got := r.list()
		if sameEntries(got, want) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("Watch state after %v:\n got %s\nwant %s", within, show(got), show(want))
		}
		select {
		case <-r.wake:
		case <-time.After(poll):
		}
	}
}

func (e *env) watch(tr presence.Tracker, topic string) (*recorder, presence.Watch) {
	e.t.Helper()
	r := newRecorder(e.t, topic)
	w, err := tr.Watch(e.ctx, topic, r.fn)
	if err != nil {
		e.t.Fatalf("Watch(%q): %v", topic, err)
	}
	if w == nil {
		e.t.Fatalf("Watch(%q) returned a nil Watch and no error", topic)
	}
	e.t.Cleanup(func() { _ = w.Stop() })
	return r, w
}

// marker tracks and untracks a marker entry on tr and waits until r has
// seen its Leave: every Diff of earlier changes has then been delivered.
// The marker's own diffs are removed from the record.
func (e *env) marker(tr presence.Tracker, topic string, r *recorder) {
	e.t.Helper()
	ref := fmt.Sprintf("marker-%016x", rand.Uint64())
	e.track(tr, topic, entry("~marker", ref, ""))
	e.untrack(tr, topic, ref)
	r.waitFor("the marker's diffs", timeout, func() bool {
		for _, d := range r.diffs {
			if len(d.Leaves) == 1 && d.Leaves[0].Ref == ref {
				return true
			}
		}
		return false
	})
	// Drop the marker's two diffs from the record.
	r.mu.Lock()
	r.diffs = slices.DeleteFunc(r.diffs, func(d presence.Diff) bool {
		return (len(d.Joins) == 1 && d.Joins[0].Ref == ref) || (len(d.Leaves) == 1 && d.Leaves[0].Ref == ref)
	})
	r.mu.Unlock()
}
