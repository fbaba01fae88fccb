/**
 * Lua scripts: each state change runs as one script, so Redis applies its reads, decision and
 * writes atomically (no other command runs in between). ioredis sends them with EVALSHA and
 * falls back to EVAL after a server restart emptied the script cache.
 *
 * Key names are derived inside the scripts from the prefix (ARGV[1]) and ids read from the
 * session hash; the session's own key is passed as KEYS[1] so that a Redis Cluster routes the
 * call. On a cluster use a hash-tagged prefix (`{lkr}:`) so that every key shares one slot.
 */

/** Shared helpers: the same percent-encoding as `keyPart` (encodeURIComponent) in keys.ts. */
const PRELUDE = `
local function enc(s)
  return (string.gsub(s, "[^%w%-_%.!~%*'%(%)]", function(c)
    return string.format('%%%02X', string.byte(c))
  end))
end
local function isLive(s) return s == 'starting' or s == 'active' end
local function isTerminal(s) return s == 'stopped' or s == 'failed' end
`;

/**
 * Insert a `starting` session unless the user has a live one or the community is full.
 * KEYS[1] session hash. ARGV: prefix, id, userId, communityId|'', limit|'', createdAtMs,
 * egressId|'', then HSET field/value pairs.
 * Returns {'OK'} | {'EXISTS'} | {'ALREADY_ACTIVE', existingId} | {'LIMIT_REACHED', liveCount}.
 */
export const CREATE_SESSION = `${PRELUDE}
local prefix, id, userId, communityId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local limit = tonumber(ARGV[5])
local createdAt, egressId = ARGV[6], ARGV[7]
local key = KEYS[1]
if redis.call('EXISTS', key) == 1 then return {'EXISTS'} end
local liveKey = prefix .. 'user-live:' .. enc(userId)
local existing = redis.call('GET', liveKey)
if existing then
  local status = redis.call('HGET', prefix .. 'session:' .. existing, 'status')
  if isLive(status) then return {'ALREADY_ACTIVE', existing} end
end
local communityKey = nil
if communityId ~= '' then
  communityKey = prefix .. 'community-live:' .. enc(communityId)
  if limit then
    -- Count only members that are still live (and drop any that are not: self-healing).
    local live = 0
    for _, member in ipairs(redis.call('SMEMBERS', communityKey)) do
      if isLive(redis.call('HGET', prefix .. 'session:' .. member, 'status')) then
        live = live + 1
      else
        redis.call('SREM', communityKey, member)
      end
    end
    if live >= limit then return {'LIMIT_REACHED', tostring(live)} end
  end
end
redis.call('HSET', key, unpack(ARGV, 8))
redis.call('SET', liveKey, id)
if communityKey then redis.call('SADD', communityKey, id) end
redis.call('ZADD', prefix .. 'status:starting', createdAt, id)
if egressId ~= '' then redis.call('SET', prefix .. 'egress:' .. enc(egressId), id) end
return {'OK'}
`;

/**
 * Compare-and-set on the status, with a field patch; keeps every index in step.
 * KEYS[1] session hash. ARGV: prefix, id, nowMs, to ('' keeps the status), ttlSeconds|'',
 * nFrom, from…, nSet, set pairs…, nDel, fields to delete….
 * Returns nil (missing, or status not in from) | {'ALREADY_ACTIVE', otherId} | {'OK', HGETALL}.
 */
export const UPDATE_SESSION = `${PRELUDE}
local prefix, id, now, toArg, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local key = KEYS[1]
local i = 6
local nFrom = tonumber(ARGV[i]); i = i + 1
local status = redis.call('HGET', key, 'status')
if not status then return false end
local allowed = false
for j = 0, nFrom - 1 do
  if ARGV[i + j] == status then allowed = true end
end
i = i + nFrom
if not allowed then return false end
local to = status
if toArg ~= '' then to = toArg end

local info = redis.call('HMGET', key, 'userId', 'communityId', 'egressId', 'createdAt')
local userId, communityId, oldEgress, createdAt = info[1], info[2], info[3], info[4]
local liveKey = prefix .. 'user-live:' .. enc(userId)

-- Reviving a stopped session (reconciliation heal) must not give the user two live sessions.
if isLive(to) and not isLive(status) then
  local other = redis.call('GET', liveKey)
  if other and other ~= id and isLive(redis.call('HGET', prefix .. 'session:' .. other, 'status')) then
    return {'ALREADY_ACTIVE', other}
  end
end

local nSet = tonumber(ARGV[i]); i = i + 1
if nSet > 0 then redis.call('HSET', key, unpack(ARGV, i, i + nSet - 1)) end
i = i + nSet
local nDel = tonumber(ARGV[i]); i = i + 1
if nDel > 0 then redis.call('HDEL', key, unpack(ARGV, i, i + nDel - 1)) end
redis.call('HSET', key, 'status', to, 'updatedAt', now)

local newEgress = redis.call('HGET', key, 'egressId')
if oldEgress ~= newEgress then
  if oldEgress then
    local oldKey = prefix .. 'egress:' .. enc(oldEgress)
    if redis.call('GET', oldKey) == id then redis.call('DEL', oldKey) end
  end
  if newEgress then redis.call('SET', prefix .. 'egress:' .. enc(newEgress), id) end
end
local egressKey = nil
if newEgress then egressKey = prefix .. 'egress:' .. enc(newEgress) end

if to ~= status then
  redis.call('ZREM', prefix .. 'status:' .. status, id)
  redis.call('ZADD', prefix .. 'status:' .. to, createdAt, id)
end

local communityKey = nil
if communityId then communityKey = prefix .. 'community-live:' .. enc(communityId) end
if isLive(to) then
  redis.call('SET', liveKey, id)
  if communityKey then redis.call('SADD', communityKey, id) end
  redis.call('PERSIST', key)
  if egressKey then redis.call('PERSIST', egressKey) end
else
  if redis.call('GET', liveKey) == id then redis.call('DEL', liveKey) end
  if communityKey then redis.call('SREM', communityKey, id) end
  -- Ended sessions expire; the clock starts when the session becomes terminal (later patches
  -- do not extend it).
  if ttl and isTerminal(to) and (to ~= status or redis.call('TTL', key) == -1) then
    redis.call('EXPIRE', key, ttl)
    if egressKey then redis.call('EXPIRE', egressKey, ttl) end
  end
end

local endedKey = prefix .. 'ended'
local endedAt = redis.call('HGET', key, 'endedAt')
if isTerminal(to) and endedAt then
  redis.call('ZADD', endedKey, endedAt, id)
else
  redis.call('ZREM', endedKey, id)
end

-- Bounded sweep: index entries of sessions whose hashes already expired.
if ttl and isTerminal(to) and to ~= status then
  local horizon = tonumber(now) - ttl * 1000
  for _, old in ipairs(redis.call('ZRANGEBYSCORE', endedKey, '-inf', horizon, 'LIMIT', 0, 20)) do
    if redis.call('EXISTS', prefix .. 'session:' .. old) == 0 then
      redis.call('ZREM', endedKey, old)
      redis.call('ZREM', prefix .. 'status:stopped', old)
      redis.call('ZREM', prefix .. 'status:failed', old)
    end
  end
end

return {'OK', redis.call('HGETALL', key)}
`;

/**
 * Removes a session and every index entry that points at it.
 * KEYS[1] session hash. ARGV: prefix, id. Returns 1 when it existed, else 0.
 */
export const DELETE_SESSION = `${PRELUDE}
local prefix, id = ARGV[1], ARGV[2]
local key = KEYS[1]
local f = redis.call('HMGET', key, 'status', 'userId', 'communityId', 'egressId')
if not f[1] then return 0 end
redis.call('ZREM', prefix .. 'status:' .. f[1], id)
redis.call('ZREM', prefix .. 'ended', id)
if f[2] then
  local liveKey = prefix .. 'user-live:' .. enc(f[2])
  if redis.call('GET', liveKey) == id then redis.call('DEL', liveKey) end
end
if f[3] then redis.call('SREM', prefix .. 'community-live:' .. enc(f[3]), id) end
if f[4] then
  local egressKey = prefix .. 'egress:' .. enc(f[4])
  if redis.call('GET', egressKey) == id then redis.call('DEL', egressKey) end
end
redis.call('DEL', key)
return 1
`;

/**
 * The user's live session, read through the live pointer in one step.
 * KEYS[1] user-live key. ARGV: prefix, userId. Returns HGETALL or nil.
 */
export const FIND_LIVE_BY_USER = `${PRELUDE}
local prefix, userId = ARGV[1], ARGV[2]
local id = redis.call('GET', KEYS[1])
if not id then return false end
local hash = redis.call('HGETALL', prefix .. 'session:' .. id)
local fields = {}
for j = 1, #hash, 2 do fields[hash[j]] = hash[j + 1] end
if fields.userId ~= userId or not isLive(fields.status) then return false end
return hash
`;

/**
 * The session that owns an egress. KEYS[1] egress key. ARGV: prefix, egressId.
 * Returns HGETALL or nil.
 */
export const FIND_BY_EGRESS = `
local prefix, egressId = ARGV[1], ARGV[2]
local id = redis.call('GET', KEYS[1])
if not id then return false end
local key = prefix .. 'session:' .. id
if redis.call('HGET', key, 'egressId') ~= egressId then return false end
return redis.call('HGETALL', key)
`;

/**
 * Drops index entries whose session hash is gone (expired). Checked inside the script, so an
 * entry is never removed for a session that exists.
 * KEYS[1] ended key (for routing). ARGV: prefix, ids…. Returns how many ids were pruned.
 */
export const PRUNE_MISSING = `
local prefix = ARGV[1]
local pruned = 0
for j = 2, #ARGV do
  local id = ARGV[j]
  if redis.call('EXISTS', prefix .. 'session:' .. id) == 0 then
    redis.call('ZREM', KEYS[1], id)
    for _, status in ipairs({'starting', 'active', 'stopped', 'failed'}) do
      redis.call('ZREM', prefix .. 'status:' .. status, id)
    end
    pruned = pruned + 1
  end
end
return pruned
`;

/** KEYS[1] lock key. ARGV: token, ttlMs. 1 when the token still owns the lease (now extended). */
export const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS[1] lock key. ARGV: token. Deletes the lease only for its owner. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Sliding-window rate limit over a sorted set of hit times (ms).
 * KEYS[1] the key's set. ARGV: nowMs ('' = Redis server time), member, longestWindowMs,
 * then limit/windowMs pairs. Returns {1} when the hit was recorded, or
 * {0, limit, windowMs, retryAfterMs} when a window is full (nothing recorded).
 */
export const RATE_LIMIT_HIT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
if not now then
  -- Redis < 5 needs effects replication before a write that follows TIME.
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local member, longest = ARGV[2], tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest)
for i = 4, #ARGV, 2 do
  local limit, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local inWindow = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES')
  if #inWindow / 2 >= limit then
    local oldest = tonumber(inWindow[2])
    return {0, limit, window, window - (now - oldest)}
  end
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, longest)
return {1}
`;
