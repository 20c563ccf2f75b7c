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
for _, x in ipairs(job_key_deletes(ids)) do w[#w + 1] = x end
local why = apply(w)
if why then return refuse(why) end
return #ids
