--[[
  The state of one webhook delivery of a task, kept in the task hash KEYS[1] (so that it
  lives, expires and is deleted with the task, and a task created again under the same id
  starts afresh), in two internal fields per delivery key:

    '@dp:<key>' position: '<cursor>,<filteredCount>', or 'done' once the delivery is over
    '@dl:<key>' lease:    '<expiry ms since epoch, Redis clock>,<owner token>'

  nowMs():                        Redis' clock in ms
  readPosition(key):              cursor (-1 before the first event), filteredCount, done
  writePosition(key, c, n):       moves the cursor forward to c (never back, never past 'done')
  readLease(key):                 expiry (0 when none), owner (nil when none)
  writeLease(key, owner, ttlMs):  the lease is owner's until ttlMs from now
  hasEventsAfter(cursor):         whether the events ZSET KEYS[2] holds an index > cursor
  isTerminal(status, from):       whether the task's status (JSON) is one of ARGV[from..]
]]
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function readPosition(key)
  local value = redis.call('HGET', KEYS[1], '@dp:' .. key)
  if not value then
    return -1, 0, false
  end
  if value == 'done' then
    return -1, 0, true
  end
  local cursor, count = string.match(value, '^(-?%d+),(%d+)$')
  return tonumber(cursor), tonumber(count), false
end

local function writePosition(key, cursor, count)
  local current, _, done = readPosition(key)
  if done or cursor <= current then
    return
  end
  redis.call('HSET', KEYS[1], '@dp:' .. key, cursor .. ',' .. count)
end

local function readLease(key)
  local value = redis.call('HGET', KEYS[1], '@dl:' .. key)
  if not value then
    return 0, nil
  end
  local expiry, owner = string.match(value, '^(%d+),(.*)$')
  return tonumber(expiry), owner
end

local function writeLease(key, owner, ttlMs)
  redis.call('HSET', KEYS[1], '@dl:' .. key, (nowMs() + ttlMs) .. ',' .. owner)
end

local function hasEventsAfter(cursor)
  return #redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. cursor, '+inf', 'LIMIT', 0, 1) > 0
end

local function isTerminal(status, from)
  for i = from, #ARGV do
    if ARGV[i] == status then
      return true
    end
  end
  return false
end
