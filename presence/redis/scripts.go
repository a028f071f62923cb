package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts. Each touches the keys of one Cluster slot only: the
// topic scripts the keys of one topic, which share a hash tag ({topic});
// the liveness scripts the instances key alone.

// trackScript sets one entry of this instance's hash and registers the
// instance in the topic's index, both with the safety TTL. When the hash
// is gone although this instance has other entries in the topic (Redis
// lost it), it writes nothing and returns 0: the caller rewrites the
// whole hash instead, so that no other instance ever sees a part of it.
// When no other entry is expected, the hash is replaced: it then holds
// exactly this entry, which is what the change message says (prev 0).
//
// KEYS: hash, index. ARGV: ref, value, seq, safety TTL ms, id, "1" if
// other entries are expected.
var trackScript = goredis.NewScript(`
if ARGV[6] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
else
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], '', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`)

// untrackScript removes one entry; the hash and the index membership go
// with the last one (then it returns 2). It returns 0 without writing when
// the hash is gone (the caller rewrites it).
//
// KEYS: hash, index. ARGV: ref, seq, safety TTL ms, id.
var untrackScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) <= 1 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[4])
  return 2
end
redis.call('HSET', KEYS[1], '', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// putScript replaces this instance's hash with the given entries (none:
// the hash is deleted and the instance leaves the index).
//
// KEYS: hash, index. ARGV: safety TTL ms, id, seq, then ref and value pairs.
var putScript = goredis.NewScript(`
redis.call('DEL', KEYS[1])
if #ARGV < 4 then
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
redis.call('HSET', KEYS[1], '', ARGV[3])
for i = 4, #ARGV - 1, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`)

// readScript returns every instance's hash in the topic: id, then
// HGETALL, for each, and removes from the index the instances whose hash
// is gone, so that the index does not grow with them. It does not know
// which instances are alive: the caller filters by the liveness set.
//
// KEYS: index. ARGV: the hash keys' prefix (the index key and ':').
var readScript = goredis.NewScript(`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local h = redis.call('HGETALL', ARGV[1] .. id)
  if #h == 0 then
    redis.call('SREM', KEYS[1], id)
  else
    out[#out + 1] = id
    out[#out + 1] = h
  end
end
return out
`)

// heartbeatScript renews this instance's lease in the liveness set (a
// sorted set: instance id -> lease expiry, in Redis's own clock, so that
// the instances' clocks do not matter) and returns Redis's time and the
// whole set: the one command of an instance's upkeep per interval.
//
// When ARGV[3] is not empty (the instance registered before) and its entry
// is gone (Redis lost its data) or expired (the instance was cut off for
// longer than the lease, and may be taken for dead and collected by the
// others), the instance takes the new id ARGV[3] instead, and reports it:
// it then rewrites its hashes under that id, and nothing the others
// collect of the old id can hit them. An old id that was gone is put back
// with a lease, so that it expires and is collected like any dead one.
//
// KEYS: instances. ARGV: id, lease ms, new id or "", safety TTL ms.
// Reply: {now ms, 1 if the new id was taken else 0, {id, expiry, ...}}.
var heartbeatScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local exp = now + tonumber(ARGV[2])
local id = ARGV[1]
local moved = 0
if ARGV[3] ~= '' then
  local s = redis.call('ZSCORE', KEYS[1], id)
  if not s then
    redis.call('ZADD', KEYS[1], exp, id)
    id = ARGV[3]
    moved = 1
  elseif tonumber(s) <= now then
    id = ARGV[3]
    moved = 1
  end
end
redis.call('ZADD', KEYS[1], exp, id)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {now, moved, redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')}
`)

// livenessScript returns Redis's time and the liveness set, like
// heartbeatScript without writing.
//
// KEYS: instances.
var livenessScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {now, 0, redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')}
`)
