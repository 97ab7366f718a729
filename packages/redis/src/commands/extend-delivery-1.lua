--[[
  Extends the caller's lease of one webhook delivery (bullmq's extendLock) and, when a
  position is given, moves the delivery's cursor forward to it (never back).

    Input:
      KEYS[1] task hash   (HASH; see includes/delivery-state)

      ARGV[1] delivery key
      ARGV[2] owner token
      ARGV[3] lease duration in ms, from now
      ARGV[4] optional: the cursor (raw index of the last event handled)
      ARGV[5] with ARGV[4]: the filteredCount up to it

    Output:
      1 extended (and moved)
      0 lost: the caller does not hold the lease (nothing changed)
      2 gone: no such task

    Includes: delivery-state
]]
local key = ARGV[1]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 2
end
local _, holder = readLease(key)
if holder ~= ARGV[2] then
  return 0
end
writeLease(key, ARGV[2], tonumber(ARGV[3]))
if ARGV[4] then
  writePosition(key, tonumber(ARGV[4]), tonumber(ARGV[5]))
end
return 1
