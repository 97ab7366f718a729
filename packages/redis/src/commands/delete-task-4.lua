--[[
  Removes a task with its events, series state and id index.

    Input:
      KEYS[1] task hash, KEYS[2] events, KEYS[3] series, KEYS[4] event ids

    Output:
      1 the task existed, 0 it did not
]]
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
return existed
