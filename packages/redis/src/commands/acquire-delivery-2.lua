--[[
  Takes the lease of one webhook delivery of a task (bullmq's lock, as a task hash field):
  when it is free, expired or already the caller's, and there is an event after the cursor.

    Input:
      KEYS[1] task hash   (HASH; the delivery's '@dp:<key>' and '@dl:<key>' fields, see includes/delivery-state)
      KEYS[2] events      (ZSET scored by index)

      ARGV[1] delivery key (names the webhook)
      ARGV[2] owner token
      ARGV[3] lease duration in ms
      ARGV[4..] the terminal statuses, JSON-encoded (e.g. '"completed"')

    Output:
      { 1, cursor, filteredCount, createdAt JSON }  acquired: the lease is the caller's for ARGV[3] ms
      { 0, ms } held by another owner whose lease expires in ms (nothing changed)
      { 2 } idle: nothing after the cursor; the lease is not taken (an expired or own lease is cleared)
      { 3 } done: the task ended and every event was handled (the delivery is marked done)
      { 4 } gone: no such task

    Includes: delivery-state
]]
local key = ARGV[1]
local owner = ARGV[2]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return { 4 }
end
local expiry, holder = readLease(key)
local now = nowMs()
if holder and holder ~= owner and expiry > now then
  return { 0, expiry - now }
end
local cursor, count, done = readPosition(key)
if done then
  redis.call('HDEL', KEYS[1], '@dl:' .. key)
  return { 3 }
end
if not hasEventsAfter(cursor) then
  redis.call('HDEL', KEYS[1], '@dl:' .. key)
  if isTerminal(status, 4) then
    redis.call('HSET', KEYS[1], '@dp:' .. key, 'done')
    return { 3 }
  end
  return { 2 }
end
writeLease(key, owner, tonumber(ARGV[3]))
return { 1, cursor, count, redis.call('HGET', KEYS[1], 'createdAt') }
