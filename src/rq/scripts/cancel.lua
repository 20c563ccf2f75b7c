-- Cancel a batch of jobs, each whole or not at all, as RQ 2.12's Job.cancel
-- (rq-data-model.md 4.4): status canceled, out of its queue and the registry of its previous
-- status, into <prefix>canceled:<origin> scored with the cancel time.
-- ARGV[1] = now (epoch seconds), ARGV[2] = '1' to force (cancel running jobs and periodic
-- rq-scheduler jobs), ARGV[3..] = pairs of job id and what the client found of the job in
-- rq-scheduler's set: 'once' (a one-off) or 'periodic'. A job in that set is taken out of
-- it too (as rq-scheduler's own cancel does): RQ's cancel alone would let rq-scheduler
-- enqueue it when its time comes.
-- Returns one result per job: 1 canceled, -1 job hash gone, -2 running (refused),
-- -3 periodic rq-scheduler job (refused), -4 already canceled, -6 key is not a hash,
-- {-8, why} refused by a check.
local registry_of = {
  started = 'wip', deferred = 'deferred', scheduled = 'scheduled', finished = 'finished',
  failed = 'failed', stopped = 'failed', canceled = 'canceled', ready_to_enqueue = 'ready'
}

local function plan(id, kind)
  local key = P .. 'job:' .. id
  if call('EXISTS', key) == 0 then return -1 end
  if type_of(key) ~= 'hash' then return -6 end
  local status, origin, limit = unpack(call('HMGET', key, 'status', 'origin', 'rate_limit_key'))
  status = status or 'created'
  origin = origin or ''
  if status == 'canceled' then return -4 end
  if status == 'started' and ARGV[2] ~= '1' then return -2 end
  local rqs = RQS
  local in_rqs = score_in(rqs, id)
  if ARGV[2] ~= '1' and kind ~= 'once' and in_rqs then
    -- Canceling a repeating job ends its schedule: only with --force.
    return -3
  end
  local w = { { 'HSET', key, 'status', 'canceled' },
    { 'LREM', P .. 'queue:' .. origin, 1, id } }
  local reg = registry_of[status]
  if reg == 'wip' then
    for _, x in ipairs(call('ZRANGE', P .. 'executions:' .. id, 0, -1)) do
      w[#w + 1] = { 'ZREM', P .. 'wip:' .. origin, id .. ':' .. x }
    end
    w[#w + 1] = { 'ZREM', P .. 'wip:' .. origin, id }
  elseif reg then
    w[#w + 1] = { 'ZREM', P .. reg .. ':' .. origin, id }
  end
  w[#w + 1] = { 'ZADD', P .. 'canceled:' .. origin, ARGV[1], id }
  if in_rqs then w[#w + 1] = { 'ZREM', rqs, id } end
  for _, x in ipairs(release(id, limit)) do w[#w + 1] = x end
  return 1, w
end

local out = {}
for i = 3, #ARGV, 2 do
  out[#out + 1] = job(plan, ARGV[i], ARGV[i + 1])
end
return out
