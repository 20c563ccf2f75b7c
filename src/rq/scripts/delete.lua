-- Delete a batch of jobs, each whole or not at all, as RQ's Job.delete does and a little more
-- (rq-data-model.md 4.3): the id out of its queue, intermediate list, every registry of its
-- origin, its executions, its group and rq-scheduler's set; then the hash, dependents,
-- dependencies, executions and results; a rate-limited job (RQ 3.0) leaves its rate limit
-- and its slot goes to the next waiting job, as RQ's delete does.
-- ARGV[1] = '1' to force (delete running jobs and periodic rq-scheduler jobs),
-- ARGV[2] = the registry key the jobs were selected from ('' when named by id): a job no
-- longer in it is left alone (it moved since), a dangling member is removed from it,
-- ARGV[3..] = triples of registry member (or id), job id, and what the client found of the
-- job in rq-scheduler's set: 'once' (a one-off, fine to delete) or 'periodic'.
-- Returns one result per job: 1 deleted, 0 no longer in ARGV[2], -1 job hash gone (its
-- member removed from ARGV[2]), -2 running (refused), -3 periodic rq-scheduler job
-- (refused), -6 key is not a hash, {-8, why} refused by a check.
local force = ARGV[1] == '1'
local from = ARGV[2]
local registries = { 'finished', 'failed', 'deferred', 'scheduled', 'canceled', 'ready', 'wip' }

local function plan(member, id, kind)
  local key = P .. 'job:' .. id
  if from ~= '' and not call('ZSCORE', from, member) then return 0 end
  if call('EXISTS', key) == 0 then
    if from ~= '' then return -1, { { 'ZREM', from, member } } end
    return -1
  end
  if type_of(key) ~= 'hash' then return -6 end
  local status, origin, gid, limit = unpack(call('HMGET', key, 'status', 'origin', 'group_id',
    'rate_limit_key'))
  if not force and status == 'started' then return -2 end
  if not force and kind ~= 'once' and score_in(RQS, id) then
    return -3
  end
  local w = {}
  if from ~= '' then w[#w + 1] = { 'ZREM', from, member } end
  -- RQ 3.0 keeps a rate-limited job's executions: a running one keeps its slot until its
  -- work-horse ends.
  local execs = {}
  if not limit or limit == '' then execs = call('ZRANGE', P .. 'executions:' .. id, 0, -1) end
  if origin and origin ~= '' then
    w[#w + 1] = { 'LREM', P .. 'queue:' .. origin, 1, id }
    w[#w + 1] = { 'LREM', P .. 'queue:' .. origin .. ':intermediate', 1, id }
    for _, r in ipairs(registries) do
      local reg = P .. r .. ':' .. origin
      if score_in(reg, id) then w[#w + 1] = { 'ZREM', reg, id } end
    end
    for _, x in ipairs(execs) do
      w[#w + 1] = { 'ZREM', P .. 'wip:' .. origin, id .. ':' .. x }
    end
  end
  for _, x in ipairs(execs) do
    local execution = P .. 'execution:' .. id .. ':' .. x
    -- RQ 3.0 indexes running executions under their worker too.
    if type_of(execution) == 'hash' then
      local worker = call('HGET', execution, 'worker_name')
      if worker and worker ~= '' then
        w[#w + 1] = { 'SREM', P .. 'worker:' .. worker .. ':executions', id .. ':' .. x }
      end
    end
    w[#w + 1] = { 'DEL', execution }
  end
  if gid and gid ~= '' then w[#w + 1] = { 'SREM', P .. 'group:' .. gid, id } end
  if score_in(RQS, id) then
    w[#w + 1] = { 'ZREM', RQS, id }
  end
  if limit and limit ~= '' then
    w[#w + 1] = { 'DEL', key, key .. ':dependents', P .. 'job::' .. id .. ':dependencies',
      P .. 'results:' .. id }
  else
    w[#w + 1] = { 'DEL', key, key .. ':dependents', P .. 'job::' .. id .. ':dependencies',
      P .. 'executions:' .. id, P .. 'results:' .. id }
  end
  for _, x in ipairs(release(id, limit)) do w[#w + 1] = x end
  return 1, w
end

local out = {}
for i = 3, #ARGV, 3 do
  out[#out + 1] = job(plan, ARGV[i], ARGV[i + 1], ARGV[i + 2])
end
return out
