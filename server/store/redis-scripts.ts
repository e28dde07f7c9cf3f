// The Lua scripts that make each Store operation one atomic step on Redis (a script runs
// alone: no other client's command lands between its reads and writes). Times that must
// agree across replicas (reservations) come from Redis's own clock, not from each replica's.

/** KEYS[1] counter; ARGV by, ttlMs. Same rules as MemoryStore.add. */
export const ADD = `
local exists = redis.call('EXISTS', KEYS[1])
local by = tonumber(ARGV[1])
if exists == 0 and by <= 0 then return by end
local v = redis.call('INCRBY', KEYS[1], by)
if v <= 0 then redis.call('DEL', KEYS[1]) return v end
if exists == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`;

// Claims: KEYS[1] is a sorted set of members scored by their expiry (Redis's clock, ms).
// Expired members are removed before any count; the key itself expires ttl after its last
// change (every claim under a key has the same ttl), so an abandoned set leaves nothing.
const NOW_AND_PRUNE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)`;

/** KEYS[1] claims; ARGV member, limit, ttlMs. 1 when member holds a claim now. */
export const CLAIM = `${NOW_AND_PRUNE}
local member, limit, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], member) == false and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, member)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`;

/** KEYS[1] claims; ARGV ttlMs, member... (each renewed, or made again). */
export const RENEW_CLAIMS = `${NOW_AND_PRUNE}
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
if #ARGV > 1 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 0`;

/** KEYS[1] claims. The number of live claims. */
export const COUNT_CLAIMS = `${NOW_AND_PRUNE}
return redis.call('ZCARD', KEYS[1])`;

/** KEYS[1] lease; ARGV holder, ttlMs. 1 when holder has it now. */
export const HOLD_LEASE = `
local h = redis.call('GET', KEYS[1])
if h and h ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** KEYS[1] lease; ARGV holder. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

/** KEYS[1] sorted set member -> reserved-until (ms); ARGV member, limit, holdMs, present... */
export const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local member, limit, hold = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local inside, n = {}, 0
for i = 4, #ARGV do
  if not inside[ARGV[i]] then inside[ARGV[i]] = true n = n + 1 end
end
local admitted = inside[member] or redis.call('ZSCORE', KEYS[1], member) ~= false
if not admitted then
  local others = 0
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if not inside[m] and m ~= member then others = others + 1 end
  end
  admitted = n + others < limit
end
if not admitted then return 0 end
redis.call('ZADD', KEYS[1], now + hold, member)
redis.call('PEXPIRE', KEYS[1], hold)
return 1`;

/**
 * KEYS[1] document hash {e, v, d}; ARGV expectedEpoch ("" = absent), expectedVersion,
 * value, epochIfNew, pub/sub channel. Returns the published message "epoch\nversion\nvalue",
 * or nil when the document moved on.
 */
export const REPLACE = `
local cur = redis.call('HMGET', KEYS[1], 'e', 'v')
local e, v = cur[1], cur[2]
if ARGV[1] == '' then
  if e then return false end
  e, v = ARGV[4], 0
else
  if e ~= ARGV[1] or tonumber(v) ~= tonumber(ARGV[2]) then return false end
  v = tonumber(v)
end
v = v + 1
redis.call('HSET', KEYS[1], 'e', e, 'v', v, 'd', ARGV[3])
local msg = e .. '\\n' .. string.format('%d', v) .. '\\n' .. ARGV[3]
redis.call('PUBLISH', ARGV[5], msg)
return msg`;
