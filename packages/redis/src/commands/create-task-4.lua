--[[
  Stores a new task unless its id exists (SET NX semantics).

    Input:
      KEYS[1] task hash   (HASH: task field -> JSON value, plus '@' internal fields)
      KEYS[2] events      (ZSET)
      KEYS[3] series      (HASH)
      KEYS[4] event ids   (HASH)

      ARGV[1] retention in ms (0: none)
      ARGV[2..] task field, JSON value, task field, JSON value, ...

    Output:
      1 created, 0 the id exists (nothing changed)

    Includes: apply-ttl
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
-- Leftovers of an earlier task with this id (keys whose expiry lagged) must not leak in.
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
applyTtl(tonumber(ARGV[1]))
return 1
