/**
 * RedisStore's server-side scripts (Lua, run by EVALSHA/EVAL): each is one
 * atomic step on the Redis server, whichever process sends it.
 */

/**
 * Merge a request's changes into the stored record, in one step.
 * KEYS: the session key, its tombstone key, and (when the record names a
 * user, `userKey`) the user's set in the user index. ARGV: the TTL in
 * seconds, the cookie's JSON, the whole record's JSON, the number N of set
 * keys, the session's ID (for the user's set), N pairs (key as JSON string,
 * value as JSON), then the deleted keys as JSON strings. A record stored or
 * merged is linked to its user's set, which lives as long as its
 * longest-lived session.
 *
 * The stored JSON is not decoded and encoded again (cjson would turn `[]`
 * into `{}` and round numbers): its top-level members are scanned, and the
 * bytes of every key the request did not change are copied as they are.
 * Keys are matched by their JSON spelling, which JSON.stringify makes the
 * same on both sides. A stored value that is no JSON object is replaced whole.
 * A stored forward record (written by `renew`: `cookie.sessionware.renewedTo`
 * a string) is left alone, and the answer is 'gone': its data moved to another ID.
 */
export const MERGE_SCRIPT = `
local function link()
  if KEYS[3] then
    redis.call('SADD', KEYS[3], ARGV[5])
    if redis.call('TTL', KEYS[3]) < tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[3], ARGV[1]) end
  end
end
local cur = redis.call('GET', KEYS[1])
if not cur then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 'gone' end
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[1])
  link()
  return 'created'
end
if string.find(cur, '"renewedTo"', 1, true) then
  local ok, record = pcall(cjson.decode, cur)
  if ok and type(record) == 'table' and type(record.cookie) == 'table' and type(record.cookie.sessionware) == 'table'
    and type(record.cookie.sessionware.renewedTo) == 'string' then
    return 'gone'
  end
end
local patch, order = {}, {}
local i = 6
for _ = 1, tonumber(ARGV[4]) do
  patch[ARGV[i]] = ARGV[i + 1]
  order[#order + 1] = ARGV[i]
  i = i + 2
end
while i <= #ARGV do
  patch[ARGV[i]] = false
  i = i + 1
end
if patch['"cookie"'] == nil then order[#order + 1] = '"cookie"' end
patch['"cookie"'] = ARGV[2]

local function skip(s, p) return string.find(s, '[^ \\t\\r\\n]', p) or (#s + 1) end
local function string_end(s, p)
  local q = p + 1
  while true do
    local a = string.find(s, '["\\\\]', q)
    if not a then return nil end
    if string.byte(s, a) == 92 then q = a + 2 else return a end
  end
end
local function value_end(s, p)
  local c = string.byte(s, p)
  if c == 34 then return string_end(s, p) end
  if c == 123 or c == 91 then
    local depth, q = 0, p
    while true do
      local a = string.find(s, '["{}%[%]]', q)
      if not a then return nil end
      local b = string.byte(s, a)
      if b == 34 then
        local e = string_end(s, a)
        if not e then return nil end
        q = e + 1
      else
        if b == 123 or b == 91 then depth = depth + 1 else depth = depth - 1 end
        if depth == 0 then return a end
        q = a + 1
      end
    end
  end
  local a = string.find(s, '[,}%]%s]', p)
  if not a then return nil end
  return a - 1
end

local parts, seen = {}, {}
local p = skip(cur, 1)
local ok = string.byte(cur, p) == 123
if ok then
  p = skip(cur, p + 1)
  if string.byte(cur, p) ~= 125 then
    while true do
      if string.byte(cur, p) ~= 34 then ok = false break end
      local ke = string_end(cur, p)
      if not ke then ok = false break end
      local name = string.sub(cur, p, ke)
      local colon = skip(cur, ke + 1)
      if string.byte(cur, colon) ~= 58 then ok = false break end
      local vs = skip(cur, colon + 1)
      local ve = value_end(cur, vs)
      if not ve then ok = false break end
      local replacement = patch[name]
      if replacement == nil then
        parts[#parts + 1] = name .. ':' .. string.sub(cur, vs, ve)
      elseif replacement then
        parts[#parts + 1] = name .. ':' .. replacement
      end
      seen[name] = true
      p = skip(cur, ve + 1)
      local c = string.byte(cur, p)
      if c == 44 then
        p = skip(cur, p + 1)
      elseif c == 125 then
        break
      else
        ok = false
        break
      end
    end
  end
end
if not ok then
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[1])
  link()
  return 'created'
end
for _, name in ipairs(order) do
  if not seen[name] then parts[#parts + 1] = name .. ':' .. patch[name] end
end
redis.call('SET', KEYS[1], '{' .. table.concat(parts, ',') .. '}', 'EX', ARGV[1])
link()
return 'merged'
`

/** Give a lease back only if it still holds the caller's token. KEYS: the lease key. ARGV: the token. */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`
