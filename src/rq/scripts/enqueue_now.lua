-- Run scheduled jobs now. A job in RQ's <prefix>scheduled:<origin> is enqueued as RQ's
-- scheduler does when it falls due (rq-data-model.md 4.7 B); a job in rq-scheduler's set is
-- rescored to now, because only rq-scheduler itself can re-arm a periodic job (4.7, last
-- paragraph). Each job whole or not at all.
-- ARGV[1] = enqueued_at (RQ timestamp), ARGV[2] = now (epoch seconds), ARGV[3..] = job ids.
-- Returns one result per job: 1 enqueued, 2 handed to rq-scheduler for its next pass,
-- -1 job hash gone, -5 not scheduled, -6 key is not a hash, {-8, why} refused by a check.
local function plan(id)
  local key = P .. 'job:' .. id
  if call('EXISTS', key) == 0 then return -1 end
  if type_of(key) ~= 'hash' then return -6 end
  local origin, timeout, ttl, front, limit, concurrency = unpack(call('HMGET', key, 'origin',
    'timeout', 'ttl', 'enqueue_at_front', 'rate_limit_key', 'rate_limit_concurrency'))
  origin = origin or ''
  local registry = P .. 'scheduled:' .. origin
  if origin ~= '' and score_in(registry, id) then
    -- As RQ's ScheduledJobRegistry.requeue leaves it (the registry API RQ offers for this);
    -- a rate-limited job (RQ 3.0) goes through its limiter, never straight on the queue.
    if limit and limit ~= '' then
      local w = { { 'HSET', key, 'status', 'rate_limited', 'started_at', '', 'ended_at', '',
        'exc_info', '\120\156\3\0\0\0\0\1', 'enqueue_at_front', front or '0' } }
      for _, x in ipairs(limiter_writes(id, limit, concurrency)) do w[#w + 1] = x end
      w[#w + 1] = { 'ZREM', registry, id }
      return 3, w
    end
    local w = { { 'HSET', key, 'status', 'queued', 'enqueued_at', ARGV[1], 'started_at', '',
      'ended_at', '', 'exc_info', '\120\156\3\0\0\0\0\1' } }
    if not timeout then w[#w + 1] = { 'HSET', key, 'timeout', '180' } end
    ttl = math.floor(tonumber(ttl or '') or 0)
    if ttl > 0 and ttl < 2147483647 then w[#w + 1] = { 'EXPIRE', key, ttl } end
    local push = 'RPUSH'
    if front == '1' then push = 'LPUSH' end
    w[#w + 1] = { push, P .. 'queue:' .. origin, id }
    w[#w + 1] = { 'ZREM', registry, id }
    return 1, w
  end
  local rqs = RQS
  if score_in(rqs, id) then
    return 2, { { 'ZADD', rqs, 'XX', ARGV[2], id } }
  end
  return -5
end

local out = {}
for i = 3, #ARGV do
  local code = job(plan, ARGV[i])
  if code == 3 then
    -- Sent to its limiter: admitted now if a slot is free, else it waits.
    local limit = call('HGET', P .. 'job:' .. ARGV[i], 'rate_limit_key')
    apply(try_acquire(limit, 0, {}))
    code = 1
  end
  out[#out + 1] = code
end
return out
