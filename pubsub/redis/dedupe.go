package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// dedupePrefix starts the Redis key of an event record, after the
// broker's prefix (WithPrefix): "<prefix>liveview:once:<key>".
const dedupePrefix = "liveview:once:"

// ClaimEvent makes the broker a dedupe store of liveview's exactly-once
// events (liveview.DedupeStore), in the same Redis: one command, SET
// <prefix>liveview:once:<key> val NX PX ttl GET (Redis 7), so the claim is
// atomic across every instance and expires by itself. It reports claimed
// true when it stored val, else the value held. Each call waits at most
// the publish timeout (WithPublishTimeout, for a *goredis.Client; else the
// caller's ctx); a dead or frozen Redis, or a timeout, is an error
// wrapping ErrUnavailable, and then nothing is known of the key.
func (b *Broker) ClaimEvent(ctx context.Context, key string, val []byte, ttl time.Duration) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, b.publishTimeout)
	defer cancel()
	old, err := b.publisher.SetArgs(ctx, b.prefix+dedupePrefix+key, val, goredis.SetArgs{Mode: "NX", TTL: ttl, Get: true}).Result()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, true, nil
	case err != nil:
		return nil, false, b.dedupeErr("claim", ctx, err)
	}
	return []byte(old), false, nil
}

// completeScript sets KEYS[1] to ARGV[2] for ARGV[3] ms if it holds the
// claim ARGV[1], or ARGV[2] already (a call go-redis made again after a
// lost answer); 1 if it did, else 0 and the key is left alone.
var completeScript = goredis.NewScript(`local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or v == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`)

// CompleteEvent replaces the record of key by val for ttl if it still
// holds claim, the value ClaimEvent stored, and reports whether it did
// (false: the claim expired, and the key is free or claimed by another
// run, which is left alone): one command, EVALSHA of a compare-and-set
// script (EVAL the first time a connection's Redis lacks it), atomic on
// the one key (Redis Cluster included), within the same bound as
// ClaimEvent.
func (b *Broker) CompleteEvent(ctx context.Context, key string, claim, val []byte, ttl time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, b.publishTimeout)
	defer cancel()
	n, err := completeScript.Run(ctx, b.publisher, []string{b.prefix + dedupePrefix + key}, claim, val, max(1, ttl.Milliseconds())).Int()
	if err != nil {
		return false, b.dedupeErr("complete", ctx, err)
	}
	return n == 1, nil
}

// dedupeErr wraps err as ErrUnavailable unless it is a Redis error reply
// (wrap) or the broker is closed; our own timeout counts as unavailable.
func (b *Broker) dedupeErr(op string, ctx context.Context, err error) error {
	if ctx.Err() != nil && !b.closed.Load() {
		return fmt.Errorf("liveview: redis: dedupe %s: %w: %w", op, ErrUnavailable, err)
	}
	return b.wrap("dedupe "+op, ctx, err)
}

// valuesPrefix starts the Redis key of a page's kept values, after the
// broker's prefix: "<prefix>liveview:values:<key>".
const valuesPrefix = "liveview:values:"

// StoreValues makes the broker a store of liveview's kept values
// (liveview.ValueStore), in the same Redis: one command, SET
// <prefix>liveview:values:<key> val PX ttl, within the same bound as
// ClaimEvent; a dead or frozen Redis is an error wrapping ErrUnavailable.
func (b *Broker) StoreValues(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, b.publishTimeout)
	defer cancel()
	if err := b.publisher.Set(ctx, b.prefix+valuesPrefix+key, val, max(time.Millisecond, ttl)).Err(); err != nil {
		return b.dedupeErr("store values", ctx, err)
	}
	return nil
}

// LoadValues returns what StoreValues stored under key, nil when nothing
// (never stored, expired): one command, GET, within the same bound.
func (b *Broker) LoadValues(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, b.publishTimeout)
	defer cancel()
	v, err := b.publisher.Get(ctx, b.prefix+valuesPrefix+key).Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, nil
	case err != nil:
		return nil, b.dedupeErr("load values", ctx, err)
	}
	return v, nil
}
