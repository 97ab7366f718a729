--[[
  applyTtl(retentionMs): gives every key of the task (KEYS[1..#KEYS]) the task's expiry.

  An explicit deadline set by expire-task-4 (field '@expireAt' of the task hash, ms since
  epoch) wins over the store's rolling retention, so that keys created after expire() was
  called (a first series event, say) vanish together with the others. Without a deadline,
  a positive retentionMs restarts the retention period of every key on every write.
  Keys that do not exist are left alone (PEXPIRE on a missing key is a no-op).
]]
local function applyTtl(retentionMs)
  local expireAt = redis.call('HGET', KEYS[1], '@expireAt')
  if expireAt then
    for i = 1, #KEYS do
      redis.call('PEXPIREAT', KEYS[i], expireAt)
    end
  elseif retentionMs > 0 then
    for i = 1, #KEYS do
      redis.call('PEXPIRE', KEYS[i], retentionMs)
    end
  end
end
