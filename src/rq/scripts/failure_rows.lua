-- Read-only: what a failure scan needs of each failed job, every field bounded
-- (rq-data-model.md 2.4, 2.8); selectors over other registries use it too. It only reads:
-- TYPE, HMGET, HSTRLEN, HGET, XREVRANGE.
-- KEYS: per job, its hash and its result stream.
-- ARGV[1] = bytes kept of a short field; ARGV[2] = bytes kept of `data` (its head names
-- the function); ARGV[3] = largest `data` read at all; ARGV[4] = largest traceback
-- returned (compressed: only a whole one can be read; a larger one comes back as '' with
-- its length); ARGV[5] = bytes a call may read before it returns the rows done;
-- ARGV[6] = '1' to read `meta` too (a selector names it), ARGV[7] = largest meta read.
-- Returns 13 values per job done: exists (0 gone, 1 hash, 2 another type), status,
-- origin, ended_at, worker_name, created_at, data head, exc_info, its length, the latest
-- result's entry id ('' when none), exc_string ('' when none or too large), its length,
-- and meta ('' unless asked for and small enough).
local short_cap, data_cap = tonumber(ARGV[1]), tonumber(ARGV[2])
local data_max, exc_max = tonumber(ARGV[3]), tonumber(ARGV[4])
local budget = tonumber(ARGV[5])
local with_meta, meta_max = ARGV[6] == '1', tonumber(ARGV[7])
local read = 0
local out = {}
local function push(...)
  for _, v in ipairs({...}) do out[#out + 1] = v end
end
local function short(v)
  if not v then return '' end
  if #v > short_cap then return string.sub(v, 1, short_cap) end
  return v
end
-- A field read only when it is at most `max` bytes, returned within `cap`.
local function bounded(key, field, cap, max)
  local len = redis.call('HSTRLEN', key, field)
  if len == 0 or len > max then return '', len end
  read = read + len
  local v = redis.call('HGET', key, field) or ''
  if #v > cap then v = string.sub(v, 1, cap) end
  return v, len
end

for i = 1, #KEYS, 2 do
  if i > 1 and read > budget then break end
  local job = KEYS[i]
  local kind = redis.call('TYPE', job).ok
  if kind ~= 'hash' then
    push(kind == 'none' and 0 or 2, '', '', '', '', '', '', '', 0, '', '', 0, '')
  else
    local f = redis.call('HMGET', job, 'status', 'origin', 'ended_at', 'worker_name',
      'created_at')
    push(1, short(f[1]), short(f[2]), short(f[3]), short(f[4]), short(f[5]))
    push((bounded(job, 'data', data_cap, data_max)))
    push(bounded(job, 'exc_info', exc_max, exc_max))
    local entry_id, exc, exc_len = '', '', 0
    if redis.call('TYPE', KEYS[i + 1]).ok == 'stream' then
      local entry = redis.call('XREVRANGE', KEYS[i + 1], '+', '-', 'COUNT', 1)[1]
      if entry then
        entry_id = entry[1]
        local fields = entry[2]
        for j = 1, #fields - 1, 2 do
          if fields[j] == 'exc_string' then
            exc_len = #fields[j + 1]
            read = read + exc_len
            if exc_len <= exc_max then exc = fields[j + 1] end
          end
        end
      end
    end
    push(entry_id, exc, exc_len)
    if with_meta then push((bounded(job, 'meta', meta_max, meta_max))) else push('') end
  end
end
return out
