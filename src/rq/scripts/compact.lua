-- One window of a queue compaction: ids in [ARGV[1], ARGV[1] + ARGV[2]) whose job hash is
-- gone are overwritten with the tombstone ARGV[3]; the caller removes every tombstone with
-- one LREM at the end. Index shifts caused by workers popping between windows only make a
-- window skip ids, never touch a live one (each window is read and written atomically).
-- KEYS[1] = queue key. Returns {tombstoned, ids seen}; a refusal is an error reply with
-- nothing changed.
local start = tonumber(ARGV[1])
local ids = call('LRANGE', KEYS[1], start, start + tonumber(ARGV[2]) - 1)
local w = {}
for i, id in ipairs(ids) do
  if id ~= ARGV[3] and call('EXISTS', P .. 'job:' .. id) == 0 then
    w[#w + 1] = { 'LSET', KEYS[1], start + i - 1, ARGV[3] }
  end
end
local why = apply(w)
if why then return refuse(why) end
return { #w, #ids }
