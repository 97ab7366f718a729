--[[
  Claims an archive outbox entry by compare-and-set on its score: a sweeping writer takes
  over a task only if nobody touched or claimed the entry since it was listed, so of
  several processes claiming the same entry exactly one wins.

    Input:
      KEYS[1] archive outbox   (ZSET: task id scored by the time it was last touched, ms)

      ARGV[1] task id
      ARGV[2] the score the caller listed (ms)
      ARGV[3] the new score (ms): the claimer's now

    Output:
      1 claimed (the score is now ARGV[3])
      0 the score differs from ARGV[2], or there is no entry (nothing changed)
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return 1
