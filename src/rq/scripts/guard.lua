-- Prelude of every mutating script (concatenated in front by mutate/scripts.rs): check, then
-- write. Redis never rolls a script back, so a job's writes are first planned as a list,
-- every one is checked (the key's type, and with Redis >= 7 whether this user may run it),
-- and only then are they applied: a job is changed whole or not at all.
-- ARGV[1] is the key prefix (`rq:`); it is taken off, so each script's own ARGV start at 1.
local P = table.remove(ARGV, 1)
-- rq-scheduler keeps `rq:` whatever RQ's prefix is.
local RQS = 'rq:scheduler:scheduled_jobs'
local call = redis.call
local acl = redis.acl_check_cmd
local types = {}

-- The type of a key, read once per call (our writes never change an existing key's type).
local function type_of(key)
  local t = types[key]
  if not t then
    t = call('TYPE', key)
    t = t.ok or t
    types[key] = t
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
