-- Run scheduled jobs now. A job in RQ's rq:scheduled:<origin> is enqueued as RQ's scheduler
-- does when it falls due (rq-data-model.md 4.7 B); a job in rq-scheduler's set is rescored
-- to now, because only rq-scheduler itself can re-arm a periodic job (4.7, last paragraph).
-- ARGV[1] = enqueued_at (RQ timestamp), ARGV[2] = now (epoch seconds), ARGV[3..] = job ids.
-- Returns one code per job: 1 enqueued, 2 handed to rq-scheduler for its next pass,
-- -1 job hash gone, -5 not scheduled.
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local job = 'rq:job:' .. id
  if redis.call('EXISTS', job) == 0 then
    out[#out + 1] = -1
  else
    local origin = redis.call('HGET', job, 'origin') or ''
    local registry = 'rq:scheduled:' .. origin
    if origin ~= '' and redis.call('ZSCORE', registry, id) then
      redis.call('HSET', job, 'status', 'queued', 'enqueued_at', ARGV[1])
      if redis.call('HEXISTS', job, 'timeout') == 0 then
        redis.call('HSET', job, 'timeout', '180')
      end
      local ttl = tonumber(redis.call('HGET', job, 'ttl') or '')
      if ttl and ttl > 0 then redis.call('EXPIRE', job, ttl) end
      if redis.call('HGET', job, 'enqueue_at_front') == '1' then
        redis.call('LPUSH', 'rq:queue:' .. origin, id)
      else
        redis.call('RPUSH', 'rq:queue:' .. origin, id)
      end
      redis.call('ZREM', registry, id)
      out[#out + 1] = 1
    elseif redis.call('ZSCORE', 'rq:scheduler:scheduled_jobs', id) then
      redis.call('ZADD', 'rq:scheduler:scheduled_jobs', 'XX', ARGV[2], id)
      out[#out + 1] = 2
    else
      out[#out + 1] = -5
    end
  end
end
return out
