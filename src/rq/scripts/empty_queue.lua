-- Empty up to ARGV[1] ids from the head of a queue, as RQ's Queue.empty does for the whole
-- list (rq-data-model.md 4.5): take each id off and delete its hash, dependents set and
-- results (RQ 3.0's empty deletes results; before, they leaked).
-- Called in chunks so that Redis is never blocked for long. Everything is checked before
-- the first write: a refusal is an error reply with nothing changed.
-- KEYS[1] = queue key. Returns the number of ids removed.
local max = tonumber(ARGV[1])
local ids = call('LRANGE', KEYS[1], 0, max - 1)
if #ids == 0 then return 0 end
local w = { { 'LTRIM', KEYS[1], #ids, -1 } }
-- DEL takes many keys; unpack is bounded by Lua's C stack, so slices of 2000.
local keys = {}
for _, id in ipairs(ids) do
  keys[#keys + 1] = P .. 'job:' .. id
  keys[#keys + 1] = P .. 'job:' .. id .. ':dependents'
  keys[#keys + 1] = P .. 'results:' .. id
  if #keys >= 1998 then
    w[#w + 1] = { 'DEL', unpack(keys) }
    keys = {}
  end
end
if #keys > 0 then w[#w + 1] = { 'DEL', unpack(keys) } end
local why = apply(w)
if why then return refuse(why) end
return #ids
