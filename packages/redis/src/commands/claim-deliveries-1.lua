--[[
  Claims the webhook deliveries that are due in the shared index: each one is moved to a
  later time in the same step, so of several processes sweeping at once, each delivery goes
  to one of them (which then tries its lease; the lease decides who delivers).

    Input:
      KEYS[1] deliveries index   (ZSET: '<task id>|<delivery key>' scored by when it is due, ms)

      ARGV[1] now (ms): entries scored at or before it are due
      ARGV[2] the score claimed entries get (ms)
      ARGV[3] the most entries to claim

    Output:
      the claimed members, earliest first
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], due[i])
end
return due
