--[[
  Appends a batch of user events for an idempotent producer (SPEC §19): the producer's
  epoch and next seq are checked and updated in the same step as the append, so one request
  is stored once whatever process it reaches, however often it is sent. The rule is the one of
  core's producer-sequence.ts (judgeProducerRequest, recordProducerRequest).

    Input:
      KEYS[1] task hash, KEYS[2] events, KEYS[3] series (and producer) state, KEYS[4] event ids

      ARGV[1] retention in ms (0: none)
      ARGV[2] producer id
      ARGV[3] the request's epoch
      ARGV[4] the request's seq (that of its first event)
      ARGV[5] n: number of drafts
      ARGV[6 ..] n drafts of DRAFT_STRIDE values each (see includes/append-event)
      ARGV[6 + n * DRAFT_STRIDE] the createdAt the caller expects ('' or absent: any)

    Producer state, in KEYS[3] (it goes with the task's keys: deletion, expiry, re-creation):
      'pe:<id>' epoch, 'pn:<id>' next expected seq, 'po:<id>' first seq of the oldest kept
      request, 'pb:<id>:<seq>' 'count:index' of each accepted request still kept (at least the
      last PRODUCER_RETRY_WINDOW seqs).

    Output:
      {0, first index}                 appended
      {1, first index, {members…}}     a retry: the events that request stored; nothing appended
      {-1}                             task not found
      {-2}                             task not running (nothing stored)
      {-4, current epoch}              stale producer
      {-5, expected seq}               sequence gap
      {-6}                             the task is not the one created at the expected createdAt

    Constants: DRAFT_STRIDE, PRODUCER_RETRY_WINDOW (src/commands/index.ts)
    Includes: apply-ttl, append-event
]]
local createdAt = redis.call('HGET', KEYS[1], 'createdAt')
if not createdAt then
  return {-1}
end

local id = ARGV[2]
local epoch = tonumber(ARGV[3])
local seq = tonumber(ARGV[4])
local count = tonumber(ARGV[5])
local expected = ARGV[6 + count * DRAFT_STRIDE]
if expected and expected ~= '' and createdAt ~= expected then
  return {-6}
end
local state = redis.call('HMGET', KEYS[3], 'pe:' .. id, 'pn:' .. id, 'po:' .. id)
local storedEpoch = tonumber(state[1])
if storedEpoch and epoch < storedEpoch then
  return {-4, storedEpoch}
end
local sameEpoch = storedEpoch ~= nil and epoch == storedEpoch
local expected = 0
if sameEpoch then
  expected = tonumber(state[2])
end

local function batchField(first)
  return 'pb:' .. id .. ':' .. first
end

if seq ~= expected then
  if sameEpoch then
    local earlier = redis.call('HGET', KEYS[3], batchField(seq))
    if earlier then
      local earlierCount, index = string.match(earlier, '^(%d+):(%d+)$')
      if tonumber(earlierCount) == count then
        index = tonumber(index)
        return {1, index, redis.call('ZRANGEBYSCORE', KEYS[2], index, index + count - 1)}
      end
    end
  end
  return {-5, expected}
end

if redis.call('HGET', KEYS[1], 'status') ~= '"running"' then
  return {-2}
end

local first = tonumber(redis.call('HGET', KEYS[1], '@next') or '0')
for i = 0, count - 1 do
  appendEvent(first + i, 6 + i * DRAFT_STRIDE)
end
redis.call('HSET', KEYS[1], '@next', first + count)

-- Forgets the requests of an epoch that was taken over, then the oldest requests while the
-- rest still cover the window.
local function forget(from, stopAt, keepWindow)
  local at = from
  while at < stopAt do
    local field = batchField(at)
    local batch = redis.call('HGET', KEYS[3], field)
    if not batch then
      break
    end
    local batchEnd = at + tonumber(string.match(batch, '^(%d+):'))
    if keepWindow and seq + count - batchEnd < PRODUCER_RETRY_WINDOW then
      break
    end
    redis.call('HDEL', KEYS[3], field)
    at = batchEnd
  end
  return at
end

local oldest = seq
if sameEpoch then
  oldest = tonumber(state[3])
elseif storedEpoch then
  forget(tonumber(state[3]), tonumber(state[2]), false)
end
redis.call('HSET', KEYS[3], 'pe:' .. id, epoch, 'pn:' .. id, seq + count, batchField(seq), count .. ':' .. first)
redis.call('HSET', KEYS[3], 'po:' .. id, forget(oldest, seq, true))
applyTtl(tonumber(ARGV[1]))
return {0, first}
