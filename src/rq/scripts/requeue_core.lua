-- The body shared by requeue_ids.lua and requeue_head.lua (concatenated after guard.lua by
-- mutate/scripts.rs): given `members`, `ids`, `scores` (started registries only), `preset`
-- (codes decided before, by member index), `started`, `from_head` (the members were just
-- read from the registry) and `now`, it requeues each job and fills `out` with one result
-- per job.
-- Speed comes from few calls per job: membership, then HMGET + HSET (EXISTS only when
-- HMGET finds nothing), then one push per origin queue and one ZREM for the batch. Those
-- shared writes come last, so everything they need is checked before the first write: each
-- origin queue's type and push permission, the registry's ZREM permission, and per job the
-- job key's type (HMGET under pcall) and permission for the writes the job needs.
local deferred = ARGV[6] == '1'
local push = 'RPUSH'
if ARGV[2] == '1' then push = 'LPUSH' end
local registry_refused = refusal({ 'ZREM', KEYS[1], 'member' })
local push_refused = {}
local function push_refusal(origin)
  local why = push_refused[origin]
  if why == nil then
    why = refusal({ push, P .. 'queue:' .. origin, 'id' }) or false
    push_refused[origin] = why
  end
  return why
end
local out, remove, origins, pushes = {}, {}, {}, {}
-- Pushes the ids gathered so far (one push per origin queue), in the order they came.
local function flush()
  for _, origin in ipairs(origins) do
    call(push, P .. 'queue:' .. origin, unpack(pushes[origin]))
  end
  origins, pushes = {}, {}
end
for k, member in ipairs(members) do
  local id = ids[k]
  local job = P .. 'job:' .. id
  local code = preset[k] or 1
  local read, f = pcall(call, 'HMGET', job, 'origin', 'timeout', 'ttl', 'rate_limit_key',
    'rate_limit_concurrency')
  local origin
  if read then
    origin = f[1]
    if not origin or origin == '' then origin = ARGV[3] end
  end
  local ttl = read and math.floor(tonumber(f[3] or '') or 0) or 0
  local parents = {}
  if code ~= 1 then
    -- decided before
  elseif not read then
    code = -6
  elseif registry_refused then
    code = { -8, registry_refused }
  elseif push_refusal(origin) then
    code = { -8, push_refusal(origin) }
  else
    local why = refusal({ 'HSET', job, 'status', 'queued' })
    if not why and ttl > 0 and ttl < 2147483647 then why = refusal({ 'EXPIRE', job, ttl }) end
    if not why and deferred then
      local dependencies = P .. 'job::' .. id .. ':dependencies'
      if type_of(dependencies) == 'set' then parents = call('SMEMBERS', dependencies) end
      for _, parent in ipairs(parents) do
        why = why or refusal({ 'SREM', P .. 'job:' .. parent .. ':dependents', id })
      end
    end
    local limit = f[4]
    if not why and limit and limit ~= '' then
      -- RQ 3.0 sends a rate-limited job back through its limiter, never straight on a queue.
      why = refusal({ 'SADD', P .. 'rl-keys', limit })
        or refusal({ 'HSET', P .. 'rl:' .. limit, 'concurrency', '1' })
        or refusal({ 'ZADD', P .. 'rl:' .. limit .. ':rate_limited', 0, id })
        or refusal({ 'ZADD', P .. 'rl:' .. limit .. ':allowed', 0, id })
    end
    if why then code = { -8, why } end
  end
  if code ~= 1 then
    -- refused above
  elseif started then
    local score = scores[k]
    if not score then
      code = 0
    elseif not (f[1] or f[2] or f[3]) and call('EXISTS', job) == 0 then
      code = -1
      remove[#remove + 1] = member
    elseif tonumber(score) > now then
      code = -2
    end
  elseif from_head then
    -- Read from the registry by this very script: a member for sure; removed in one ZREM.
    if not (f[1] or f[2] or f[3]) and call('EXISTS', job) == 0 then
      code = -1
      remove[#remove + 1] = member
    end
  elseif call('ZREM', KEYS[1], member) == 0 then
    code = 0
  elseif not (f[1] or f[2] or f[3]) and call('EXISTS', job) == 0 then
    code = -1
  end
  local limit = read and f[4] or nil
  if code == 1 then
    if started or from_head then remove[#remove + 1] = member end
    -- RQ 3.0 sends a rate-limited job back through its limiter, never straight on a queue:
    -- status rate_limited (its enqueued_at is set when the limiter admits it).
    local limited = limit and limit ~= ''
    if limited then
      call('HSET', job, 'status', 'rate_limited', 'started_at', '', 'ended_at', '',
        'exc_info', empty_exc, 'enqueue_at_front', ARGV[2], 'origin', origin)
    elseif origin == f[1] then
      call('HSET', job, 'status', 'queued', 'enqueued_at', ARGV[1], 'started_at', '',
        'ended_at', '', 'exc_info', empty_exc)
    else
      call('HSET', job, 'status', 'queued', 'enqueued_at', ARGV[1], 'started_at', '',
        'ended_at', '', 'exc_info', empty_exc, 'origin', origin)
    end
    if not f[2] then call('HSET', job, 'timeout', '180') end
    if ttl > 0 and ttl < 2147483647 then call('EXPIRE', job, ttl) end
    -- A parent that finishes later must not enqueue this job a second time.
    for _, parent in ipairs(parents) do
      if type_of(P .. 'job:' .. parent .. ':dependents') == 'set' then
        call('SREM', P .. 'job:' .. parent .. ':dependents', id)
      end
    end
    if limited then
      for _, x in ipairs(limiter_writes(id, limit, f[5])) do call(unpack(x)) end
      -- Jobs requeued before it are pushed first, so the queue keeps RQ's order; refused,
      -- the limiter's step leaves it waiting (a state RQ knows: maintenance admits it).
      flush()
      apply(try_acquire(limit, 0, {}))
    else
      local list = pushes[origin]
      if not list then
        list = {}
        pushes[origin] = list
        origins[#origins + 1] = origin
      end
      list[#list + 1] = id
    end
  end
  out[#out + 1] = code
end
if #remove > 0 then call('ZREM', KEYS[1], unpack(remove)) end
flush()
