--[[
  Appends a batch of user events to a running task: all of them with consecutive
  indexes, or none.

    Input:
      KEYS[1] task hash, KEYS[2] events, KEYS[3] series, KEYS[4] event ids

      ARGV[1] retention in ms (0: none)
      ARGV[2] n: number of drafts
      ARGV[3 ..] n drafts of DRAFT_STRIDE values each (see includes/append-event)
      ARGV[3 + n * DRAFT_STRIDE] the createdAt the caller expects ('' or absent: any)

    Output:
      index of the first appended event (>= 0; the others follow it)
      -1 task not found
      -2 task not running (nothing stored)
      -6 the task is not the one created at the expected createdAt (nothing stored)

    Constants: DRAFT_STRIDE (src/event-codec.ts, prepended by src/commands/index.ts)
    Includes: apply-ttl, append-event
]]
local count = tonumber(ARGV[2])
local expected = ARGV[3 + count * DRAFT_STRIDE]
local task = redis.call('HMGET', KEYS[1], 'status', 'createdAt')
if not task[1] then
  return -1
end
if expected and expected ~= '' and task[2] ~= expected then
  return -6
end
if task[1] ~= '"running"' then
  return -2
end

local first = tonumber(redis.call('HGET', KEYS[1], '@next') or '0')
for i = 0, count - 1 do
  appendEvent(first + i, 3 + i * DRAFT_STRIDE)
end
if count > 0 then
  redis.call('HSET', KEYS[1], '@next', first + count)
  applyTtl(tonumber(ARGV[1]))
end
return first
