-- Cancel a batch of jobs, each atomically, as RQ 2.12's Job.cancel (rq-data-model.md 4.4):
-- status canceled, out of its queue and the registry of its previous status, into
-- rq:canceled:<origin> scored with the cancel time.
-- ARGV[1] = now (epoch seconds), ARGV[2] = '1' to force (cancel running jobs and periodic
-- rq-scheduler jobs, which RQ's cancel leaves in rq-scheduler's set),
-- ARGV[3..] = job ids.
-- Returns one code per job: 1 canceled, -1 job hash gone, -2 running (refused),
-- -3 periodic rq-scheduler job (refused), -4 already canceled.
local registry_of = {
  started = 'wip', deferred = 'deferred', scheduled = 'scheduled', finished = 'finished',
  failed = 'failed', stopped = 'failed', canceled = 'canceled'
}
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local job = 'rq:job:' .. id
  if redis.call('EXISTS', job) == 0 then
    out[#out + 1] = -1
  else
    local status = redis.call('HGET', job, 'status') or 'created'
    if status == 'canceled' then
      out[#out + 1] = -4
    elseif status == 'started' and ARGV[2] ~= '1' then
      out[#out + 1] = -2
    elseif ARGV[2] ~= '1' and redis.call('ZSCORE', 'rq:scheduler:scheduled_jobs', id) then
      -- rq-scheduler would run (and re-arm) it anyway: canceling alone would not stop it.
      out[#out + 1] = -3
    else
      local origin = redis.call('HGET', job, 'origin') or ''
      redis.call('HSET', job, 'status', 'canceled')
      redis.call('LREM', 'rq:queue:' .. origin, 1, id)
      local reg = registry_of[status]
      if reg == 'wip' then
        for _, x in ipairs(redis.call('ZRANGE', 'rq:executions:' .. id, 0, -1)) do
          redis.call('ZREM', 'rq:wip:' .. origin, id .. ':' .. x)
        end
        redis.call('ZREM', 'rq:wip:' .. origin, id)
      elseif reg then
        redis.call('ZREM', 'rq:' .. reg .. ':' .. origin, id)
      end
      redis.call('ZADD', 'rq:canceled:' .. origin, ARGV[1], id)
      out[#out + 1] = 1
    end
  end
end
return out
