-- Move abandoned started jobs to failed, as RQ's StartedJobRegistry.cleanup does
-- (rq-data-model.md 4.8 step 2), each atomically. The user's failure callbacks cannot run
-- here (they are Python). Jobs with retries left are retried as RQ does: requeued, or
-- scheduled when the retry interval is positive.
-- KEYS[1] = rq:wip:<q>
-- ARGV[1] = now (epoch seconds), ARGV[2] = now (RQ timestamp), ARGV[3] = queue name,
-- ARGV[4] = the exc_string field (base64 of zlib of the message),
-- ARGV[5..] = pairs of member and job id.
-- Returns one code per job: 1 failed, 2 retried, 0 no longer expired, -1 job hash gone,
-- -6 key is not a hash.
local now = tonumber(ARGV[1])
local out = {}
for i = 5, #ARGV, 2 do
  local member, id = ARGV[i], ARGV[i + 1]
  local job = 'rq:job:' .. id
  local score = redis.call('ZSCORE', KEYS[1], member)
  if not score or tonumber(score) > now then
    out[#out + 1] = 0
  elseif redis.call('EXISTS', job) == 0 then
    redis.call('ZREM', KEYS[1], member)
    out[#out + 1] = -1
  elseif redis.call('TYPE', job).ok ~= 'hash' then
    out[#out + 1] = -6
  else
    redis.call('ZREM', KEYS[1], member)
    local origin = redis.call('HGET', job, 'origin')
    if not origin or origin == '' then origin = ARGV[3] end
    -- Foreign values are made safe before use: a failing EXPIRE or ZADD mid-batch would
    -- leave earlier jobs half-moved (Lua does not roll back).
    local retries = math.floor(tonumber(redis.call('HGET', job, 'retries_left') or '') or 0)
    if retries > 0 then
      local interval = 0
      local ok, intervals = pcall(cjson.decode, redis.call('HGET', job, 'retry_intervals') or '[]')
      if ok and type(intervals) == 'table' and #intervals > 0 then
        local index = math.max(#intervals - retries, 0) + 1
        interval = math.floor(tonumber(intervals[math.min(index, #intervals)]) or 0)
      end
      redis.call('HSET', job, 'retries_left', retries - 1)
      if interval > 0 then
        redis.call('HSET', job, 'status', 'scheduled')
        redis.call('ZADD', 'rq:scheduled:' .. origin, now + interval, id)
      else
        redis.call('HSET', job, 'status', 'queued', 'enqueued_at', ARGV[2])
        redis.call('RPUSH', 'rq:queue:' .. origin, id)
      end
      out[#out + 1] = 2
    else
      local ttl = tonumber(redis.call('HGET', job, 'failure_ttl') or '')
      if ttl then ttl = math.floor(ttl) end
      if ttl and (ttl > 2147483647 or ttl < -1) then ttl = nil end
      local keep = ttl or 31536000
      redis.call('HSET', job, 'status', 'failed')
      local score_out = -1
      if keep >= 0 then
        score_out = now + keep
        redis.call('EXPIRE', job, keep)
        redis.call('EXPIRE', job .. ':dependents', keep)
        redis.call('EXPIRE', 'rq:job::' .. id .. ':dependencies', keep)
      end
      redis.call('ZADD', 'rq:failed:' .. origin, score_out, id)
      local results = 'rq:results:' .. id
      redis.call('XADD', results, 'MAXLEN', '~', 10, '*', 'type', 2, 'worker_name', '',
        'exc_string', ARGV[4])
      if ttl and ttl > 0 then redis.call('EXPIRE', results, ttl) end
      out[#out + 1] = 1
    end
  end
end
return out
