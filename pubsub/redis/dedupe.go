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

// CompleteEvent replaces the record of key by val for ttl: one command,
// SET <prefix>liveview:once:<key> val PX ttl, within the same bound as
// ClaimEvent.
func (b *Broker) CompleteEvent(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, b.publishTimeout)
	defer cancel()
	if err := b.publisher.Set(ctx, b.prefix+dedupePrefix+key, val, ttl).Err(); err != nil {
		return b.dedupeErr("complete", ctx, err)
	}
	return nil
}

// dedupeErr wraps err as ErrUnavailable unless it is a Redis error reply
// (wrap) or the broker is closed; our own timeout counts as unavailable.
func (b *Broker) dedupeErr(op string, ctx context.Context, err error) error {
	if ctx.Err() != nil && !b.closed.Load() {
		return fmt.Errorf("liveview: redis: dedupe %s: %w: %w", op, ErrUnavailable, err)
	}
	return b.wrap("dedupe "+op, ctx, err)
}
