--[[
  Compare-and-set on a task's status, appending the status event in the same step.

    Input:
      KEYS[1] task hash, KEYS[2] events, KEYS[3] series, KEYS[4] event ids

      ARGV[1] retention in ms (0: none)
      ARGV[2] the expected status, JSON-encoded (e.g. '"running"')
      ARGV[3] the expected assignedTo.at ('': any), so that a later assignment of the same
              status does not pass for the one the caller read
      ARGV[4] s: number of fields to set
      ARGV[5 .. 4 + 2s] field, JSON value pairs
      ARGV[5 + 2s] d: number of fields to remove (patch fields set to undefined)
      ARGV[6 + 2s .. 5 + 2s + d] field names
      ARGV[6 + 2s + d ..] the status event draft (DRAFT_STRIDE values, see includes/append-event)

    Output:
      { index of the status event, task hash as field, value, field, value, ... }
      -1 task not found
      -3 the status, or the assignment, differs from the expected one (nothing changed)

    Constants: DRAFT_STRIDE (src/event-codec.ts, prepended by src/commands/index.ts)
    Includes: apply-ttl, append-event
]]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return -1
end
if status ~= ARGV[2] then
  return -3
end
if ARGV[3] ~= '' then
  local assignedTo = redis.call('HGET', KEYS[1], 'assignedTo')
  if not assignedTo or cjson.decode(assignedTo).at ~= tonumber(ARGV[3]) then
    return -3
  end
end

local setCount = tonumber(ARGV[4])
if setCount > 0 then
  local fieldValues = {}
  for i = 1, setCount * 2 do
    fieldValues[i] = ARGV[4 + i]
  end
  redis.call('HSET', KEYS[1], unpack(fieldValues))
end
local deleteAt = 5 + setCount * 2
local deleteCount = tonumber(ARGV[deleteAt])
for i = 1, deleteCount do
  redis.call('HDEL', KEYS[1], ARGV[deleteAt + i])
end

local index = tonumber(redis.call('HGET', KEYS[1], '@next') or '0')
appendEvent(index, deleteAt + deleteCount + 1)
redis.call('HSET', KEYS[1], '@next', index + 1)
applyTtl(tonumber(ARGV[1]))

local result = redis.call('HGETALL', KEYS[1])
table.insert(result, 1, index)
return result
