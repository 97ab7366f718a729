--[[
  Sets a retention deadline on every key of a task. The deadline is remembered in the
  task hash ('@expireAt') so that later writes give keys they create the same one.

    Input:
      KEYS[1] task hash, KEYS[2] events, KEYS[3] series, KEYS[4] event ids

      ARGV[1] retention in ms from now (Redis' clock)

    Output:
      1 deadline set, 0 no such task

    Includes: apply-ttl
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local now = redis.call('TIME')
local expireAt = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[1])
redis.call('HSET', KEYS[1], '@expireAt', expireAt)
applyTtl(0)
return 1
