package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/internal/queue"
	"github.com/echo-liveview/liveview/pubsub"
)

var jsonMarshal = json.Marshal

// replica is this instance's copy of a watched topic: the other instances'
// parts (this instance's own part is t.own), kept up to date by their
// change messages and by syncs. Guarded by Tracker.mu.
type replica struct {
	topic   string
	parts   map[string]*part // by instance id, never t.id
	watches map[*watch]struct{}
	sub     pubsub.Subscription
	ready   chan struct{} // closed once the first read is applied (or failed)
	err     error         // why the first read failed
	touch   uint64        // counts the messages applied
	want    bool          // a sync is wanted now
	// drop lists the ids whose part the next sync drops (instances that
	// took a new id), and graceKept says a sync kept parts Redis did not
	// have during the grace after Redis lost data.
	drop      map[string]bool
	graceKept bool
}

// part is one other instance's entries in a replica.
type part struct {
	seq     uint64 // of the last write of the instance seen
	touched uint64 // replica.touch when a message last changed it
	entries map[string]presence.Entry
	// stale: a message was lost (its successor's Prev was not seq); the
	// messages are ignored until a sync, which must be at least at
	// ignored, the last one's Seq.
	stale   bool
	ignored uint64
}

type watch struct {
	t *Tracker
	r *replica
	q *queue.Queue[presence.Diff]
}

// view returns the entry with ref in r as every instance shows it: when
// several instances have ref, the one of the smallest id.
func (t *Tracker) view(r *replica, ref string) (presence.Entry, bool) {
	var (
		best  string
		e     presence.Entry
		found bool
	)
	if en, ok := t.own[r.topic].entry(ref); ok {
		best, e, found = t.id, en, true
	}
	for id, p := range r.parts {
		if en, ok := p.entries[ref]; ok && (!found || id < best) {
			best, e, found = id, en, true
		}
	}
	return e, found
}

// change applies mutate to r, which affects refs, and hands the Diff to
// r's Watches. t.mu is held.
func (t *Tracker) change(r *replica, refs []string, mutate func()) {
	type was struct {
		e  presence.Entry
		ok bool
	}
	if len(refs) > 1 {
		seen := make(map[string]bool, len(refs))
		uniq := refs[:0:0]
		for _, ref := range refs {
			if !seen[ref] {
				seen[ref] = true
				uniq = append(uniq, ref)
			}
		}
		refs = uniq
	}
	var before []was
	if len(r.watches) > 0 {
		before = make([]was, len(refs))
		for i, ref := range refs {
			before[i].e, before[i].ok = t.view(r, ref)
		}
	}
	mutate()
	if len(r.watches) == 0 {
		return
	}
	d := presence.Diff{Topic: r.topic}
	for i, ref := range refs {
		e, ok := t.view(r, ref)
		b := before[i]
		switch {
		case b.ok && ok && presence.Equal(b.e, e):
		case b.ok && ok:
			d.Leaves = append(d.Leaves, b.e)
			d.Joins = append(d.Joins, e)
		case b.ok:
			d.Leaves = append(d.Leaves, b.e)
		case ok:
			d.Joins = append(d.Joins, e)
		}
	}
	if d.Empty() {
		return
	}
	presence.Sort(d.Joins)
	presence.Sort(d.Leaves)
	for w := range r.watches {
		w.q.Push(d)
	}
}

// changeOwnLocked sets (e != nil) or deletes this instance's entry ref in
// topic, and tells the topic's Watches. t.mu is held.
func (t *Tracker) changeOwnLocked(topic string, ot *ownTopic, ref string, e *presence.Entry) {
	mutate := func() {
		if e != nil {
			ot.entries[ref] = *e
		} else {
			delete(ot.entries, ref)
		}
	}
	r := t.replicas[topic]
	if r == nil || r.ready == nil {
		mutate()
		return
	}
	t.change(r, []string{ref}, mutate)
}

// Watch implements [presence.Tracker.Watch]. The first Watch of a topic on
// this instance subscribes to its channel and reads it from Redis (bounded
// by the timeout: an error wraps presence.ErrUnavailable); further ones
// share that replica and cost nothing.
func (t *Tracker) Watch(ctx context.Context, topic string, fn func(presence.Diff)) (presence.Watch, error) {
	if err := presence.CheckName("topic", topic); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, fmt.Errorf("%w: nil watch function", presence.ErrInvalid)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("liveview: presence: redis: watch: %w", err)
		}
		t.mu.Lock()
		if t.closed.Load() {
			t.mu.Unlock()
			return nil, t.closedErr("watch")
		}
		r := t.replicas[topic]
		if r == nil {
			r = &replica{topic: topic, parts: make(map[string]*part), watches: make(map[*watch]struct{}), ready: make(chan struct{})}
			t.replicas[topic] = r
			t.mu.Unlock()
			t.start(ctx, r)
			t.mu.Lock()
		}
		ready := r.ready
		t.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("liveview: presence: redis: watch: %w", ctx.Err())
		}
		t.mu.Lock()
		if r.err != nil {
			err := r.err
			t.mu.Unlock()
			return nil, err
		}
		if t.closed.Load() {
			t.mu.Unlock()
			return nil, t.closedErr("watch")
		}
		if t.replicas[topic] != r { // stopped meanwhile
			t.mu.Unlock()
			continue
		}
		w := &watch{t: t, r: r, q: queue.Start(fn)}
		r.watches[w] = struct{}{}
		t.mu.Unlock()
		return w, nil
	}
}

// start subscribes r's channel and applies the first read, then closes
// r.ready; on failure it sets r.err and forgets r.
func (t *Tracker) start(ctx context.Context, r *replica) {
	fail := func(err error) {
		t.mu.Lock()
		r.err = err
		if t.replicas[r.topic] == r {
			delete(t.replicas, r.topic)
			t.forgetLocked(r)
		}
		close(r.ready)
		t.mu.Unlock()
	}
	if t.stalled.Load() {
		fail(fmt.Errorf("liveview: presence: redis: watch: %w: %w", presence.ErrUnavailable, errStalled))
		return
	}
	sctx, cancel := context.WithTimeout(ctx, t.timeout)
	sub, err := t.broker.Subscribe(sctx, channel(r.topic), func(p []byte) { t.receive(r, p) })
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			fail(fmt.Errorf("liveview: presence: redis: watch: %w", ctx.Err()))
		} else {
			fail(fmt.Errorf("liveview: presence: redis: watch: %w: %w", presence.ErrUnavailable, err))
		}
		return
	}
	t.mu.Lock()
	r.sub = sub
	t.mu.Unlock()
	if err := t.sync(ctx, r); err != nil {
		_ = sub.Unsubscribe()
		fail(fmt.Errorf("liveview: presence: redis: watch: %w", err))
		return
	}
	t.mu.Lock()
	close(r.ready)
	t.mu.Unlock()
}

// Stop implements [presence.Watch.Stop]; the last Watch of a topic
// unsubscribes its channel.
func (w *watch) Stop() error {
	if !w.q.Stop() {
		return nil
	}
	t := w.t
	t.mu.Lock()
	delete(w.r.watches, w)
	var sub pubsub.Subscription
	if len(w.r.watches) == 0 && t.replicas[w.r.topic] == w.r {
		delete(t.replicas, w.r.topic)
		t.forgetLocked(w.r)
		sub = w.r.sub
	}
	t.mu.Unlock()
	if sub != nil {
		if err := sub.Unsubscribe(); err != nil {
			return fmt.Errorf("liveview: presence: redis: stop: %w", err)
		}
	}
	return nil
}

// receive applies a change message of another instance to r.
func (t *Tracker) receive(r *replica, p []byte) {
	m, err := decodeMessage(p, t.limits)
	if err != nil {
		t.log.Warn("liveview: presence: redis: ignoring a malformed change message", "topic", r.topic, "err", err)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if m.ID == t.id || t.retired[m.ID] || t.replicas[r.topic] != r {
		return
	}
	if t.live != nil && t.live.expired(m.ID) {
		return // a dead instance is never brought back
	}
	if m.Op == opReread {
		r.want = true
		if m.Old != "" && m.Old != t.id {
			if r.drop == nil {
				r.drop = make(map[string]bool)
			}
			r.drop[m.Old] = true
		}
		t.wakeLoop()
		return // the sync sets seq
	}
	pt := r.parts[m.ID]
	if pt == nil {
		if m.Op == opClose {
			return
		}
		pt = t.newPartLocked(r, m.ID)
	}
	if m.Seq <= pt.seq {
		return // older than what the replica has
	}
	switch m.Op {
	case opClose:
		t.change(r, refsOf(pt.entries), func() { clear(pt.entries) })
		pt.stale = false
	case opTrack, opUntrack:
		fresh := m.Op == opTrack && m.Prev == 0 // the message says the whole hash
		if !fresh && (pt.stale || m.Prev != pt.seq) {
			// A message of this instance was lost: read the topic.
			pt.stale = true
			pt.ignored = max(pt.ignored, m.Seq)
			r.want = true
			t.wakeLoop()
			return
		}
		e := presence.Entry{Key: m.Key, Ref: m.Ref, Meta: m.Meta}
		switch {
		case fresh:
			refs := append(refsOf(pt.entries), m.Ref)
			t.change(r, refs, func() { pt.entries = map[string]presence.Entry{m.Ref: e} })
			pt.stale = false
		case m.Op == opTrack:
			if _, ok := pt.entries[m.Ref]; !ok && len(pt.entries) >= t.limits.MaxEntries {
				return
			}
			t.change(r, []string{m.Ref}, func() { pt.entries[m.Ref] = e })
		default:
			t.change(r, []string{m.Ref}, func() { delete(pt.entries, m.Ref) })
		}
	}
	pt.seq = m.Seq
	r.touch++
	pt.touched = r.touch
}

// newPartLocked adds an empty part of instance id to r.
func (t *Tracker) newPartLocked(r *replica, id string) *part {
	pt := &part{entries: make(map[string]presence.Entry)}
	r.parts[id] = pt
	t.indexLocked(r, id, true)
	return pt
}

// indexLocked records that r has (or no longer has) a part of id.
func (t *Tracker) indexLocked(r *replica, id string, has bool) {
	rs := t.byID[id]
	if has {
		if rs == nil {
			rs = make(map[*replica]struct{})
			t.byID[id] = rs
		}
		rs[r] = struct{}{}
		return
	}
	delete(rs, r)
	if len(rs) == 0 {
		delete(t.byID, id)
	}
}

// dropPartLocked removes id's part from r, telling r's Watches.
func (t *Tracker) dropPartLocked(r *replica, id string) {
	pt := r.parts[id]
	if pt == nil {
		return
	}
	t.change(r, refsOf(pt.entries), func() { delete(r.parts, id) })
	t.indexLocked(r, id, false)
}

// forgetLocked unindexes every part of r (r is going).
func (t *Tracker) forgetLocked(r *replica) {
	for id := range r.parts {
		t.indexLocked(r, id, false)
	}
}

func refsOf(m map[string]presence.Entry) []string {
	refs := make([]string, 0, len(m))
	for ref := range m {
		refs = append(refs, ref)
	}
	return refs
}

// read reads topic from Redis.
func (t *Tracker) read(ctx context.Context, topic string) (map[string]*snapPart, error) {
	var reply any
	err := t.do(ctx, "read "+fmt.Sprintf("%.40q", topic), false, func(ctx context.Context, c goredis.UniversalClient) error {
		var err error
		reply, err = readScript.Run(ctx, c, []string{t.indexKey(topic)}, t.indexKey(topic)+":").Result()
		return err
	})
	if err != nil {
		return nil, err
	}
	parts, bad, err := parseSnapshot(reply, t.limits)
	if err != nil {
		return nil, fmt.Errorf("liveview: presence: redis: read %.40q: %w: %w", topic, presence.ErrUnavailable, err)
	}
	if bad > 0 {
		t.log.Warn("liveview: presence: redis: skipped malformed values", "topic", topic, "count", bad)
	}
	return parts, nil
}

// sync reads r's topic and applies it to r, in one change (one Diff):
// an instance whose part is replaced by its new id's shows no change.
func (t *Tracker) sync(ctx context.Context, r *replica) error {
	t.mu.Lock()
	sent := r.touch
	r.want = false
	drop := r.drop
	r.drop = nil
	t.mu.Unlock()
	snap, err := t.read(ctx, r.topic)
	if err != nil {
		t.mu.Lock()
		for id := range drop {
			if r.drop == nil {
				r.drop = make(map[string]bool)
			}
			r.drop[id] = true
		}
		t.mu.Unlock()
		return err
	}
	var fresh *liveness
	if t.unknownIn(r, snap) || t.wouldDrop(r, snap, sent) {
		// Instances the cached liveness does not know alive (new ones, or
		// leftovers of dead ones), or parts to drop: read the liveness
		// set, and whether Redis just lost everything (a restart the
		// heartbeat has not seen yet).
		if l, err := t.readLiveness(ctx); err == nil {
			fresh = l
			t.noteLost(l)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.replicas[r.topic] != r {
		return nil
	}
	grace := !t.lostAt.IsZero() && time.Since(t.lostAt) < t.lease+t.syncEvery
	next := make(map[string]*part, len(r.parts)+len(snap))
	for id, pt := range r.parts {
		next[id] = pt
	}
	var refs []string
	kept := make(map[string]bool, len(snap))
	for id, sp := range snap {
		if id == t.id || t.retired[id] || drop[id] || (t.live != nil && t.live.expired(id)) {
			continue
		}
		pt := r.parts[id]
		if pt == nil && fresh != nil && !fresh.alive(id) {
			continue // a leftover of a dead instance, not collected yet
		}
		kept[id] = true
		if pt != nil && !pt.stale && pt.seq > sp.seq {
			continue // the replica has newer messages
		}
		np := &part{seq: sp.seq, entries: sp.entries}
		if pt != nil {
			np.touched = pt.touched
			refs = append(refs, refsOf(pt.entries)...)
			if pt.stale && pt.ignored > sp.seq {
				r.want = true // messages came after the read: once more
			}
		}
		refs = append(refs, refsOf(sp.entries)...)
		next[id] = np
	}
	for id, pt := range r.parts {
		if kept[id] {
			continue
		}
		_, inSnap := snap[id]
		if !inSnap && !drop[id] {
			if pt.touched > sent {
				continue // changed by a message after the read was sent
			}
			if grace && len(pt.entries) > 0 {
				r.graceKept = true
				continue // Redis lost data: its owner is rewriting it, probably
			}
		}
		refs = append(refs, refsOf(pt.entries)...)
		delete(next, id)
	}
	old := r.parts
	t.change(r, refs, func() { r.parts = next })
	for id := range old {
		if next[id] == nil {
			t.indexLocked(r, id, false)
		}
	}
	for id := range next {
		if old[id] == nil {
			t.indexLocked(r, id, true)
		}
	}
	if r.want {
		t.wakeLoop()
	}
	return nil
}

// unknownIn reports whether snap has a part of an instance that r has no
// part of and that the cached liveness set does not know alive.
func (t *Tracker) unknownIn(r *replica, snap map[string]*snapPart) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id := range snap {
		if id == t.id || t.retired[id] {
			continue
		}
		if r != nil && r.parts[id] != nil {
			continue
		}
		if t.live == nil || !t.live.alive(id) {
			return true
		}
	}
	return false
}

// wouldDrop reports whether applying snap to r would drop a part.
func (t *Tracker) wouldDrop(r *replica, snap map[string]*snapPart, sent uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, pt := range r.parts {
		if _, ok := snap[id]; !ok && pt.touched <= sent && len(pt.entries) > 0 {
			return true
		}
	}
	return false
}

// noteLost records that Redis lost data if this instance's lease is not in
// l although it was registered, and asks for a heartbeat (which takes a
// new id and rewrites).
func (t *Tracker) noteLost(l *liveness) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.aliveSet && !l.alive(t.id) && (t.lostAt.IsZero() || time.Since(t.lostAt) > t.lease) {
		t.lostAt = time.Now()
		t.log.Warn("liveview: presence: redis: this instance's lease is gone (Redis restarted, or this instance was cut off longer than the lease): keeping the other instances' entries for a lease while they are rewritten")
		t.kickLoop()
	}
}

// List implements [presence.Tracker.List]: from the replica of a watched
// topic, else read from Redis (bounded by the timeout; an error wraps
// presence.ErrUnavailable).
func (t *Tracker) List(ctx context.Context, topic string) ([]presence.Entry, error) {
	if err := presence.CheckName("topic", topic); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("liveview: presence: redis: list: %w", err)
	}
	if t.closed.Load() {
		return nil, t.closedErr("list")
	}
	t.mu.Lock()
	r := t.replicas[topic]
	if r != nil && isClosed(r.ready) && r.err == nil {
		parts := make(map[string]map[string]presence.Entry, len(r.parts))
		for id, pt := range r.parts {
			parts[id] = pt.entries
		}
		l := t.mergeLocked(topic, parts)
		t.mu.Unlock()
		return l, nil
	}
	t.mu.Unlock()
	snap, err := t.read(ctx, topic)
	if err != nil {
		return nil, err
	}
	var fresh *liveness
	if t.unknownIn(nil, snap) {
		fresh, _ = t.readLiveness(ctx) // on a failure, the cached one
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	l := fresh
	if l == nil {
		l = t.live
	}
	parts := make(map[string]map[string]presence.Entry, len(snap))
	for id, sp := range snap {
		if id == t.id || t.retired[id] || (l != nil && !l.alive(id) && (fresh != nil || l.expired(id))) {
			continue // this instance's own are t.own; a dead instance's are leftovers
		}
		parts[id] = sp.entries
	}
	if t.closed.Load() {
		return nil, t.closedErr("list")
	}
	return t.mergeLocked(topic, parts), nil
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// mergeLocked returns this instance's entries in topic and those of parts
// (other instances'), one per Ref (the smallest instance id wins), sorted.
func (t *Tracker) mergeLocked(topic string, parts map[string]map[string]presence.Entry) []presence.Entry {
	type pick struct {
		id string
		e  presence.Entry
	}
	m := make(map[string]pick)
	if ot := t.own[topic]; ot != nil {
		for ref, e := range ot.entries {
			m[ref] = pick{t.id, e}
		}
	}
	for id, entries := range parts {
		for ref, e := range entries {
			if p, ok := m[ref]; !ok || id < p.id {
				m[ref] = pick{id, e}
			}
		}
	}
	if len(m) == 0 {
		return nil
	}
	l := make([]presence.Entry, 0, len(m))
	for _, p := range m {
		l = append(l, p.e)
	}
	presence.Sort(l)
	return l
}
