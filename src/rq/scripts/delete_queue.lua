-- The last step of deleting a queue, atomically (rq-data-model.md 4.6): delete whatever ids
-- are still in the list (jobs enqueued while the bulk of it was emptied in chunks), then
-- drop the queue from rq:queues and delete the list, as RQ's Queue.delete does.
-- KEYS[1] = queue key, KEYS[2] = rq:queues. ARGV[1] = the queue key as rq:queues holds it.
-- Returns the number of ids removed here.
local n = 0
while true do
  local id = redis.call('LPOP', KEYS[1])
  if not id then break end
  redis.call('DEL', 'rq:job:' .. id, 'rq:job:' .. id .. ':dependents')
  n = n + 1
end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return n
