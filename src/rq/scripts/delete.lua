-- Delete a batch of jobs, each atomically, as RQ's Job.delete does and a little more
-- (rq-data-model.md 4.3): the id out of its queue, intermediate list, every registry of its
-- origin, its executions, its group and rq-scheduler's set; then the hash, dependents,
-- dependencies and results.
-- ARGV[1] = '1' to force (delete running jobs and periodic rq-scheduler jobs),
-- ARGV[2] = a registry key to remove each member from as well ('' for none),
-- ARGV[3..] = pairs of registry member (or id) and job id.
-- Returns one code per job: 1 deleted, -1 job hash gone, -2 running (refused),
-- -3 periodic rq-scheduler job (refused).
local force = ARGV[1] == '1'
local registries = {'finished', 'failed', 'deferred', 'scheduled', 'canceled', 'wip'}
local out = {}
for i = 3, #ARGV, 2 do
  local member, id = ARGV[i], ARGV[i + 1]
  local job = 'rq:job:' .. id
  if redis.call('EXISTS', job) == 0 then
    if ARGV[2] ~= '' then redis.call('ZREM', ARGV[2], member) end
    out[#out + 1] = -1
  else
    local status = redis.call('HGET', job, 'status')
    if not force and status == 'started' then
      out[#out + 1] = -2
    elseif not force and redis.call('ZSCORE', 'rq:scheduler:scheduled_jobs', id) then
      out[#out + 1] = -3
    else
      if ARGV[2] ~= '' then redis.call('ZREM', ARGV[2], member) end
      local origin = redis.call('HGET', job, 'origin')
      local execs = redis.call('ZRANGE', 'rq:executions:' .. id, 0, -1)
      if origin and origin ~= '' then
        redis.call('LREM', 'rq:queue:' .. origin, 1, id)
        redis.call('LREM', 'rq:queue:' .. origin .. ':intermediate', 1, id)
        for _, r in ipairs(registries) do
          redis.call('ZREM', 'rq:' .. r .. ':' .. origin, id)
        end
        for _, x in ipairs(execs) do
          redis.call('ZREM', 'rq:wip:' .. origin, id .. ':' .. x)
        end
      end
      for _, x in ipairs(execs) do
        redis.call('DEL', 'rq:execution:' .. id .. ':' .. x)
      end
      local gid = redis.call('HGET', job, 'group_id')
      if gid and gid ~= '' then redis.call('SREM', 'rq:group:' .. gid, id) end
      redis.call('ZREM', 'rq:scheduler:scheduled_jobs', id)
      redis.call('DEL', job, job .. ':dependents', 'rq:job::' .. id .. ':dependencies',
        'rq:executions:' .. id, 'rq:results:' .. id)
      out[#out + 1] = 1
    end
  end
end
return out
