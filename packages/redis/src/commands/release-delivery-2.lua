--[[
  Records how far the caller's delivery got and lets its lease go, unless events were
  appended after that point meanwhile: then the caller keeps the lease (extended) and goes
  on, so no event falls between a release and the next publisher's acquire.

    Input:
      KEYS[1] task hash   (HASH; see includes/delivery-state)
      KEYS[2] events      (ZSET scored by index)

      ARGV[1] delivery key
      ARGV[2] owner token
      ARGV[3] lease duration in ms (when it is kept)
      ARGV[4] cursor: raw index of the last event handled
      ARGV[5] filteredCount up to it
      ARGV[6] '1': let go whatever follows (shutdown); '0' otherwise
      ARGV[7..] the terminal statuses, JSON-encoded

    Output:
      1 released
      2 more: events after the cursor; the lease is kept for ARGV[3] ms
      3 done: caught up with a task that ended (the delivery is marked done)
      0 lost: the caller does not hold the lease (nothing changed)
      4 gone: no such task

    Includes: delivery-state
]]
local key = ARGV[1]
local owner = ARGV[2]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return 4
end
local _, holder = readLease(key)
if holder ~= owner then
  return 0
end
writePosition(key, tonumber(ARGV[4]), tonumber(ARGV[5]))
local cursor = readPosition(key)
local force = ARGV[6] == '1'
if not force and hasEventsAfter(cursor) then
  writeLease(key, owner, tonumber(ARGV[3]))
  return 2
end
redis.call('HDEL', KEYS[1], '@dl:' .. key)
if force or not isTerminal(status, 7) then
  return 1
end
redis.call('HSET', KEYS[1], '@dp:' .. key, 'done')
return 3
