-- Read-only: what one table row shows of each job, every field bounded, so that a page of
-- jobs with megabyte descriptions or tracebacks costs a few KB per row on the wire
-- (rq-data-model.md 2.4, 2.8). It only reads: TYPE, HSTRLEN, HGET, MEMORY USAGE, XREVRANGE.
-- Redis has no range read of a hash field, so taking a head copies the field into Lua
-- (~2.5 ms per MB): fields past a read limit are not read at all, and a call stops once it
-- has read `budget` bytes, returning the rows done (the caller sends the rest again).
-- KEYS: per job, its hash and its result stream.
-- ARGV[1] = '1' to read the latest result entry (failed jobs);
-- ARGV[2], ARGV[3] = bytes returned of a short field / of the description;
-- ARGV[4] = bytes returned of `data` (its head names the function);
-- ARGV[5] = largest traceback returned: they are compressed, so only a whole one gives the
-- last line; a larger one comes back as '' with its length;
-- ARGV[6], ARGV[7], ARGV[8] = largest short field / description / `data` read at all;
-- ARGV[9] = largest result stream read (MEMORY USAGE), ARGV[10] = bytes a call may read;
-- then per job the lengths of the description and `data` whose heads the caller already
-- holds ('0' for none): a field of that length is not read again (RQ never rewrites them).
-- Returns 17 values per job done: exists (0/1), the 7 short fields below, description, its
-- length, data head, its length, exc_info, its length, then the latest result: 0 (none, or
-- no exc_string), 1 (read) or 2 (stream too large to read), exc_string, its length (or the
-- stream's size). Missing values are ''.
local with_results = ARGV[1] == '1'
local short_cap, desc_cap = tonumber(ARGV[2]), tonumber(ARGV[3])
local data_cap, exc_cap = tonumber(ARGV[4]), tonumber(ARGV[5])
local short_max, desc_max = tonumber(ARGV[6]), tonumber(ARGV[7])
local data_max, stream_max = tonumber(ARGV[8]), tonumber(ARGV[9])
local budget = tonumber(ARGV[10])
local short_fields = {'status', 'origin', 'created_at', 'enqueued_at', 'started_at',
  'ended_at', 'worker_name'}
local read = 0

-- A field's first `cap` bytes and its full length; not read when longer than `max`, or
-- when the caller holds the head of a field of this length.
local function head(key, field, cap, max, known)
  local len = redis.call('HSTRLEN', key, field)
  if len == 0 or len > max or len == known then return '', len end
  read = read + len
  local v = redis.call('HGET', key, field) or ''
  if #v > cap then v = string.sub(v, 1, cap) end
  return v, len
end

-- The latest result's exc_string: 0/1/2 as above, the text, its length.
local function latest_exc(results)
  if not with_results or redis.call('TYPE', results).ok ~= 'stream' then return 0, '', 0 end
  -- MEMORY USAGE may be refused (ACL): then the entry is read whatever its size.
  local size = redis.pcall('MEMORY', 'USAGE', results)
  if type(size) == 'number' and size > stream_max then return 2, '', size end
  local entry = redis.call('XREVRANGE', results, '+', '-', 'COUNT', 1)[1]
  local fields = entry and entry[2] or {}
  for j = 1, #fields - 1, 2 do
    if fields[j] == 'exc_string' then
      local v = fields[j + 1]
      read = read + #v
      if #v <= exc_cap then return 1, v, #v end
      return 1, '', #v
    end
  end
  return 0, '', 0
end

local out = {}
local function push(...)
  for _, v in ipairs({...}) do out[#out + 1] = v end
end

for i = 1, #KEYS, 2 do
  if i > 1 and read > budget then break end
  local job = KEYS[i]
  local kind = redis.call('TYPE', job).ok
  if kind ~= 'hash' then
    -- Gone (a dangling id), or a key that is not a job: nothing to read in it.
    push(kind == 'none' and 0 or 1, '', '', '', '', '', '', '', '', 0, '', 0, '', 0, 0, '', 0)
  else
    push(1)
    local known = 10 + i -- ARGV index of this job's known description length
    for _, f in ipairs(short_fields) do push((head(job, f, short_cap, short_max, -1))) end
    push(head(job, 'description', desc_cap, desc_max, tonumber(ARGV[known])))
    push(head(job, 'data', data_cap, data_max, tonumber(ARGV[known + 1])))
    push(head(job, 'exc_info', exc_cap, exc_cap, -1))
    push(latest_exc(KEYS[i + 1]))
  end
end
return out
