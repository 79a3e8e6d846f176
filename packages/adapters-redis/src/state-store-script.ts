/**
 * The StateStore's one write path: `apply` as a single Lua script, so a batch is checked and written
 * atomically (Redis runs a script to completion before any other command).
 *
 * KEYS: [fence key]? [event key]? then the distinct record keys of the batch.
 * ARGV: hasFence, token, hasEvent, nonce, dedupeTtlSeconds, hasIncrBy, then the ops:
 *   's'|'r', keyIndex, fieldCount, field, value, …   (set / replace)
 *   'i', keyIndex, field, by                           (incrBy)
 *   'd', keyIndex                                      (delete)
 *
 * Redis does not roll a script back, so nothing may fail once writing has started. Order of checks:
 *   1. the event key holds this call's nonce → 'OK': this very call ran before and its reply was lost
 *      (a client re-sent it after a reconnect); report it applied, change nothing;
 *   2. fence: token lower than the resource's fence value (highest token seen by the store or granted
 *      by the lock manager) → 'STALE';
 *   3. event key exists → 'DUP';
 *   4. every record key written after the first write is a hash (or absent); every incrBy target is a
 *      64-bit integer string exactly as HINCRBY parses it — after the batch's own earlier ops — and the
 *      sum does not overflow → else a structured RXT_CORRUPT / RXT_OVERFLOW error naming key and field.
 *      The FIRST write needs no pre-check: it runs under pcall, and if it fails nothing was written yet.
 *      A batch of one `set` op (the common position upsert) takes a fast path: GET, HSET, SET.
 * Then the writes, the fence update (max) and the event marker (SET EX, value = nonce).
 */
export const APPLY_SCRIPT = `
local hasFence = ARGV[1] == '1'
local token = tonumber(ARGV[2])
local hasEvent = ARGV[3] == '1'
local nonce = ARGV[4]
local hasIncr = ARGV[6] == '1'
local FIRST = 7
local n = #ARGV
local ki = 1
local fenceKey, eventKey
if hasFence then fenceKey = KEYS[ki]; ki = ki + 1 end
if hasEvent then eventKey = KEYS[ki]; ki = ki + 1 end

local function fail(tag, key, field, reason)
  return redis.error_reply(tag .. ' ' .. cjson.encode({key = key, field = field, reason = reason}))
end

local eventSeen = false
if hasEvent then
  local prev = redis.pcall('GET', eventKey)
  if type(prev) == 'table' and prev.err then return fail('RXT_CORRUPT', eventKey, nil, 'event marker: ' .. prev.err) end
  if prev == nonce then return 'OK' end
  eventSeen = prev ~= false
end

local fenceValue = nil
if hasFence then
  local cur = redis.pcall('GET', fenceKey)
  if type(cur) == 'table' and cur.err then return fail('RXT_CORRUPT', fenceKey, nil, 'fence: ' .. cur.err) end
  if cur then
    if not string.match(cur, '^%d+$') then
      return fail('RXT_CORRUPT', fenceKey, nil, 'fence token is not an integer: ' .. cur)
    end
    fenceValue = tonumber(cur)
    if fenceValue > token then return 'STALE' end
  end
end

if eventSeen then return 'DUP' end

-- HSET of one 'set'/'replace' op's fields, in chunks (Lua's unpack has a stack limit).
local function hset(i, key)
  local count = tonumber(ARGV[i + 2])
  local j = 0
  while j < count do
    local chunk = math.min(count - j, 500)
    local args = {}
    for c = 0, chunk - 1 do
      args[2 * c + 1] = ARGV[i + 3 + 2 * (j + c)]
      args[2 * c + 2] = ARGV[i + 4 + 2 * (j + c)]
    end
    local ok = redis.pcall('HSET', key, unpack(args))
    -- Only the batch's first write can fail here (the others were checked): nothing is written yet.
    if type(ok) == 'table' and ok.err then return fail('RXT_CORRUPT', key, nil, ok.err) end
    j = j + chunk
  end
  return nil
end

local function finish()
  if hasFence and (fenceValue == nil or token > fenceValue) then redis.call('SET', fenceKey, ARGV[2]) end
  if hasEvent then redis.call('SET', eventKey, nonce, 'EX', ARGV[5]) end
  return 'OK'
end

-- Fast path, the common position upsert: one 'set' op. Its HSET is the first write: nothing to pre-check.
if ARGV[FIRST] == 's' and n == FIRST + 2 + 2 * tonumber(ARGV[FIRST + 2]) then
  local err = hset(FIRST, KEYS[tonumber(ARGV[FIRST + 1])])
  if err then return err end
  return finish()
end

local function isInt(s)
  if s == '0' then return true end
  if not string.match(s, '^%-?[1-9]%d*$') then return false end
  local negative = string.sub(s, 1, 1) == '-'
  local digits = negative and (#s - 1) or #s
  if digits < 19 then return true end
  if digits > 19 then return false end
  local abs = string.sub(s, -19)
  if negative then return abs <= '9223372036854775808' end
  return abs <= '9223372036854775807'
end

-- Validate before writing anything (see the header for why the first write is exempt).
local sim = {}
local typed = {}
local function ensureHash(key)
  if typed[key] then return nil end
  typed[key] = true
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'hash' and t ~= 'none' then return fail('RXT_CORRUPT', key, nil, 'is a ' .. t .. ', not a hash') end
  return nil
end
local function current(key, field)
  local s = sim[key]
  if s then
    local v = s.fields[field]
    if v ~= nil then return v end
    if s.cleared then return nil end
  end
  local v = redis.pcall('HGET', key, field)
  if type(v) == 'table' and v.err then return nil, fail('RXT_CORRUPT', key, nil, v.err) end
  if v == false then return nil end
  return v
end

local i = FIRST
while i <= n do
  local code = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  if code == 's' or code == 'r' then
    if code == 'r' or i ~= FIRST then
      local err = ensureHash(key)
      if err then return err end
    else
      typed[key] = true
    end
    local count = tonumber(ARGV[i + 2])
    if hasIncr then
      local s = sim[key]
      if code == 'r' or not s then
        s = {cleared = code == 'r' or (s ~= nil and s.cleared), fields = {}}
        sim[key] = s
      end
      for j = 0, count - 1 do s.fields[ARGV[i + 3 + 2 * j]] = ARGV[i + 4 + 2 * j] end
    end
    i = i + 3 + 2 * count
  elseif code == 'i' then
    local field = ARGV[i + 2]
    local by = tonumber(ARGV[i + 3])
    local v, err = current(key, field)
    if err then return err end
    typed[key] = true
    local approx = 0
    if type(v) == 'table' then
      approx = v.approx
    elseif v ~= nil then
      if not isInt(v) then return fail('RXT_CORRUPT', key, field, 'is not an integer: ' .. v) end
      approx = tonumber(v)
    end
    if math.abs(approx + by) >= 9.2e18 then return fail('RXT_OVERFLOW', key, field, 'overflow') end
    if not sim[key] then sim[key] = {cleared = false, fields = {}} end
    sim[key].fields[field] = {approx = approx + by}
    i = i + 4
  elseif code == 'd' then
    sim[key] = {cleared = true, fields = {}}
    typed[key] = true
    i = i + 2
  else
    return redis.error_reply('ERR rxtrade apply: unknown op ' .. tostring(code))
  end
end

i = FIRST
while i <= n do
  local code = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  if code == 's' or code == 'r' then
    if code == 'r' then redis.call('DEL', key) end
    local err = hset(i, key)
    if err then return err end
    i = i + 3 + 2 * tonumber(ARGV[i + 2])
  elseif code == 'i' then
    redis.call('HINCRBY', key, ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  else
    redis.call('DEL', key)
    i = i + 2
  end
end

return finish()
`;
