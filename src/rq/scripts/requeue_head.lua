-- Requeue the jobs at the head of a registry (lowest scores first, RQ's order), each
-- atomically, as RQ's BaseRegistry.requeue leaves them (see requeue_ids.lua for the end
-- state). Reading the batch inside the script means no snapshot has to travel to the client
-- and back, and nothing present can be skipped: requeued members leave the head, so the next
-- call reads the next ones. Members refused (codes < 0 other than -1) stay at the head; the
-- caller skips them with ARGV[7].
-- KEYS[1] = registry key
-- ARGV[1..6] as in requeue_ids.lua, ARGV[7] = how many refused members to skip at the head,
-- ARGV[8] = how many members to take, ARGV[9] = '1' when the registry's scores are expiry
-- times (failed, finished): an entry whose expiry has passed (0 <= score <= now) is left for
-- RQ's cleanup, as `rq requeue --all` cleans before it requeues (code -9, stays at the head).
-- Started registries take only abandoned entries (score <= now).
-- Returns {codes, members} (the return statement follows requeue_core.lua).
local empty_exc = '\120\156\3\0\0\0\0\1'
local now = tonumber(ARGV[4])
local started = ARGV[5] == '1'
local from_head = true
local offset, count = tonumber(ARGV[7]), tonumber(ARGV[8])
local members, ids, scores, preset = {}, {}, {}, {}
if started then
  -- Only abandoned entries (their heartbeat expiry has passed), with their scores.
  local listed = call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', offset, count)
  for i = 1, #listed, 2 do
    local member = listed[i]
    -- RQ 2.x started members are <id>:<32 hex execution id>; 1.x members are bare ids.
    local base, exec = string.match(member, '^(.+):(%x+)$')
    members[#members + 1] = member
    ids[#ids + 1] = (base and #exec == 32) and base or member
    scores[#scores + 1] = listed[i + 1]
  end
elseif ARGV[9] == '1' then
  local listed = call('ZRANGE', KEYS[1], offset, offset + count - 1, 'WITHSCORES')
  for i = 1, #listed, 2 do
    members[#members + 1] = listed[i]
    local score = tonumber(listed[i + 1])
    if score and score >= 0 and score <= now then preset[#members] = -9 end
  end
  ids = members
else
  -- No scores needed here: formatting them would cost as much as a command per job.
  members = call('ZRANGE', KEYS[1], offset, offset + count - 1)
  ids = members
end
if #members == 0 then return {{}, {}} end
