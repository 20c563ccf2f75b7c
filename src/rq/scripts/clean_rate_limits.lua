-- RQ 3.0's RateLimitRegistry.cleanup for each rate-limit key: a slot held by a job that is
-- neither queued nor started (its hash gone, or it ended without releasing) and has no live
-- execution is freed and given to the next waiting job; a key with no slot held and nobody
-- waiting is forgotten (out of <prefix>rl-keys, its settings deleted). Each step is checked
-- before it writes and is whole by itself; a key that cannot be cleaned is reported and the
-- others still are.
-- ARGV[1..] = rate-limit keys.
-- Returns {slots freed, jobs admitted, keys forgotten, why...} (one why per key refused).
local freed, admitted, forgotten, refused = 0, 0, 0, {}

local function clean(k)
  local allowed, waiting = P .. 'rl:' .. k .. ':allowed', P .. 'rl:' .. k .. ':rate_limited'
  if type_of(allowed) == 'zset' then
    for _, id in ipairs(call('ZRANGE', allowed, 0, -1)) do
      local job = P .. 'job:' .. id
      local status = nil
      if type_of(job) == 'hash' then status = call('HGET', job, 'status') end
      local executions = P .. 'executions:' .. id
      local live = type_of(executions) == 'zset'
        and call('ZCOUNT', executions, '(' .. NOW, '+inf') > 0
      if status ~= 'queued' and status ~= 'started' and not live then
        local why = apply({ { 'ZREM', allowed, id } })
        if why then error(why, 0) end
        freed = freed + 1
      end
    end
  end
  local w = try_acquire(k, 0, {})
  local why = apply(w)
  if why then error(why, 0) end
  for _, x in ipairs(w) do
    if x[1] == 'ZADD' then admitted = admitted + 1 end
  end
  local held, queued = 0, 0
  if type_of(allowed) == 'zset' then held = call('ZCARD', allowed) end
  if type_of(waiting) == 'zset' then queued = call('ZCARD', waiting) end
  if #w == 0 and held == 0 and queued == 0 then
    why = apply({ { 'SREM', P .. 'rl-keys', k }, { 'DEL', allowed, waiting, P .. 'rl:' .. k } })
    if why then error(why, 0) end
    forgotten = forgotten + 1
  end
end

for _, k in ipairs(ARGV) do
  local ok, e = pcall(clean, k)
  if not ok then refused[#refused + 1] = k .. ': ' .. err_text(e) end
end
local out = { freed, admitted, forgotten }
for _, why in ipairs(refused) do out[#out + 1] = why end
return out
