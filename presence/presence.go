// Package presence tracks who is present in a topic (a chat room, a
// document, a user's own topic) across every instance of an application:
// each instance tracks its own connections, and every instance can list and
// watch the whole topic.
//
// [Tracker] is the interface. Its doc comment is a contract that every
// implementation keeps and that callers may rely on; the conformance suite
// in package [github.com/echo-liveview/liveview/presence/presencetest]
// checks it. [Memory] is the in-process implementation (one instance);
// package presence/redis shares presence between processes through Redis.
//
// An [Entry] is one tracked connection: its Key says who (a user id), its
// Ref which connection (unique, random), its Meta anything JSON (a name, a
// status). Two tabs of one user are two entries with one Key. A [Diff]
// reports what changed in a topic, as this instance saw it.
//
// # Guarantees, and their bounds
//
// The contract on [Tracker] promises, among others:
//
//   - Read your writes: once Track or Untrack returns (even with an error
//     other than an argument error), this instance's List and Watch reflect
//     it.
//   - Convergence: without faults, every instance's List of a topic is the
//     same within a bound documented by the implementation (Memory: at once;
//     Redis: a few milliseconds, at most its sync interval).
//   - Dead instances: the entries of an instance that stops without Close
//     (kill -9, a crash, a network partition) disappear from every other
//     instance's List, and their Watches get the Leaves, within a documented
//     bound (Redis: lease + sync interval, 12.5s by default).
//   - No ghosts: an instance never brings back the entries of another one
//     that died, even on the same address: implementations identify
//     instances by random ids, never by address.
//   - Store restarts: an implementation whose store can lose its data (a
//     Redis restart) rebuilds it from the live instances, without
//     duplicates, and Lists converge again.
//   - Faults are bounded: a call never hangs on a frozen store; it fails
//     within a documented time with an error wrapping [ErrUnavailable].
//
// # Errors
//
// Messages start with "liveview: ". Argument errors wrap [ErrInvalid] (a
// bad topic, key or ref, a Meta that is not JSON, a nil fn) or
// [ErrTooLarge] (a Meta over the limit, too many entries); calls after
// Close wrap [ErrClosed]; store faults wrap [ErrUnavailable]; a done
// context's error is wrapped with %w. Test them with errors.Is.
package presence

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Sentinel errors; the errors of this package and its implementations wrap
// them. Test with errors.Is.
var (
	// ErrInvalid: a topic, key or ref that is empty, longer than MaxName
	// bytes or not valid UTF-8, a Meta that is not valid JSON, or a nil
	// Watch function.
	ErrInvalid = errors.New("liveview: presence: invalid argument")
	// ErrTooLarge: a Meta longer than the tracker's limit (default
	// DefaultMaxMeta), or a Track of a new Ref in a topic where this
	// instance already tracks the maximum number of entries (default
	// DefaultMaxEntries).
	ErrTooLarge = errors.New("liveview: presence: too large")
	// ErrUnavailable: the shared store could not be reached or did not
	// answer in time. For Track and Untrack, the change is nonetheless
	// applied on this instance (List and Watch show it) and reaches the
	// other instances once the store answers again.
	ErrUnavailable = errors.New("liveview: presence: store unavailable")
	// ErrClosed: the tracker was closed (or, in tests, killed).
	ErrClosed = errors.New("liveview: presence: tracker closed")
)

// Limits of names and defaults of the tracker limits.
const (
	// MaxName is the maximum length in bytes of a topic, a key and a ref.
	MaxName = 256
	// DefaultMaxMeta is the default maximum length of an Entry's Meta.
	DefaultMaxMeta = 4 << 10
	// DefaultMaxEntries is the default maximum number of entries that one
	// instance tracks in one topic.
	DefaultMaxEntries = 10000
)

// Entry is one tracked connection in a topic.
type Entry struct {
	// Key says who: a user id, say. Several entries may share a key (two
	// tabs of one user are two entries with one key).
	Key string
	// Ref is unique per tracked connection, across every instance (the
	// liveview Hub passes a random connection id). If two instances track
	// one Ref in one topic anyway, every instance shows the same one of
	// them (implementations pick by instance id), never both.
	Ref string
	// Meta is any JSON value; nil means null. Trackers keep its bytes as
	// given (not re-encoded) and never modify them; two entries differ in
	// Meta when its bytes differ, except that nil and null are the same
	// (a tracker may return either: the Redis one returns nil).
	Meta json.RawMessage
}

// Diff is one change of a topic's list as seen by one instance.
type Diff struct {
	Topic string
	// Joins lists the entries added, or replaced (a Track again with the
	// same Ref and another Key or Meta: then the old entry is in Leaves
	// and the new one in Joins). Sorted by Key then Ref.
	Joins []Entry
	// Leaves lists the entries removed, or replaced (the old entry).
	// Sorted by Key then Ref. Apply Leaves before Joins.
	Leaves []Entry
}

// Tracker tracks this instance's entries and lists and watches every
// instance's. Every implementation keeps this contract, which
// [github.com/echo-liveview/liveview/presence/presencetest.Run] checks:
//
//   - Concurrency. All methods of Tracker and [Watch] are safe for
//     concurrent use by multiple goroutines.
//   - Read your writes. Once Track or Untrack has returned (with nil, or an
//     error wrapping ErrUnavailable), a List on the same Tracker that
//     succeeds reflects it, and every Watch of the topic on this Tracker
//     has been handed the Diff (it may not have run yet).
//   - Watch order. Calls of one Watch's fn are never concurrent (each
//     returns before the next starts) and come in the order this instance
//     applied the changes. A Diff is never empty. A change that leaves the
//     list as it was (a Track of an identical entry, an Untrack of an
//     absent Ref) produces none. fn runs on a goroutine owned by the
//     tracker, must return quickly, and may call any method of the
//     Tracker and of its Watch (Stop included) without deadlocking. A
//     panicking fn is not recovered.
//   - Convergence. Without faults, all instances sharing a store converge
//     to the same List, and their Watches to the same cumulative state,
//     within the bound the implementation documents.
//   - Dead instances, ghosts, store restarts and faults: see the package
//     documentation; implementations document their bounds.
//
// A nil Tracker is not usable.
type Tracker interface {
	// Track adds e to topic, or replaces the entry of this instance with
	// e.Ref. It returns an error wrapping ErrInvalid or ErrTooLarge (and
	// changes nothing) for bad arguments, ctx's error if ctx is done
	// before the call (nothing changes), ErrClosed after Close, and an
	// error wrapping ErrUnavailable when the store did not take it in
	// time (see [ErrUnavailable]: the entry is tracked regardless).
	Track(ctx context.Context, topic string, e Entry) error
	// Untrack removes the entry with ref from topic. It is a no-op (nil)
	// when this instance tracks no such entry. Errors as for Track.
	Untrack(ctx context.Context, topic, ref string) error
	// List returns every instance's entries in topic, sorted by Key then
	// Ref, each Ref once. It may read the store (then an error wraps
	// ErrUnavailable when the store does not answer in time) or a replica
	// kept up to date for Watches.
	List(ctx context.Context, topic string) ([]Entry, error)
	// Watch calls fn with every change of topic's list applied on this
	// instance after Watch returns, until Stop or Close. Like
	// [pubsub.Broker.Subscribe], it returns once the watch is active: a
	// Track on any instance that starts after Watch returns reaches fn.
	// It delivers no initial state: call List after Watch for it (a Diff
	// delivered meanwhile may already be reflected in the List; applying
	// a Diff to a list that already has it changes nothing). ctx bounds
	// only the call. Errors: ErrInvalid for a bad topic or a nil fn,
	// ErrClosed after Close, ErrUnavailable when the store did not answer
	// in time; the Watch is then nil.
	Watch(ctx context.Context, topic string, fn func(Diff)) (Watch, error)
	// Close stops the tracker gracefully: this instance's entries are
	// removed from the store, so that every other instance delivers their
	// Leaves at once, and this instance's Watches stop (without their
	// Leaves). Once Close returns, no fn call starts any more and every
	// method returns an error wrapping ErrClosed. Close returns an error
	// if the store could not be told (the entries then expire like those
	// of a dead instance); calling it again returns nil.
	Close() error
}

// Watch is one active watch of a topic, returned by [Tracker.Watch].
type Watch interface {
	// Stop ends the watch: changes applied after Stop returns do not
	// reach fn, and Diffs still queued are dropped; a call already
	// running (or starting just as Stop is called) may finish, since Stop
	// does not wait for it (fn may call Stop). Stop is idempotent and
	// returns nil; a non-nil error reports that the store could not be
	// told, and the watch stops regardless.
	Stop() error
}

// Limits bounds what a tracker accepts. The zero value of a field means its
// default.
type Limits struct {
	// MaxMeta is the maximum length of an Entry's Meta in bytes. Default
	// DefaultMaxMeta.
	MaxMeta int
	// MaxEntries is the maximum number of entries that one instance
	// tracks in one topic. Default DefaultMaxEntries.
	MaxEntries int
}

// WithDefaults returns l with zero (or negative) fields set to their
// defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxMeta <= 0 {
		l.MaxMeta = DefaultMaxMeta
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	return l
}

// CheckName returns an error wrapping ErrInvalid if name (what: "topic",
// "key" or "ref") is empty, longer than MaxName or not valid UTF-8.
func CheckName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	case len(name) > MaxName:
		return fmt.Errorf("%w: %s of %d bytes (at most %d), starting %.40q", ErrInvalid, what, len(name), MaxName, name)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %s %.40q is not valid UTF-8", ErrInvalid, what, name)
	}
	return nil
}

// Check returns the error Track returns for topic and e under l (with its
// defaults applied), nil if they are acceptable: names checked by CheckName,
// Meta valid JSON (or nil) of at most MaxMeta bytes.
func (l Limits) Check(topic string, e Entry) error {
	l = l.WithDefaults()
	if err := CheckName("topic", topic); err != nil {
		return err
	}
	if err := CheckName("key", e.Key); err != nil {
		return err
	}
	if err := CheckName("ref", e.Ref); err != nil {
		return err
	}
	if len(e.Meta) > l.MaxMeta {
		return fmt.Errorf("%w: meta of %d bytes (at most %d)", ErrTooLarge, len(e.Meta), l.MaxMeta)
	}
	if e.Meta != nil && !json.Valid(e.Meta) {
		return fmt.Errorf("%w: meta is not valid JSON", ErrInvalid)
	}
	return nil
}

// Compare orders entries by Key, then Ref: the order of List and of a
// Diff's Joins and Leaves.
func Compare(a, b Entry) int {
	if c := cmp.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	return cmp.Compare(a.Ref, b.Ref)
}

// Equal reports whether a and b are the same entry: same Key, Ref and Meta
// bytes (nil and "null" differ only in bytes, and are taken as equal).
func Equal(a, b Entry) bool {
	return a.Key == b.Key && a.Ref == b.Ref && bytes.Equal(metaBytes(a.Meta), metaBytes(b.Meta))
}

func metaBytes(m json.RawMessage) []byte {
	if m == nil {
		return []byte("null")
	}
	return m
}

// Sort sorts entries in the order of Compare.
func Sort(entries []Entry) { slices.SortFunc(entries, Compare) }

// Empty reports whether d has neither Joins nor Leaves.
func (d Diff) Empty() bool { return len(d.Joins) == 0 && len(d.Leaves) == 0 }
