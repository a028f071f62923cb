package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/presence"
)

// Bounds of the work of one upkeep round beyond its heartbeat: how many
// topics of a dead instance it collects, and how many of this instance's
// hashes it renews the safety TTL of.
const (
	collectBatch = 100
	renewBatch   = 1000
)

// period is the interval of the upkeep rounds: the heartbeat renews the
// lease at least every lease/4, and reads the liveness set at least every
// sync interval, in one command.
func (t *Tracker) period() time.Duration { return min(t.lease/4, t.syncEvery) }

// loop runs the upkeep rounds and the wanted syncs until Close.
func (t *Tracker) loop() {
	defer close(t.done)
	defer t.firstOnce.Do(func() { close(t.first) })
	tick := time.NewTicker(t.period())
	defer tick.Stop()
	t.cycle()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.cycle()
		case <-t.kick:
			t.cycle()
		case <-t.wake:
			t.syncAll()
		}
	}
}

// wantSyncAll asks the loop to sync every replica now (after a gap).
func (t *Tracker) wantSyncAll() {
	t.mu.Lock()
	for _, r := range t.replicas {
		r.want = true
	}
	t.mu.Unlock()
	t.wakeLoop()
}

func (t *Tracker) wakeLoop() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// syncAll syncs the ready replicas that want it: after a gap in the
// notifications, a lost message, a reread announced by another instance.
// In steady state there are none: the messages keep the replicas. One
// call syncs for at most syncBudget (lease/4), one topic at a time; the
// replicas left still want it and get the next rounds. So a gap with
// 50,000 watched topics (seconds of round trips) never keeps this
// instance's heartbeat, which runs on the same goroutine, from renewing
// its lease: the heartbeat comes at least every lease/2 and the instance
// is never taken for dead by the others while it resyncs.
func (t *Tracker) syncAll() {
	t.cycleMu.Lock()
	defer t.cycleMu.Unlock()
	t.mu.Lock()
	var rs []*replica
	for _, r := range t.replicas {
		if isClosed(r.ready) && r.err == nil && r.want {
			rs = append(rs, r)
		}
	}
	t.mu.Unlock()
	ctx := context.Background()
	start := time.Now()
	for i, r := range rs {
		select {
		case <-t.stop:
			return
		default:
		}
		if i > 0 && time.Since(start) >= t.syncBudget {
			t.log.Debug("liveview: presence: redis: resync spread over the next rounds", "left", len(rs)-i)
			return // the rest still want it
		}
		if err := t.sync(ctx, r); err != nil {
			t.log.Debug("liveview: presence: redis: sync failed", "topic", r.topic, "err", err)
			t.mu.Lock()
			r.want = true // again at the next round
			t.mu.Unlock()
			if t.stalled.Load() {
				return // the next heartbeat probes; no point waiting per topic
			}
		}
	}
}

// cycle is one upkeep round: the heartbeat (one command, whatever the
// number of topics), then only the work there is: drop the parts of dead
// instances from the replicas (locally), rewrite the hashes Redis lost,
// announce what could not be, renew the safety TTLs that are due, collect
// a batch of a dead instance's keys, and sync what wants it.
func (t *Tracker) cycle() {
	t.cycleMu.Lock()
	ok := t.heartbeat()
	t.firstOnce.Do(func() { close(t.first) })
	if ok {
		t.applyLiveness()
		t.rewriteDirty()
		t.announce()
		t.renew()
		t.collect()
		t.endGrace()
	}
	t.cycleMu.Unlock()
	t.syncAll()
}

// heartbeat renews this instance's lease and reads the liveness set; when
// Redis lost this instance's lease, the instance takes a new id and marks
// all its topics dirty.
func (t *Tracker) heartbeat() bool {
	t.mu.Lock()
	id, next := t.id, ""
	if t.aliveSet {
		next = newID()
	}
	t.mu.Unlock()
	ctx := context.Background()
	var reply any
	err := t.do(ctx, "heartbeat", true, func(ctx context.Context, c goredis.UniversalClient) error {
		var err error
		reply, err = heartbeatScript.Run(ctx, c, []string{t.instancesKey()}, id, ms(t.lease), next, ms(t.safety())).Result()
		return err
	})
	if err != nil {
		t.log.Debug("liveview: presence: redis: heartbeat failed", "err", err)
		return false
	}
	l, bad, err := parseLiveness(reply)
	if err != nil {
		t.log.Warn("liveview: presence: redis: heartbeat: unexpected reply", "err", err)
		return false
	}
	if bad > 0 {
		t.log.Warn("liveview: presence: redis: skipped malformed members of the liveness set", "count", bad)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.live = l
	t.aliveSet = true
	if l.moved && t.id == id {
		t.log.Warn("liveview: presence: redis: this instance's lease is gone (Redis restarted, or this instance was cut off longer than the lease): rewriting its entries under a new instance id")
		t.prevID, t.id = id, next
		t.retired[id] = true
		t.epoch++
		t.lostAt = time.Now()
		for _, ot := range t.own {
			ot.dirty, ot.registered, ot.lastSeq = true, false, 0
		}
	}
	return true
}

// readLiveness reads the liveness set without writing, and keeps it.
func (t *Tracker) readLiveness(ctx context.Context) (*liveness, error) {
	var reply any
	err := t.do(ctx, "liveness", false, func(ctx context.Context, c goredis.UniversalClient) error {
		var err error
		reply, err = livenessScript.Run(ctx, c, []string{t.instancesKey()}).Result()
		return err
	})
	if err != nil {
		return nil, err
	}
	l, _, err := parseLiveness(reply)
	if err != nil {
		return nil, fmt.Errorf("liveview: presence: redis: liveness: %w: %w", presence.ErrUnavailable, err)
	}
	t.mu.Lock()
	t.live = l
	t.mu.Unlock()
	return l, nil
}

// deadLocked reports whether the parts of instance id are to go from the
// replicas: a retired id of this instance, an expired lease, or an id
// missing from the liveness set for longer than a lease (Redis lost the
// set: the live instances are back in it within a heartbeat).
func (t *Tracker) deadLocked(id string, now time.Time) bool {
	if t.retired[id] {
		return true
	}
	if t.live == nil {
		return false
	}
	if _, ok := t.live.expires[id]; ok {
		delete(t.absent, id)
		return t.live.expired(id)
	}
	since, ok := t.absent[id]
	if !ok {
		t.absent[id] = now
		return false
	}
	return now.Sub(since) > t.lease
}

// applyLiveness drops the parts of dead instances from every replica:
// local work only, and only for the instances that have parts.
func (t *Tracker) applyLiveness() {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	for id, rs := range t.byID {
		if !t.deadLocked(id, now) {
			continue
		}
		for r := range rs {
			t.dropPartLocked(r, id)
		}
	}
	for id := range t.absent {
		if t.byID[id] == nil {
			delete(t.absent, id)
		}
	}
}

// rewriteDirty rewrites the hashes Redis may not have: lost (a restart, a
// new id), or written while Redis did not answer.
func (t *Tracker) rewriteDirty() {
	type d struct {
		topic string
		ot    *ownTopic
	}
	t.mu.Lock()
	var dirty []d
	var unregistered []string
	for topic, ot := range t.own {
		if ot.dirty {
			dirty = append(dirty, d{topic, ot})
			if !ot.registered && len(ot.entries) > 0 {
				unregistered = append(unregistered, topic)
			}
		}
	}
	id, epoch := t.id, t.epoch
	t.mu.Unlock()
	if len(dirty) == 0 {
		return
	}
	ctx := context.Background()
	// Register the topics in bulk first (after a new id: all of them).
	for len(unregistered) > 0 {
		n := min(len(unregistered), renewBatch)
		if err := t.register(ctx, "rewrite", id, unregistered[:n]...); err != nil {
			return
		}
		t.mu.Lock()
		if t.epoch == epoch {
			for _, topic := range unregistered[:n] {
				if ot := t.own[topic]; ot != nil {
					ot.registered = true
				}
			}
		}
		t.mu.Unlock()
		unregistered = unregistered[n:]
	}
	for _, x := range dirty {
		select {
		case <-t.stop:
			return
		case x.ot.sem <- struct{}{}:
		default:
			continue // a write is under way; the next round will see
		}
		t.mu.Lock()
		current := t.own[x.topic] == x.ot && x.ot.dirty
		t.mu.Unlock()
		var err error
		if current && !t.closed.Load() {
			err = t.rewrite(ctx, x.topic, x.ot)
		}
		t.release(x.topic, x.ot)
		if err != nil && t.stalled.Load() {
			return
		}
	}
}

// announce publishes a reread of the topics whose change message could not
// be published.
func (t *Tracker) announce() {
	t.mu.Lock()
	var topics []string
	for topic, ot := range t.own {
		if ot.announce && !ot.dirty {
			topics = append(topics, topic)
		}
	}
	t.mu.Unlock()
	ctx := context.Background()
	for _, topic := range topics {
		t.mu.Lock()
		ot := t.own[topic]
		t.mu.Unlock()
		if ot == nil {
			continue
		}
		select {
		case ot.sem <- struct{}{}:
		default:
			continue
		}
		t.mu.Lock()
		id, old := t.id, t.prevID
		t.mu.Unlock()
		t.publish(ctx, topic, ot, message{ID: id, Seq: t.seq.Add(1), Op: opReread, Old: old})
		t.release(topic, ot)
	}
}

// renew sets the safety TTL again of this instance's keys that have not
// been written for safety/2: a few per round, rarely (every 12 hours by
// default). A hash found gone is rewritten.
func (t *Tracker) renew() {
	now := time.Now()
	half := t.safety() / 2
	t.mu.Lock()
	id := t.id
	renewSet := now.Sub(t.topicsRenewed) > half
	var due []string
	for topic, ot := range t.own {
		if len(due) == renewBatch {
			break
		}
		if !ot.dirty && ot.lastSeq != 0 && now.Sub(ot.renewed) > half {
			due = append(due, topic)
		}
	}
	t.mu.Unlock()
	if len(due) == 0 && !renewSet {
		return
	}
	ctx := context.Background()
	cmds := make([]*goredis.BoolCmd, len(due))
	err := t.do(ctx, "renew", true, func(ctx context.Context, c goredis.UniversalClient) error {
		_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, topic := range due {
				cmds[i] = p.PExpire(ctx, t.hashKey(topic, id), t.safety())
				p.PExpire(ctx, t.indexKey(topic), t.safety())
			}
			if renewSet {
				p.PExpire(ctx, t.topicsKey(id), t.safety())
			}
			return nil
		})
		return err
	})
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if renewSet {
		t.topicsRenewed = now
	}
	for i, topic := range due {
		if ot := t.own[topic]; ot != nil && t.id == id {
			ot.renewed = now
			if !cmds[i].Val() {
				ot.dirty = true
			}
		}
	}
}

// collect deletes a batch of the keys of one dead instance (its lease
// expired): its hash and index membership in up to collectBatch of the
// topics of its topics set, then removes them from the set. Once the set
// is empty and the lease expired a lease ago (every instance has seen it
// expired by then), the instance leaves the liveness set. Idempotent:
// several instances may collect the same one.
func (t *Tracker) collect() {
	t.mu.Lock()
	l, cur := t.live, t.id
	t.mu.Unlock()
	if l == nil {
		return
	}
	victim, exp := "", int64(0)
	for id, e := range l.expires {
		if id != cur && e <= l.now {
			victim, exp = id, e
			break
		}
	}
	if victim == "" {
		return
	}
	ctx := context.Background()
	var topics []string
	err := t.do(ctx, "collect", false, func(ctx context.Context, c goredis.UniversalClient) error {
		var err error
		topics, err = c.SRandMemberN(ctx, t.topicsKey(victim), collectBatch).Result()
		return err
	})
	if err != nil {
		return
	}
	if len(topics) == 0 {
		if exp < l.now-t.lease.Milliseconds() {
			_ = t.do(ctx, "collect", false, func(ctx context.Context, c goredis.UniversalClient) error {
				return c.ZRem(ctx, t.instancesKey(), victim).Err()
			})
		}
		return
	}
	members := make([]any, len(topics))
	for i, topic := range topics {
		members[i] = topic
	}
	_ = t.do(ctx, "collect", false, func(ctx context.Context, c goredis.UniversalClient) error {
		_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, topic := range topics {
				if presence.CheckName("topic", topic) != nil {
					continue
				}
				p.Del(ctx, t.hashKey(topic, victim))
				p.SRem(ctx, t.indexKey(topic), victim)
			}
			p.SRem(ctx, t.topicsKey(victim), members...)
			return nil
		})
		return err
	})
}

// endGrace re-reads, once the grace after Redis lost data is over, the
// replicas that kept parts Redis did not have (their owners had not
// rewritten them yet): what is still missing then is gone.
func (t *Tracker) endGrace() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lostAt.IsZero() || time.Since(t.lostAt) < t.lease+t.syncEvery {
		return
	}
	want := false
	for _, r := range t.replicas {
		if r.graceKept {
			r.graceKept, r.want, want = false, true, true
		}
	}
	if want {
		t.wakeLoop()
	}
}
