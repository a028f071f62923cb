package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts that change Redis. Each touches the keys of one topic
// only, which share a hash tag ({topic}): on a Redis Cluster they live on
// one slot, so the scripts run there atomically.

// trackScript sets one entry of this instance's hash, refreshes the lease
// and registers the instance in the topic's index. When the hash is gone
// although this instance has other entries in the topic (Redis lost it:
// a restart, or the lease expired), it writes nothing and returns 0: the
// caller rewrites the whole hash instead, so that no other instance ever
// sees a part of it.
//
// KEYS: hash, index. ARGV: ref, value, seq, lease ms, id, "1" if other
// entries are expected.
var trackScript = goredis.NewScript(`
if ARGV[6] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], '', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`)

// untrackScript removes one entry; the hash and the index membership go
// with the last one. It returns 0 without writing when the hash is gone
// (the caller rewrites it).
//
// KEYS: hash, index. ARGV: ref, seq, lease ms, id.
var untrackScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) <= 1 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[4])
else
  redis.call('HSET', KEYS[1], '', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`)

// putScript replaces this instance's hash with the given entries (none:
// the hash is deleted and the instance leaves the index).
//
// KEYS: hash, index. ARGV: lease ms, id, seq, then ref and value pairs.
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

// readScript returns every live instance's hash in the topic: id, then
// HGETALL, for each, and removes from the index the instances whose hash
// has expired (dead ones), so that the index does not grow with them.
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
