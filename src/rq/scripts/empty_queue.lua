-- Empty up to ARGV[1] ids from the head of a queue, as RQ's Queue.empty does for the whole
-- list (rq-data-model.md 4.5): pop each id and delete its hash and dependents set. Called
-- in chunks so that Redis is never blocked for long.
-- KEYS[1] = queue key. Returns the number of ids removed.
-- One LPOP with a count (Redis >= 6.2) and one DEL per chunk keep the per-job cost to the
-- deletions themselves; older servers pop one id at a time.
local max = tonumber(ARGV[1])
local ok, ids = pcall(redis.call, 'LPOP', KEYS[1], max)
if not ok then
  ids = {}
  while #ids < max do
    local id = redis.call('LPOP', KEYS[1])
    if not id then break end
    ids[#ids + 1] = id
  end
end
if not ids then return 0 end
local keys = {}
for _, id in ipairs(ids) do
  keys[#keys + 1] = 'rq:job:' .. id
  keys[#keys + 1] = 'rq:job:' .. id .. ':dependents'
end
-- unpack is bounded by Lua's C stack: delete in slices.
for i = 1, #keys, 2000 do
  redis.call('DEL', unpack(keys, i, math.min(i + 1999, #keys)))
end
return #ids
