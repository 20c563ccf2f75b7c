-- RQ 3.0's ReadyJobRegistry.cleanup for one queue: dependents left in the ready registry
-- (their worker died between "dependencies met" and "pushed") are enqueued, each whole or
-- not at all; an entry whose job is no longer `ready_to_enqueue` is dropped. A rate-limited
-- job goes through its limiter instead of straight onto the queue.
-- KEYS[1] = <prefix>ready:<q>. ARGV[1] = the queue name, ARGV[2..] = the ids to take.
-- Returns one result per id: 1 enqueued, 0 dropped (not ready any more), {-8, why} refused.
local queue = P .. 'queue:' .. ARGV[1]
-- Rate limits to admit from once their jobs are in the waiting set.
local admit = {}

local function plan(id)
  if not call('ZSCORE', KEYS[1], id) then return 0 end
  local key = P .. 'job:' .. id
  local status, ttl, front, limit, concurrency = unpack(call('HMGET', key, 'status', 'ttl',
    'enqueue_at_front', 'rate_limit_key', 'rate_limit_concurrency'))
  local w = { { 'ZREM', KEYS[1], id } }
  if status ~= 'ready_to_enqueue' then return 0, w end
  ttl = math.floor(tonumber(ttl or '') or 0)
  if limit and limit ~= '' then
    w[#w + 1] = { 'HSET', key, 'status', 'rate_limited' }
    for _, x in ipairs(limiter_writes(id, limit, concurrency)) do w[#w + 1] = x end
    admit[#admit + 1] = limit
    return 1, w
  end
  w[#w + 1] = { 'HSET', key, 'status', 'queued', 'enqueued_at', STAMP }
  if ttl > 0 and ttl < 2147483647 then w[#w + 1] = { 'EXPIRE', key, ttl } end
  local push = 'RPUSH'
  if front == '1' then push = 'LPUSH' end
  w[#w + 1] = { push, queue, id }
  return 1, w
end

local out = {}
for i = 2, #ARGV do
  admit = {}
  out[#out + 1] = job(plan, ARGV[i])
  if out[#out] == 1 then
    for _, limit in ipairs(admit) do apply(try_acquire(limit, 0, {})) end
  end
end
return out
