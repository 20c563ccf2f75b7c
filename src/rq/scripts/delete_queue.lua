-- The last step of deleting a queue, whole or not at all (rq-data-model.md 4.6): delete
-- whatever ids are still in the list (jobs enqueued while the bulk of it was emptied in
-- chunks), then drop the queue from <prefix>queues and delete the list, as RQ's
-- Queue.delete does. A refusal is an error reply with nothing changed.
-- KEYS[1] = queue key, KEYS[2] = <prefix>queues. ARGV[1] = the queue key as the set holds it.
-- Returns the number of ids removed here.
local ids = call('LRANGE', KEYS[1], 0, -1)
local w = job_key_deletes(ids)
w[#w + 1] = { 'SREM', KEYS[2], ARGV[1] }
w[#w + 1] = { 'DEL', KEYS[1] }
local why = apply(w)
if why then return refuse(why) end
return #ids
