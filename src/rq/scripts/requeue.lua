-- Requeue a batch of jobs from one registry, each atomically, as RQ's BaseRegistry.requeue
-- leaves them (rq-data-model.md 4.1): out of the registry, status queued, enqueued_at now,
-- started_at/ended_at cleared, exc_info = zlib(""), timeout defaulted, ttl re-applied, and the
-- id pushed onto its origin queue. Everything else (worker_name, meta, retries_left, results,
-- the key's TTL) is left as RQ leaves it.
-- KEYS[1] = registry key
-- ARGV[1] = enqueued_at (RQ timestamp), ARGV[2] = '1' to push at the front,
-- ARGV[3] = fallback queue name (the registry's), ARGV[4] = now (epoch seconds),
-- ARGV[5] = '1' when KEYS[1] is a started registry (running jobs are skipped),
-- ARGV[6..] = pairs of registry member and job id.
-- Returns one code per job: 1 requeued, 0 no longer in the registry, -1 job hash gone
-- (member removed), -2 still running.
local empty_exc = '\120\156\3\0\0\0\0\1'
local now = tonumber(ARGV[4])
local out = {}
for i = 6, #ARGV, 2 do
  local member, id = ARGV[i], ARGV[i + 1]
  local job = 'rq:job:' .. id
  local score = redis.call('ZSCORE', KEYS[1], member)
  if not score then
    out[#out + 1] = 0
  elseif redis.call('EXISTS', job) == 0 then
    redis.call('ZREM', KEYS[1], member)
    out[#out + 1] = -1
  elseif ARGV[5] == '1' and tonumber(score) > now then
    out[#out + 1] = -2
  else
    redis.call('ZREM', KEYS[1], member)
    local origin = redis.call('HGET', job, 'origin')
    if not origin or origin == '' then origin = ARGV[3] end
    redis.call('HSET', job, 'status', 'queued', 'origin', origin, 'enqueued_at', ARGV[1],
      'started_at', '', 'ended_at', '', 'exc_info', empty_exc)
    if redis.call('HEXISTS', job, 'timeout') == 0 then
      redis.call('HSET', job, 'timeout', '180')
    end
    local ttl = tonumber(redis.call('HGET', job, 'ttl') or '')
    if ttl and ttl > 0 then redis.call('EXPIRE', job, ttl) end
    if ARGV[2] == '1' then
      redis.call('LPUSH', 'rq:queue:' .. origin, id)
    else
      redis.call('RPUSH', 'rq:queue:' .. origin, id)
    end
    out[#out + 1] = 1
  end
end
return out
