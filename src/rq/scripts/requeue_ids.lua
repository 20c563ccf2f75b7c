-- Requeue the named members of one registry, each atomically, as RQ's BaseRegistry.requeue
-- leaves them (rq-data-model.md 4.1): out of the registry, status queued, enqueued_at now,
-- started_at/ended_at cleared, exc_info = zlib(""), timeout defaulted, ttl re-applied, and the
-- id pushed onto its origin queue. Everything else (worker_name, meta, retries_left, results,
-- the key's TTL) is left as RQ leaves it.
-- KEYS[1] = registry key
-- ARGV[1] = enqueued_at (RQ timestamp), ARGV[2] = '1' to push at the front,
-- ARGV[3] = fallback queue name (the registry's), ARGV[4] = now (epoch seconds),
-- ARGV[5] = '1' when KEYS[1] is a started registry (running jobs are skipped),
-- ARGV[6] = '1' when KEYS[1] is a deferred registry (the job leaves its parents' dependents),
-- ARGV[7..] = pairs of registry member and job id.
-- Returns (after requeue_core.lua) one code per job: 1 requeued, 0 no longer in the registry, -1 job hash gone
-- (member removed), -2 still running, -6 key is not a hash, -7 queue key is not a list.
-- Pushing in member order keeps RQ's order (ascending score; LPUSH of several ids leaves
-- the last at the head, as RQ's one-by-one LPUSH does).
local empty_exc = '\120\156\3\0\0\0\0\1'
local now = tonumber(ARGV[4])
local started = ARGV[5] == '1'
local from_head = false
local members, ids, preset = {}, {}, {}
for i = 7, #ARGV, 2 do
  members[#members + 1] = ARGV[i]
  ids[#ids + 1] = ARGV[i + 1]
end
if #members == 0 then return {} end
-- Started registries need each score (running entries are skipped): ZMSCORE for the
-- batch (Redis >= 6.2; ZSCORE each on older servers), then one ZREM. Other registries need
-- no score: one ZREM per job both tests and removes membership, with no float formatting.
local scores
if started then
  local ok
  ok, scores = pcall(call, 'ZMSCORE', KEYS[1], unpack(members))
  if not ok then
    scores = {}
    for k, m in ipairs(members) do scores[k] = call('ZSCORE', KEYS[1], m) end
  end
end
