-- One window of a queue compaction: ids in [ARGV[1], ARGV[1] + ARGV[2]) whose job hash is
-- gone are overwritten with the tombstone ARGV[3]; the caller removes every tombstone with
-- one LREM at the end. Index shifts caused by workers popping between windows only make a
-- window skip ids, never touch a live one (each window is read and written atomically).
-- KEYS[1] = queue key. Returns {tombstoned, ids seen}.
local start = tonumber(ARGV[1])
local ids = redis.call('LRANGE', KEYS[1], start, start + tonumber(ARGV[2]) - 1)
local n = 0
for i, id in ipairs(ids) do
  if id ~= ARGV[3] and redis.call('EXISTS', 'rq:job:' .. id) == 0 then
    redis.call('LSET', KEYS[1], start + i - 1, ARGV[3])
    n = n + 1
  end
end
return {n, #ids}
