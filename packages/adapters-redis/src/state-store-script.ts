/**
 * The StateStore's one write path: several `apply` calls in one Lua script, each applied atomically
 * and all-or-nothing on its own, in order (Redis runs a script to completion before any other command).
 * Calls issued together share one EVALSHA (see state-store.ts); a lone call is a script of one.
 * Two variants with the same arguments and replies: {@link APPLY_SCRIPT} for Redis 7.0 and later,
 * {@link APPLY_SCRIPT_PRE_7} for older servers (the store picks one per connection).
 *
 * ARGV[1] = dedupeTtlSeconds, ARGV[2] = the state index (a sorted set of every record's Redis key,
 * all at score 0, so `ZRANGEBYLEX` pages any key prefix in order; same prefix, so same cluster slot).
 * Then, per apply, one of two layouts, told apart by its first argument:
 * - the general one (first argument ≥ 0): a header and its ops:
 *     keyCount, opArgCount, flags (1 fence + 2 event + 4 has incrBy), token, nonce,
 *     then opArgCount op arguments:
 *       's'|'r', keyIndex, fieldCount, field, value, …   (set / replace)
 *       'i', keyIndex, field, by                           (incrBy)
 *       'd', keyIndex                                      (delete)
 *   KEYS, per apply, keyCount of them: [fence key]? [event key]? then its distinct record keys;
 *   keyIndex counts from the apply's first key (1-based);
 * - the upsert (first argument < 0): an apply with an event id, no fence and one `set` op of 1 to
 *   {@link UPSERT_MAX_FIELDS} fields, the position update of every fill. Half the arguments of the
 *   general layout (each one costs Redis a string and a table slot in ARGV), and a short path
 *   through the script; the same steps and outcomes as the general layout would give it:
 *     -fieldCount, nonce, field, value, …
 *   KEYS: event key, record key.
 *
 * Returns an array with one reply per apply, in order: 'OK', 'DUP', 'STALE', or an error message
 * (`RXT_CORRUPT {json}`, `RXT_OVERFLOW {json}`, `OOM …`, `ERR …`) for that apply alone: an apply that
 * fails has written nothing (or undone what it wrote, within the script: nobody sees it), and the
 * others in the script are unaffected by it.
 *
 * Redis does not roll a script back, so an apply checks everything that can fail before its record
 * writes. Outcome, per apply, by precedence:
 *   1. the event key holds this call's nonce → 'OK': this very call ran before and its reply was lost
 *      (a client re-sent it after a reconnect); report it applied, change nothing;
 *   2. fence: token lower than the resource's fence value (highest token seen by the store or granted
 *      by the lock manager) → 'STALE';
 *   3. event key exists → 'DUP';
 *   4. every record key written after the apply's first record write is a hash (or absent); every
 *      incrBy target is a 64-bit integer string exactly as HINCRBY parses it — after the apply's own
 *      earlier ops — and the sum does not overflow → else RXT_CORRUPT / RXT_OVERFLOW naming key and
 *      field. The FIRST record write needs no pre-check: it runs under pcall, and nothing of this
 *      apply's records was written before it. An apply of one `set` op (the common position upsert)
 *      skips step 4 altogether.
 * Then the writes, the fence update (max) and the event marker (EX ttl, value = nonce), in the order
 * each variant documents. Every record write keeps the index in step in the same script: a record
 * that gains a field is added (`ZADD`, skipped when an HSET added no new field or an HINCRBY found its
 * field non-zero: the record existed),
 * one deleted (or replaced by nothing) is removed. Index commands run under pcall after the apply's
 * first write, so they cannot fail it half-way (Redis refuses OOM at a script's first write only).
 */

/** Most fields of a `set` sent in the upsert layout (one HSET: Lua's unpack has a stack limit). */
export const UPSERT_MAX_FIELDS = 500;

/** The parts both variants share: helpers, then (after the variant's `apply`) the loop over applies. */
const HELPERS = `
local ttl = ARGV[1]
local index = ARGV[2]
-- Looked up once per call, not once per apply.
local pcall_, unpack_, type_ = redis.pcall, unpack, type

local function indexAdd(key) pcall_('ZADD', index, 0, key) end
-- The last record gone: the index's "complete" mark (<index>:ready) goes too, so a store emptied of
-- records leaves no key under its prefix (a new store scans once, finds nothing, sets it again).
local function indexRemove(key)
  pcall_('ZREM', index, key)
  if redis.call('ZCARD', index) == 0 then redis.call('DEL', index .. ':ready') end
end

local function fail(tag, key, field, reason)
  return tag .. ' ' .. cjson.encode({key = key, field = field, reason = reason})
end

-- HSET of one 'set'/'replace' op (its ARGV index i), in chunks (Lua's unpack has a stack limit).
local function hset(i, key)
  local count = tonumber(ARGV[i + 2])
  local j = 0
  local added = 0
  while j < count do
    local chunk = math.min(count - j, 500)
    local from = i + 3 + 2 * j
    local ok = redis.pcall('HSET', key, unpack(ARGV, from, from + 2 * chunk - 1))
    -- Only an apply's first write can fail here (the others were checked): nothing of it is written yet.
    -- Out of memory (maxmemory, noeviction) is refused before a script's first write only.
    if type(ok) == 'table' and ok.err then
      if string.sub(ok.err, 1, 3) == 'OOM' then return ok.err end
      return fail('RXT_CORRUPT', key, nil, ok.err)
    end
    added = added + ok
    j = j + chunk
  end
  -- No new field: the record existed before, so it is indexed already.
  if added > 0 then indexAdd(key) end
  return nil
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

-- Checks the ops ARGV[first..last] of one apply before it writes anything (header, step 4).
local function validate(k0, first, last, hasIncr)
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

  local i = first
  while i <= last do
    local code = ARGV[i]
    local key = KEYS[k0 + tonumber(ARGV[i + 1])]
    if code == 's' or code == 'r' then
      if code == 'r' or i ~= first then
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
      return 'ERR rxtrade apply: unknown op ' .. tostring(code)
    end
  end
  return nil
end

-- The record writes of one apply, ops ARGV[first..last], with their checks (header, step 4) first.
-- Only the first write can fail (under pcall, see hset); everything after it was checked.
local function write(k0, first, last, hasIncr)
  -- The common position upsert, one 'set' op: its HSET is the first record write, nothing to pre-check.
  if last >= first and ARGV[first] == 's' and last == first + 2 + 2 * tonumber(ARGV[first + 2]) then
    return hset(first, KEYS[k0 + tonumber(ARGV[first + 1])])
  end
  local err = validate(k0, first, last, hasIncr)
  if err then return err end
  local i = first
  while i <= last do
    local code = ARGV[i]
    local key = KEYS[k0 + tonumber(ARGV[i + 1])]
    if code == 's' or code == 'r' then
      local count = tonumber(ARGV[i + 2])
      if code == 'r' then
        redis.call('DEL', key)
        if count == 0 then indexRemove(key) end
      end
      err = hset(i, key)
      if err then return err end
      i = i + 3 + 2 * count
    elseif code == 'i' then
      -- The sum equals the increment only when the field was absent (or 0): only then can the record be new.
      if redis.call('HINCRBY', key, ARGV[i + 2], ARGV[i + 3]) == tonumber(ARGV[i + 3]) then indexAdd(key) end
      i = i + 4
    else
      redis.call('DEL', key)
      indexRemove(key)
      i = i + 2
    end
  end
  return nil
end

`;

/** The start of `apply`: the apply's header and keys (see the layout at the top). */
const APPLY_HEADER = `-- One apply: its keys are KEYS[k0 + 1 ..], its header starts at ARGV[h]. Returns its reply.
local function apply(k0, h)
  local flags = tonumber(ARGV[h + 2])
  local hasFence = flags % 2 == 1
  local hasEvent = flags % 4 >= 2
  local hasIncr = flags >= 4
  local tokenArg = ARGV[h + 3]
  local nonce = ARGV[h + 4]
  local first = h + 5
  local last = first + tonumber(ARGV[h + 1]) - 1
  local ki = k0 + 1
  local fenceKey, eventKey
  if hasFence then fenceKey = KEYS[ki]; ki = ki + 1 end
  if hasEvent then eventKey = KEYS[ki] end
  local token = tonumber(tokenArg)
`;

const MAIN = `local replies = {}
local h = 3
local k0 = 0
local n = #ARGV
local r = 0
while h <= n do
  local first = tonumber(ARGV[h])
  r = r + 1
  if first < 0 then
    replies[r] = upsert(k0, h, -first)
    k0 = k0 + 2
    h = h + 2 - 2 * first
  else
    replies[r] = apply(k0, h)
    k0 = k0 + first
    h = h + 5 + tonumber(ARGV[h + 1])
  end
end
return replies
`;

/**
 * Redis 7.0 and later: the event marker is claimed first, with one `SET marker nonce NX GET EX ttl`
 * (NX and GET together need 7.0) instead of a GET before and a SET after the writes — the common
 * upsert is two commands (SET, HSET) instead of three. The fence is read before the marker; if the
 * apply is refused by the fence, the marker is only read (GET), as before. If a record check or the
 * first record write then fails, the script deletes the marker it just created (it was absent: NX),
 * before any other command runs, so a failed apply leaves nothing behind.
 */
export const APPLY_SCRIPT = `${HELPERS}${APPLY_HEADER}
  -- The fence first (a read): its refusal ranks below 'OK' for a re-sent call, so it is kept for later.
  local fenceValue, refused = nil, nil
  if hasFence then
    local cur = redis.pcall('GET', fenceKey)
    if type(cur) == 'table' and cur.err then
      refused = fail('RXT_CORRUPT', fenceKey, nil, 'fence: ' .. cur.err)
    elseif cur then
      if not string.match(cur, '^%d+$') then
        refused = fail('RXT_CORRUPT', fenceKey, nil, 'fence token is not an integer: ' .. cur)
      else
        fenceValue = tonumber(cur)
        if fenceValue > token then refused = 'STALE' end
      end
    end
  end

  -- The marker: claimed now if absent (NX; GET answers what was there). A refused apply only reads it.
  if hasEvent then
    local prev
    if refused then
      prev = redis.pcall('GET', eventKey)
    else
      prev = redis.pcall('SET', eventKey, nonce, 'NX', 'GET', 'EX', ttl)
    end
    if type(prev) == 'table' and prev.err then
      -- Out of memory (maxmemory, noeviction) is refused at a script's first write: this SET wrote nothing.
      if string.sub(prev.err, 1, 3) == 'OOM' then return prev.err end
      return fail('RXT_CORRUPT', eventKey, nil, 'event marker: ' .. prev.err)
    end
    if prev == nonce then return 'OK' end
    if refused then return refused end
    if prev then return 'DUP' end
  elseif refused then
    return refused
  end

  local err = write(k0, first, last, hasIncr)
  if err then
    -- Undo the marker claimed above (it did not exist): this apply leaves nothing behind.
    if hasEvent then redis.call('DEL', eventKey) end
    return err
  end

  if hasFence and (fenceValue == nil or token > fenceValue) then redis.call('SET', fenceKey, tokenArg) end
  return 'OK'
end

-- The upsert layout: apply() for an event id, no fence and one 'set' of count fields, without its
-- general bookkeeping. KEYS[k0 + 1] event key, KEYS[k0 + 2] record key; ARGV[h + 1] nonce, then the fields.
local function upsert(k0, h, count)
  local eventKey = KEYS[k0 + 1]
  local nonce = ARGV[h + 1]
  local prev = pcall_('SET', eventKey, nonce, 'NX', 'GET', 'EX', ttl)
  if prev == false then
    -- The only record write, under pcall: if it fails, nothing of the apply but its marker was written.
    local key = KEYS[k0 + 2]
    local ok = pcall_('HSET', key, unpack_(ARGV, h + 2, h + 1 + 2 * count))
    if type_(ok) == 'table' then
      redis.call('DEL', eventKey)
      if string.sub(ok.err, 1, 3) == 'OOM' then return ok.err end
      return fail('RXT_CORRUPT', key, nil, ok.err)
    end
    if ok > 0 then indexAdd(key) end
    return 'OK'
  end
  if prev == nonce then return 'OK' end
  if type_(prev) == 'table' then
    if string.sub(prev.err, 1, 3) == 'OOM' then return prev.err end
    return fail('RXT_CORRUPT', eventKey, nil, 'event marker: ' .. prev.err)
  end
  return 'DUP'
end

${MAIN}`;

/**
 * Servers before 7.0 (no `SET … NX GET`): GET the event marker first, SET it (EX) after the writes.
 */
export const APPLY_SCRIPT_PRE_7 = `${HELPERS}${APPLY_HEADER}
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

  local err = write(k0, first, last, hasIncr)
  if err then return err end

  if hasFence and (fenceValue == nil or token > fenceValue) then redis.call('SET', fenceKey, tokenArg) end
  if hasEvent then redis.call('SET', eventKey, nonce, 'EX', ttl) end
  return 'OK'
end

-- The upsert layout (see APPLY_SCRIPT's upsert): GET the marker, HSET, SET the marker.
local function upsert(k0, h, count)
  local eventKey = KEYS[k0 + 1]
  local nonce = ARGV[h + 1]
  local prev = pcall_('GET', eventKey)
  if prev then
    if type_(prev) == 'table' then return fail('RXT_CORRUPT', eventKey, nil, 'event marker: ' .. prev.err) end
    if prev == nonce then return 'OK' end
    return 'DUP'
  end
  local key = KEYS[k0 + 2]
  local ok = pcall_('HSET', key, unpack_(ARGV, h + 2, h + 1 + 2 * count))
  if type_(ok) == 'table' then
    if string.sub(ok.err, 1, 3) == 'OOM' then return ok.err end
    return fail('RXT_CORRUPT', key, nil, ok.err)
  end
  if ok > 0 then indexAdd(key) end
  redis.call('SET', eventKey, nonce, 'EX', ttl)
  return 'OK'
end

${MAIN}`;

/**
 * Backfills the state index for records written before it existed (or by a version that kept none):
 * ARGV[1] = the index, ARGV[2..] = Redis keys found by SCAN. Each is added only if it still exists,
 * checked in the same script, so a record deleted since the SCAN is not indexed again. A key of the
 * wrong type is indexed too, so listing reports it as CORRUPT_STATE rather than hiding it.
 */
export const INDEX_BACKFILL_SCRIPT = `local index = ARGV[1]
local added = 0
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[i]) == 1 then
    added = added + redis.call('ZADD', index, 0, ARGV[i])
  end
end
return added
`;
