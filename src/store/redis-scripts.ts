/**
 * Lua scripts of the Redis store. A script runs atomically, so "write, then publish the change"
 * is one step: a change in Redis is always announced, and an announced change is always in Redis.
 * Every key a script touches carries the same `{companyId}` hash tag (one Cluster slot); the
 * renewal script also reaches the user's older token hashes by prefix, in that same slot.
 *
 * Published messages: {"v":1,"origin":"<instance>","ts":<ms>,"changes":[StateChange...]}.
 * cjson prints numbers with 14 significant digits: millisecond timestamps (13 digits) are exact.
 */

/**
 * The outbox write shared by the scripts that change something (src/store/redis-outbox.ts): adds
 * the events in ARGV[from..to] (triples: id, due time, entry JSON) to the portfolio's outbox
 * (zset of due times, hash of entries), an id already there kept as it is.
 */
export const ENQUEUE_LUA_FN = `
local function enqueue(zkey, hkey, from, to)
  for i = from, to, 3 do
    if redis.call('HSETNX', hkey, ARGV[i], ARGV[i + 2]) == 1 then redis.call('ZADD', zkey, ARGV[i + 1], ARGV[i]) end
  end
end
`;

/**
 * KEYS: portfolio record, outbox zset, outbox entries. ARGV: record JSON, channel, message, then
 * outbox triples. Written, announced and its events queued in one step.
 */
export const PUT_PORTFOLIO_LUA = `${ENQUEUE_LUA_FN}
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
enqueue(KEYS[2], KEYS[3], 4, #ARGV)
return 1
`;

/**
 * KEYS: token hash, revoked zset, outbox zset, outbox entries. ARGV: now, tokenId, channel, origin,
 * ts, reason, then outbox triples (queued only when this call revoked it). Returns expiresAt, or nil.
 */
export const REVOKE_LUA = `${ENQUEUE_LUA_FN}
local rev = redis.call('HGET', KEYS[1], 'revokedAt')
if rev == false or rev ~= '' then return false end
local exp = redis.call('HGET', KEYS[1], 'expiresAt')
redis.call('HSET', KEYS[1], 'revokedAt', ARGV[1], 'revokedReason', ARGV[6] or 'revoked')
redis.call('ZADD', KEYS[2], exp, ARGV[2])
enqueue(KEYS[3], KEYS[4], 7, #ARGV)
redis.call('PUBLISH', ARGV[3], cjson.encode({v = 1, origin = ARGV[4], ts = tonumber(ARGV[5]),
  changes = {{kind = 'revoked', tokenId = ARGV[2], expiresAt = tonumber(exp)}}}))
return exp
`;

/**
 * Insert a token; with ARGV[1] = '1', first revoke the user's other active personal tokens (renewal;
 * named tokens are never touched). A named token (ARGV[11] not '') is refused, writing nothing, when
 * another live named token of the user (of generation ARGV[13]) has its name (HLGW_NAME_TAKEN) or
 * the user already holds ARGV[12] of them (HLGW_LIMIT): counted and written in one atomic step.
 * KEYS: new token hash, user set, revoked zset, tokens zset, expiry zset, outbox zset, outbox entries.
 * ARGV: revokePrevious, now, tokenId, createdAt, token hash prefix, channel, origin, ts, n (outbox
 * triples), renewed-event id prefix ('' = none), name, maxNamed, generation, the n triples, then
 * field, value, ...
 * With a prefix, each token revoked gets a token.revoked event (reason renewed), the shape of
 * src/store/outbox-events.ts renewedEvent. Returns the tokens revoked, flat: id, expiresAt, id, expiresAt...
 */
export const INSERT_TOKEN_LUA = `${ENQUEUE_LUA_FN}
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('ERR hlgw token id exists') end
local now = tonumber(ARGV[2])
if ARGV[11] ~= '' then
  local live = 0
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    local f = redis.call('HMGET', ARGV[5] .. id, 'revokedAt', 'expiresAt', 'name', 'generation')
    if f[1] == '' and tonumber(f[2]) > now and f[3] and f[3] ~= '' and f[4] == ARGV[13] then
      if f[3] == ARGV[11] then return redis.error_reply('HLGW_NAME_TAKEN') end
      live = live + 1
    end
  end
  if live >= tonumber(ARGV[12]) then return redis.error_reply('HLGW_LIMIT') end
end
local revoked = {}
local changes = {}
local fields = 14 + 3 * tonumber(ARGV[9])
if ARGV[1] == '1' then
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    local k = ARGV[5] .. id
    local f = redis.call('HMGET', k, 'revokedAt', 'expiresAt', 'userId', 'login', 'companyId', 'name')
    if f[1] == '' and tonumber(f[2]) > now and (not f[6] or f[6] == '') then
      redis.call('HSET', k, 'revokedAt', ARGV[2], 'revokedReason', 'renewed')
      redis.call('ZADD', KEYS[3], f[2], id)
      revoked[#revoked + 1] = id
      revoked[#revoked + 1] = f[2]
      changes[#changes + 1] = {kind = 'revoked', tokenId = id, expiresAt = tonumber(f[2])}
      if ARGV[10] ~= '' then
        local data = {token_id = id, user_id = f[3], login = f[4], company_id = f[5], reason = 'renewed', expires_at = tonumber(f[2])}
        local eid = ARGV[10] .. id
        local entry = cjson.encode({event = {id = eid, type = 'token.revoked', at = now, companyId = f[5], data = data}, attempts = 0})
        if redis.call('HSETNX', KEYS[7], eid, entry) == 1 then redis.call('ZADD', KEYS[6], now, eid) end
      end
    end
  end
end
redis.call('HSET', KEYS[1], unpack(ARGV, fields))
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
redis.call('ZADD', KEYS[5], redis.call('HGET', KEYS[1], 'expiresAt'), ARGV[3])
enqueue(KEYS[6], KEYS[7], 14, fields - 1)
if #changes > 0 then
  redis.call('PUBLISH', ARGV[6], cjson.encode({v = 1, origin = ARGV[7], ts = tonumber(ARGV[8]), changes = changes}))
end
return revoked
`;

/**
 * One sign-in's chain of learned company edges (src/state/portfolio-tree.ts), written and announced
 * in one step under one new version. KEYS: the edges hash (field `#version` holds the counter; a
 * company id cannot start with `#`). ARGV: channel, origin, ts, now, then company id, parent
 * ('' = a root), placed by ('' = not recorded), ... Returns the version.
 */
export const PUT_COMPANY_EDGES_LUA = `
local v = redis.call('HINCRBY', KEYS[1], '#version', 1)
local now = tonumber(ARGV[4])
local edges = {}
for i = 5, #ARGV, 3 do
  local parent = ARGV[i + 1]
  local e = {companyId = ARGV[i], parent = (parent == '' and cjson.null or parent), version = v, updatedAt = now}
  if ARGV[i + 2] ~= '' then e.placedBy = ARGV[i + 2] end
  redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(e))
  edges[#edges + 1] = e
end
redis.call('PUBLISH', ARGV[1], cjson.encode({v = 1, origin = ARGV[2], ts = tonumber(ARGV[3]), changes = {{kind = 'company', edges = edges}}}))
return v
`;

/**
 * KEYS: token hash. ARGV: lastUsedAt, lastUsedIp ('' = unknown). Keeps the later of the stored and
 * the given use, with its address; unknown tokens are ignored.
 */
export const TOUCH_LUA = `
local cur = redis.call('HGET', KEYS[1], 'lastUsedAt')
if cur == false then return 0 end
if cur == '' or tonumber(cur) <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1])
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'lastUsedIp', ARGV[2]) end
end
return 1
`;

/** KEYS: audit-seq, audit zset. ARGV: event JSON. Returns the new id. */
export const APPEND_AUDIT_LUA = `
local id = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], id, id .. '|' .. ARGV[1])
return id
`;

/**
 * Reserve one failed-login slot. KEYS: the budget's zset (members scored by expiry, one hash tag
 * per budget). ARGV: now, windowMs, max, member. Returns 0 when reserved, else the milliseconds
 * until a slot frees (the (n - max + 1)th oldest member expires). The key's TTL is the window.
 */
export const RESERVE_LOGIN_LUA = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[3])
if n >= max then
  local e = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
  return tonumber(e[2]) - now
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
`;

/**
 * KEYS: a session index, a user's or a login's (SET of session id hashes). ARGV: id hash, the
 * session's remaining life in ms. Adds it and makes the index live at least as long as its longest session.
 */
export const INDEX_SESSION_LUA = `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;
