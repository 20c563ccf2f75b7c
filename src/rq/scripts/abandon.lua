-- Move abandoned started jobs to failed, as RQ's StartedJobRegistry.cleanup does
-- (rq-data-model.md 4.8 step 2), each whole or not at all. The user's failure callbacks
-- cannot run here (they are Python). Jobs with retries left are retried as RQ does:
-- requeued, or scheduled when the retry interval is positive.
-- KEYS[1] = <prefix>wip:<q>
-- ARGV[1] = now (epoch seconds), ARGV[2] = now (RQ timestamp), ARGV[3] = queue name,
-- ARGV[4] = the exc_string field (base64 of zlib of the message),
-- ARGV[5..] = pairs of member and job id.
-- Returns one result per job: 1 failed, 2 retried, 3 not started any more (a leftover entry,
-- removed as RQ 3.0 does), 0 no longer expired, -1 job hash gone (member removed), -6 key is
-- not a hash, {-8, why} refused by a check. A rate-limited job's slot is freed and given on
-- (RQ 3.0), unless it was requeued.
local now = tonumber(ARGV[1])

local function plan(member, id)
  local key = P .. 'job:' .. id
  local score = call('ZSCORE', KEYS[1], member)
  if not score or tonumber(score) > now then return 0 end
  if call('EXISTS', key) == 0 then return -1, { { 'ZREM', KEYS[1], member } } end
  if type_of(key) ~= 'hash' then return -6 end
  local w = { { 'ZREM', KEYS[1], member } }
  local origin, retries, intervals, failure_ttl, status, limit = unpack(call('HMGET', key,
    'origin', 'retries_left', 'retry_intervals', 'failure_ttl', 'status', 'rate_limit_key'))
  -- Leftover entries after success or failure are not abandoned jobs (RQ 3.0).
  if status ~= 'started' then return 3, w end
  if not origin or origin == '' then origin = ARGV[3] end
  -- Foreign values are made safe before use: a number that does not parse is 0.
  retries = math.floor(tonumber(retries or '') or 0)
  if retries > 0 then
    local interval = 0
    local ok, list = pcall(cjson.decode, intervals or '[]')
    if ok and type(list) == 'table' and #list > 0 then
      local index = math.max(#list - retries, 0) + 1
      interval = math.floor(tonumber(list[math.min(index, #list)]) or 0)
    end
    w[#w + 1] = { 'HSET', key, 'retries_left', retries - 1 }
    if interval > 0 then
      w[#w + 1] = { 'HSET', key, 'status', 'scheduled' }
      w[#w + 1] = { 'ZADD', P .. 'scheduled:' .. origin, now + interval, id }
      for _, x in ipairs(release(id, limit)) do w[#w + 1] = x end
    else
      w[#w + 1] = { 'HSET', key, 'status', 'queued', 'enqueued_at', ARGV[2] }
      w[#w + 1] = { 'RPUSH', P .. 'queue:' .. origin, id }
    end
    return 2, w
  end
  local ttl = tonumber(failure_ttl or '')
  if ttl then ttl = math.floor(ttl) end
  if ttl and (ttl > 2147483647 or ttl < -1) then ttl = nil end
  local keep = ttl or 31536000
  w[#w + 1] = { 'HSET', key, 'status', 'failed' }
  local score_out = -1
  if keep >= 0 then
    score_out = now + keep
    w[#w + 1] = { 'EXPIRE', key, keep }
    w[#w + 1] = { 'EXPIRE', key .. ':dependents', keep }
    w[#w + 1] = { 'EXPIRE', P .. 'job::' .. id .. ':dependencies', keep }
  end
  w[#w + 1] = { 'ZADD', P .. 'failed:' .. origin, score_out, id }
  local results = P .. 'results:' .. id
  w[#w + 1] = { 'XADD', results, 'MAXLEN', '~', 10, '*', 'type', 2, 'worker_name', '',
    'exc_string', ARGV[4] }
  if ttl and ttl > 0 then w[#w + 1] = { 'EXPIRE', results, ttl } end
  for _, x in ipairs(release(id, limit)) do w[#w + 1] = x end
  return 1, w
end

local out = {}
for i = 5, #ARGV, 2 do
  out[#out + 1] = job(plan, ARGV[i], ARGV[i + 1])
end
return out
