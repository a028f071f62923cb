package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// loop runs the heartbeat and the syncs until Close.
func (t *Tracker) loop() {
	defer close(t.done)
	hb := time.NewTicker(t.lease / 4)
	defer hb.Stop()
	sy := time.NewTicker(t.syncEvery)
	defer sy.Stop()
	t.heartbeat()
	for {
		select {
		case <-t.stop:
			return
		case <-hb.C:
			t.heartbeat()
		case <-sy.C:
			t.syncAll(false)
		case <-t.wake:
			t.syncAll(true)
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
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// syncAll syncs the ready replicas: those that want it, or all.
func (t *Tracker) syncAll(wanted bool) {
	t.mu.Lock()
	var rs []*replica
	for _, r := range t.replicas {
		if isClosed(r.ready) && r.err == nil && (!wanted || r.want) {
			rs = append(rs, r)
		}
	}
	t.mu.Unlock()
	ctx := context.Background()
	for _, r := range rs {
		select {
		case <-t.stop:
			return
		default:
		}
		if err := t.sync(ctx, r); err != nil {
			t.log.Debug("liveview: presence: redis: sync failed", "topic", r.topic, "err", err)
			if t.stalled.Load() {
				return // the next heartbeat probes; no point waiting per topic
			}
		}
	}
}

// heartbeat refreshes this instance's key and hashes in one pipeline,
// notices that Redis lost them (a restart), and rewrites the hashes that
// are missing or dirty.
func (t *Tracker) heartbeat() {
	type hb struct {
		topic string
		ot    *ownTopic
		cmd   *goredis.BoolCmd
	}
	t.mu.Lock()
	var beats []hb
	var dirty []hb
	for topic, ot := range t.own {
		if ot.dirty {
			dirty = append(dirty, hb{topic: topic, ot: ot})
		} else if len(ot.entries) > 0 {
			beats = append(beats, hb{topic: topic, ot: ot})
		}
	}
	t.mu.Unlock()
	ctx := context.Background()
	var alive *goredis.BoolCmd
	lease := t.lease
	err := t.do(ctx, "heartbeat", true, func(ctx context.Context, c goredis.UniversalClient) error {
		_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			alive = p.PExpire(ctx, t.aliveKey(), lease)
			for i := range beats {
				b := &beats[i]
				b.cmd = p.PExpire(ctx, t.hashKey(b.topic, t.id), lease)
				p.SAdd(ctx, t.indexKey(b.topic), t.id)
				p.PExpire(ctx, t.indexKey(b.topic), lease)
			}
			return nil
		})
		return err
	})
	if err != nil {
		t.log.Debug("liveview: presence: redis: heartbeat failed", "err", err)
		return
	}
	t.mu.Lock()
	lost := !alive.Val()
	if lost && t.aliveSet && (t.lostAt.IsZero() || time.Since(t.lostAt) > t.lease) {
		t.lostAt = time.Now()
		t.log.Warn("liveview: presence: redis: this instance's keys are gone (Redis restarted, or this instance was cut off longer than the lease): rewriting them")
	}
	t.mu.Unlock()
	if lost {
		if err := t.do(ctx, "heartbeat", true, func(ctx context.Context, c goredis.UniversalClient) error {
			return c.Set(ctx, t.aliveKey(), "1", lease).Err()
		}); err != nil {
			return
		}
		t.mu.Lock()
		t.aliveSet = true
		t.mu.Unlock()
	}
	for _, b := range beats {
		if !b.cmd.Val() {
			t.markDirty(b.ot)
			dirty = append(dirty, b)
		}
	}
	for _, d := range dirty {
		select {
		case d.ot.sem <- struct{}{}:
		default:
			continue // a write is under way; the next heartbeat will see
		}
		t.mu.Lock()
		current := t.own[d.topic] == d.ot
		t.mu.Unlock()
		if current && !t.closed.Load() {
			_ = t.rewrite(ctx, d.topic, d.ot)
		}
		t.release(d.topic, d.ot)
	}
}
