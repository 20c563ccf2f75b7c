-- Empty up to ARGV[1] ids from the head of a queue, as RQ's Queue.empty does for the whole
-- list (rq-data-model.md 4.5): LPOP each id and delete its hash and dependents set. Called
-- in chunks so that Redis is never blocked for long.
-- KEYS[1] = queue key. Returns the number of ids removed.
local n = 0
local max = tonumber(ARGV[1])
while n < max do
  local id = redis.call('LPOP', KEYS[1])
  if not id then break end
  redis.call('DEL', 'rq:job:' .. id, 'rq:job:' .. id .. ':dependents')
  n = n + 1
end
return n
