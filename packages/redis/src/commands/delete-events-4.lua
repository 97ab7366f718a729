--[[
  Removes some (by id) or all events of a task. Indexes are never reused: the counter
  in the task hash is left alone.

    Input:
      KEYS[1] task hash, KEYS[2] events, KEYS[3] series, KEYS[4] event ids

      ARGV[1] retention in ms (0: none)
      ARGV[2] '1' remove all events and the series state, '0' remove the ids that follow
      ARGV[3..] event ids

    Output:
      number of events removed

    Includes: apply-ttl
]]
local removed = 0
if ARGV[2] == '1' then
  removed = redis.call('ZCARD', KEYS[2])
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
else
  for i = 3, #ARGV do
    local index = redis.call('HGET', KEYS[4], ARGV[i])
    if index then
      removed = removed + redis.call('ZREMRANGEBYSCORE', KEYS[2], index, index)
      redis.call('HDEL', KEYS[4], ARGV[i])
    end
  end
end
if removed > 0 then
  applyTtl(tonumber(ARGV[1]))
end
return removed
