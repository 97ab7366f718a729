--[[
  Reads the end of a task's log: the events from a position (its rank in the events set), or
  from the event with an id, with the position of the first. One step, so that the position
  and the events agree.

    Input:
      KEYS[1] events, KEYS[2] event ids

      ARGV[1] 'p': ARGV[2] is a position (0: the first event stored)
              'i': ARGV[2] is an event id

    Output:
      {position, {members…}}   the first member is the event at the position, or with the id
      false                    no such event (or no such task)
]]
local position
if ARGV[1] == 'i' then
  local index = redis.call('HGET', KEYS[2], ARGV[2])
  if not index then
    return false
  end
  position = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. index)
else
  position = tonumber(ARGV[2])
end
local members = redis.call('ZRANGE', KEYS[1], position, -1)
if #members == 0 then
  return false
end
return {position, members}
