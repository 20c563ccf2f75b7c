-- Requeue a batch of jobs from one registry, each atomically, as RQ's BaseRegistry.requeue
-- leaves them (rq-data-model.md 4.1): out of the registry, status queued, enqueued_at now,
-- started_at/ended_at cleared, exc_info = zlib(""), timeout defaulted, ttl re-applied, and the
-- id pushed onto its origin queue. Everything else (worker_name, meta, retries_left, results,
-- the key's TTL) is left as RQ leaves it.
-- KEYS[1] = registry key
-- ARGV[1] = enqueued_at (RQ timestamp), ARGV[2] = '1' to push at the front,
-- ARGV[3] = fallback queue name (the registry's), ARGV[4] = now (epoch seconds),
-- ARGV[5] = '1' when KEYS[1] is a started registry (running jobs are skipped),
-- ARGV[6] = '1' when KEYS[1] is a deferred registry (the job leaves its parents' dependents),
-- ARGV[7..] = pairs of registry member and job id.
-- Returns one code per job: 1 requeued, 0 no longer in the registry, -1 job hash gone
-- (member removed), -2 still running, -6 key is not a hash, -7 queue key is not a list.
-- Pushing in member order keeps RQ's order (ascending score; LPUSH of several ids leaves
-- the last at the head, as RQ's one-by-one LPUSH does).
local empty_exc = '\120\156\3\0\0\0\0\1'
local now = tonumber(ARGV[4])
local started = ARGV[5] == '1'
local members, ids = {}, {}
for i = 7, #ARGV, 2 do
  members[#members + 1] = ARGV[i]
  ids[#ids + 1] = ARGV[i + 1]
end
if #members == 0 then return {} end
-- Speed comes from few calls per job: membership, then HMGET + HSET (EXISTS only when
-- HMGET finds nothing), then one push per origin queue. The script is atomic as a whole.
-- Started registries need each score (running entries are skipped): ZMSCORE for the
-- batch (Redis >= 6.2; ZSCORE each on older servers), then one ZREM. Other registries need
-- no score: one ZREM per job both tests and removes membership, with no float formatting.
local scores
if started then
  local ok
  ok, scores = pcall(redis.call, 'ZMSCORE', KEYS[1], unpack(members))
  if not ok then
    scores = {}
    for k, m in ipairs(members) do scores[k] = redis.call('ZSCORE', KEYS[1], m) end
  end
end
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
  elseif call('ZREM', KEYS[1], member) == 0 then
    code = 0
  elseif not (f[1] or f[2] or f[3]) and call('EXISTS', job) == 0 then
    code = -1
  end
  if code == 1 then
    if started then remove[#remove + 1] = member end
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
return out
