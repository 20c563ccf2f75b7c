-- Prelude of every mutating script (concatenated in front by mutate/scripts.rs): check, then
-- write. Redis never rolls a script back, so a job's writes are first planned as a list,
-- every one is checked (the key's type, and with Redis >= 7 whether this user may run it),
-- and only then are they applied: a job is changed whole or not at all.
-- ARGV[1..3] are the key prefix (`rq:`), now as RQ writes it in job hashes and now in epoch
-- seconds; they are taken off, so each script's own ARGV start at 1.
local P = table.remove(ARGV, 1)
local STAMP = table.remove(ARGV, 1)
local NOW = tonumber(table.remove(ARGV, 1))
-- rq-scheduler keeps `rq:` whatever RQ's prefix is.
local RQS = 'rq:scheduler:scheduled_jobs'
local call = redis.call
local acl = redis.acl_check_cmd
local types = {}

-- The type of a key, read once per call: our writes never change an existing key's type,
-- but they create keys, so `none` is read again.
-- A key this user may not even look at (ACL) reads as `unreadable`, never an error: a
-- raised error would end the script after earlier jobs were written.
local function type_of(key)
  local t = types[key]
  if not t then
    local ok, got = pcall(call, 'TYPE', key)
    if not ok then return 'unreadable' end
    t = got.ok or got
    if t ~= 'none' then types[key] = t end
  end
  return t
end

-- Commands that add need the key absent or of this type; removals of a key of another type
-- have nothing to remove and are dropped.
local adds = { HSET = 'hash', RPUSH = 'list', LPUSH = 'list', LSET = 'list', ZADD = 'zset',
  SADD = 'set', XADD = 'stream' }
local removes = { HDEL = 'hash', LREM = 'list', LTRIM = 'list', ZREM = 'zset', SREM = 'set' }

-- The member's score when `key` is a sorted set holding it (a key of another type holds
-- no member: nil, not an error).
local function score_in(key, member)
  if type_of(key) ~= 'zset' then return nil end
  return call('ZSCORE', key, member)
end

local function err_text(e)
  if type(e) == 'table' then return e.err or 'error' end
  return tostring(e)
end

-- Why `w` = {cmd, key, args...} may not run, or nil when it may; `w.skip` is set on a
-- removal from a key of another type.
local function refusal(w)
  local cmd, key = w[1], w[2]
  local need = adds[cmd] or removes[cmd]
  if type_of(key) == 'unreadable' then
    return 'no permission: this Redis user may not read ' .. key
  end
  if need then
    local t = type_of(key)
    if t ~= 'none' and t ~= need then
      if removes[cmd] then
        w.skip = true
        return nil
      end
      return 'wrong type: ' .. key .. ' is a ' .. t .. ', not a ' .. need
    end
  end
  if acl then
    local ok, allowed = pcall(acl, unpack(w))
    if not ok or not allowed then
      return 'no permission: this Redis user may not run ' .. cmd .. ' on ' .. key
    end
  end
  return nil
end

-- Applies every write of `writes`, or none of them: returns nil when applied, else why not.
local function apply(writes)
  for _, w in ipairs(writes) do
    local why = refusal(w)
    if why then return why end
  end
  for _, w in ipairs(writes) do
    if not w.skip then call(unpack(w)) end
  end
  return nil
end

-- An error reply for a refusal of a whole call, with the code Redis would use, so that
-- clients read it as what it is (NOPERM, WRONGTYPE).
local function refuse(why)
  local code = 'NOPERM'
  if why:sub(1, 10) == 'wrong type' then code = 'WRONGTYPE' end
  return redis.error_reply(code .. ' ' .. why)
end

-- Runs `plan(...)` (reads only; returns a code, or a list of writes and the code to report
-- once they are applied) and applies its writes. A read the server refuses (ACL) or a
-- write that may not run makes the job's result {-8, why}, with nothing written.
local function job(plan, ...)
  local ok, code, writes = pcall(plan, ...)
  if not ok then return { -8, err_text(code) } end
  if writes then
    local why = apply(writes)
    if why then return { -8, why } end
  end
  return code
end

-- RQ 3.0 rate limits. The writes that give free slots of rate limit `k` to the jobs that
-- wait longest, as RQ's ACQUIRE script does (oldest first; a waiting id whose job is gone or
-- no longer `rate_limited` is dropped): each gets the slot, is pushed on its queue and
-- becomes `queued`. `freed` slots are being released by the same plan, and ids in `skip`
-- are leaving the waiting set in it.
local function acquire(k, freed, skip)
  local allowed, waiting = P .. 'rl:' .. k .. ':allowed', P .. 'rl:' .. k .. ':rate_limited'
  local conc = tonumber(call('HGET', P .. 'rl:' .. k, 'concurrency') or '') or 0
  local held = 0
  if type_of(allowed) == 'zset' then held = call('ZCARD', allowed) end
  local free = conc - (held - freed)
  local w = {}
  if free <= 0 or type_of(waiting) ~= 'zset' then return w end
  for _, id in ipairs(call('ZRANGE', waiting, 0, free + 100)) do
    if free <= 0 then break end
    if not skip[id] then
      w[#w + 1] = { 'ZREM', waiting, id }
      local job = P .. 'job:' .. id
      local origin, status, front = unpack(call('HMGET', job, 'origin', 'status',
        'enqueue_at_front'))
      if origin and origin ~= '' and status == 'rate_limited' then
        local push = 'RPUSH'
        if front == '1' then push = 'LPUSH' end
        w[#w + 1] = { 'ZADD', allowed, math.floor(NOW), id }
        w[#w + 1] = { push, P .. 'queue:' .. origin, id }
        w[#w + 1] = { 'HSET', job, 'status', 'queued', 'enqueued_at', STAMP }
        free = free - 1
      end
    end
  end
  return w
end

-- `acquire` as a plan that can never raise: a read refused or of the wrong type gives no
-- admissions (the waiting jobs wait for RQ's own limiter or maintenance).
local function try_acquire(k, freed, skip)
  local ok, w = pcall(acquire, k, freed, skip)
  if ok then return w end
  return {}
end

-- Sends job `id` back through rate limit `k` as RQ 3.0's _enqueue_rate_limited_job does
-- (registered key, its concurrency, the waiting set); the caller then calls `try_acquire`.
-- Returns the writes; `concurrency` is the job's own `rate_limit_concurrency`.
local function limiter_writes(id, k, concurrency)
  return {
    { 'SADD', P .. 'rl-keys', k },
    { 'HSET', P .. 'rl:' .. k, 'concurrency', concurrency or '1' },
    { 'ZADD', P .. 'rl:' .. k .. ':rate_limited', math.floor(NOW), id },
  }
end

-- The writes that take job `id` (whose hash says rate limit `k`) out of its rate limit when
-- it is deleted or canceled, as RQ 3.0's RELEASE_STALE does: out of the waiting set, and its
-- slot freed (and given on) unless it is still running.
local function release(id, k)
  local w = {}
  if not k or k == '' then return w end
  local allowed, waiting = P .. 'rl:' .. k .. ':allowed', P .. 'rl:' .. k .. ':rate_limited'
  if score_in(waiting, id) then w[#w + 1] = { 'ZREM', waiting, id } end
  local executions = P .. 'executions:' .. id
  local live = type_of(executions) == 'zset' and call('ZCOUNT', executions, '(' .. NOW, '+inf') > 0
  if score_in(allowed, id) and not live then
    w[#w + 1] = { 'ZREM', allowed, id }
    for _, x in ipairs(try_acquire(k, 1, { [id] = true })) do w[#w + 1] = x end
  end
  return w
end

-- DEL writes for jobs' hashes, dependents sets and results, in slices of at most 1,998 keys
-- (unpack is bounded by Lua's C stack).
local function job_key_deletes(ids)
  local w, keys = {}, {}
  for _, id in ipairs(ids) do
    keys[#keys + 1] = P .. 'job:' .. id
    keys[#keys + 1] = P .. 'job:' .. id .. ':dependents'
    keys[#keys + 1] = P .. 'results:' .. id
    if #keys >= 1998 then
      w[#w + 1] = { 'DEL', unpack(keys) }
      keys = {}
    end
  end
  if #keys > 0 then w[#w + 1] = { 'DEL', unpack(keys) } end
  return w
end
