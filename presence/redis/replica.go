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
}

// part is one other instance's entries in a replica.
type part struct {
	seq     uint64 // of the last write of the instance seen
	touched uint64 // replica.touch when a message last changed it
	entries map[string]presence.Entry
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
	if m.ID == t.id {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.replicas[r.topic] != r {
		return
	}
	pt := r.parts[m.ID]
	if pt == nil {
		pt = &part{entries: make(map[string]presence.Entry)}
		r.parts[m.ID] = pt
	}
	if m.Seq <= pt.seq {
		return // older than what the replica has
	}
	switch m.Op {
	case opTrack:
		if _, ok := pt.entries[m.Ref]; !ok && len(pt.entries) >= t.limits.MaxEntries {
			return
		}
		e := presence.Entry{Key: m.Key, Ref: m.Ref, Meta: m.Meta}
		t.change(r, []string{m.Ref}, func() { pt.entries[m.Ref] = e })
	case opUntrack:
		t.change(r, []string{m.Ref}, func() { delete(pt.entries, m.Ref) })
	case opClose:
		t.change(r, refsOf(pt.entries), func() { clear(pt.entries) })
	case opReread:
		r.want = true
		select {
		case t.wake <- struct{}{}:
		default:
		}
		return // the sync sets seq
	}
	pt.seq = m.Seq
	r.touch++
	pt.touched = r.touch
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

// sync reads r's topic and applies it to r.
func (t *Tracker) sync(ctx context.Context, r *replica) error {
	t.mu.Lock()
	sent := r.touch
	r.want = false
	t.mu.Unlock()
	snap, err := t.read(ctx, r.topic)
	if err != nil {
		return err
	}
	if t.wouldDrop(r, snap, sent) {
		// Before taking instances for dead, make sure Redis did not just
		// lose everything (a restart the heartbeat has not seen yet).
		t.checkLost(ctx)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.replicas[r.topic] != r {
		return nil
	}
	grace := !t.lostAt.IsZero() && time.Since(t.lostAt) < t.lease+t.syncEvery
	for id, sp := range snap {
		if id == t.id {
			continue // this instance's own part is t.own
		}
		pt := r.parts[id]
		if pt != nil && pt.seq > sp.seq {
			continue // the replica has newer messages
		}
		if pt == nil {
			pt = &part{entries: make(map[string]presence.Entry)}
			r.parts[id] = pt
		}
		refs := refsOf(pt.entries)
		for ref := range sp.entries {
			if _, ok := pt.entries[ref]; !ok {
				refs = append(refs, ref)
			}
		}
		t.change(r, refs, func() { pt.entries = sp.entries })
		pt.seq = sp.seq
	}
	for id, pt := range r.parts {
		if _, ok := snap[id]; ok || pt.touched > sent {
			continue // present, or changed by a message after the read was sent
		}
		if grace && len(pt.entries) > 0 {
			continue // Redis lost data: its owner is rewriting it, probably
		}
		t.change(r, refsOf(pt.entries), func() { clear(pt.entries) })
		delete(r.parts, id)
	}
	return nil
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

// checkLost looks for this instance's key, and records that Redis lost data
// if it is gone although it was written.
func (t *Tracker) checkLost(ctx context.Context) {
	var n int64
	err := t.do(ctx, "check", false, func(ctx context.Context, c goredis.UniversalClient) error {
		var err error
		n, err = c.Exists(ctx, t.aliveKey()).Result()
		return err
	})
	if err != nil || n != 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.aliveSet && (t.lostAt.IsZero() || time.Since(t.lostAt) > t.lease) {
		t.lostAt = time.Now()
		t.log.Warn("liveview: presence: redis: this instance's keys are gone (Redis restarted, or this instance was cut off longer than the lease): keeping the other instances' entries for a lease while they are rewritten")
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
	parts := make(map[string]map[string]presence.Entry, len(snap))
	for id, sp := range snap {
		if id != t.id {
			parts[id] = sp.entries
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
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
