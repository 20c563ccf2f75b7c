-- The body shared by requeue_ids.lua and requeue_head.lua (concatenated by mutate/jobs_ops.rs):
-- given `members`, `ids`, `scores` (started registries only), `started`, `from_head` (the
-- members were just read from the registry) and `now`, it
-- requeues each job and fills `out` with one code per job.
-- Speed comes from few calls per job: membership, then HMGET + HSET (EXISTS only when
-- HMGET finds nothing), then one push per origin queue. The script is atomic as a whole.
local call = redis.call
local deferred = ARGV[6] == '1'
-- A failing command after a write would leave earlier jobs of the batch half-moved (Lua
-- does not roll back), so everything that can fail is checked before the first write:
-- the job key's type (HMGET under pcall) and each origin queue's type (for the pushes).
local pushable = {}
local function can_push(origin)
  if pushable[origin] == nil then
    local t = call('TYPE', 'rq:queue:' .. origin)
    t = t.ok or t
    pushable[origin] = (t == 'list' or t == 'none')
  end
  return pushable[origin]
end
local out, remove, origins, pushes = {}, {}, {}, {}
for k, member in ipairs(members) do
  local id = ids[k]
  local job = 'rq:job:' .. id
  local code = 1
  local read, f = pcall(call, 'HMGET', job, 'origin', 'timeout', 'ttl')
  local origin
  if read then
    origin = f[1]
    if not origin or origin == '' then origin = ARGV[3] end
  end
  if not read then
    code = -6
  elseif not can_push(origin) then
    code = -7
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
  if code == 1 then
    if started or from_head then remove[#remove + 1] = member end
    if origin == f[1] then
      call('HSET', job, 'status', 'queued', 'enqueued_at', ARGV[1], 'started_at', '',
        'ended_at', '', 'exc_info', empty_exc)
    else
      call('HSET', job, 'status', 'queued', 'enqueued_at', ARGV[1], 'started_at', '',
        'ended_at', '', 'exc_info', empty_exc, 'origin', origin)
    end
    if not f[2] then call('HSET', job, 'timeout', '180') end
    local ttl = math.floor(tonumber(f[3] or '') or 0)
    if ttl > 0 and ttl < 2147483647 then call('EXPIRE', job, ttl) end
    if deferred then
      -- A parent that finishes later must not enqueue this job a second time.
      for _, parent in ipairs(call('SMEMBERS', 'rq:job::' .. id .. ':dependencies')) do
        call('SREM', 'rq:job:' .. parent .. ':dependents', id)
      end
    end
    local list = pushes[origin]
    if not list then
      list = {}
      pushes[origin] = list
      origins[#origins + 1] = origin
    end
    list[#list + 1] = id
  end
  out[#out + 1] = code
end
if #remove > 0 then call('ZREM', KEYS[1], unpack(remove)) end
local push = 'RPUSH'
if ARGV[2] == '1' then push = 'LPUSH' end
for _, origin in ipairs(origins) do
  call(push, 'rq:queue:' .. origin, unpack(pushes[origin]))
end
