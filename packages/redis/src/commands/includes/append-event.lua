--[[
  appendEvent(index, base): stores one event draft with the given index and maintains the
  state of its series. The draft is DRAFT_STRIDE values, ARGV[base .. base + DRAFT_STRIDE - 1],
  in the order of DraftArgs in src/event-codec.ts, which encodes them:

    ARGV[base]     the draft's JSON without 'data', 'index' and 'superseded' (an object)
    ARGV[base + 1] the JSON of 'data'; '' when the draft has no data. Unused for 'a'.
    ARGV[base + 2] the event id (for the id -> index hash used by delete-events-4)
    ARGV[base + 3] series kind: '' (none or keep-all), 'a' (accumulate), 'l' (latest)
    ARGV[base + 4] series id
    ARGV[base + 5] 'a' only: the accumulated field
    ARGV[base + 6] 'a' only: the data's JSON up to the accumulated field's value, e.g. '{"role":"x","text":'
    ARGV[base + 7] 'a' only: the field's string value as JSON without its quotes
    ARGV[base + 8] 'a' only: the data's JSON after the field's value, e.g. '}'

  Event JSON is never decoded and re-encoded here (cjson would turn [] into {} and
  round numbers): the stored member is '{"index":N,' .. fields .. ',"data":' .. data .. '}'.

  Accumulate state lives in the series hash KEYS[3] as 'af:<sid>' (field name), 'ap:<sid>'
  and 'as:<sid>' (the running value's JSON around the field's value) and 'at:<sid>' (the
  running text as JSON string content). JSON string contents concatenate exactly like
  the strings they encode, escapes included, so the running value is extended without
  any JSON encoding. Latest state is 'li:<sid>' (index of the series' newest event) and
  'lp:<sid>' (that event's placeholder JSON, prepared when it was stored).
]]
local function appendEvent(index, base)
  local fields = string.sub(ARGV[base], 2, -2)
  local kind = ARGV[base + 3]
  local head = '{"index":' .. index
  if fields ~= '' then
    head = head .. ',' .. fields
  end

  local data = ARGV[base + 1]
  if kind == 'a' then
    data = ARGV[base + 6] .. '"' .. ARGV[base + 7] .. '"' .. ARGV[base + 8]
  end
  local member
  if data == '' then
    member = head .. '}'
  else
    member = head .. ',"data":' .. data .. '}'
  end
  redis.call('ZADD', KEYS[2], index, member)
  redis.call('HSET', KEYS[4], ARGV[base + 2], index)

  local seriesId = ARGV[base + 4]
  if kind == 'a' then
    local field = ARGV[base + 5]
    local state = redis.call('HMGET', KEYS[3], 'af:' .. seriesId, 'ap:' .. seriesId, 'at:' .. seriesId, 'as:' .. seriesId)
    local before = ''
    if state[1] == field then
      before = state[3]
    elseif state[1] then
      -- The series switched fields: the text so far is whatever string the previous
      -- running value holds under the new field (core's accumulate()). Decoding is
      -- only reading here; the value found is re-encoded as a JSON string, never an object.
      local ok, previous = pcall(cjson.decode, state[2] .. '"' .. state[3] .. '"' .. state[4])
      if ok and type(previous) == 'table' and type(previous[field]) == 'string' then
        before = string.sub(cjson.encode(previous[field]), 2, -2)
      end
    end
    redis.call('HSET', KEYS[3],
      'af:' .. seriesId, field,
      'ap:' .. seriesId, ARGV[base + 6],
      'at:' .. seriesId, before .. ARGV[base + 7],
      'as:' .. seriesId, ARGV[base + 8])
  elseif kind == 'l' then
    local previous = redis.call('HMGET', KEYS[3], 'li:' .. seriesId, 'lp:' .. seriesId)
    -- Only an event still stored becomes a placeholder; one deleted meanwhile stays deleted.
    if previous[1] and redis.call('ZREMRANGEBYSCORE', KEYS[2], previous[1], previous[1]) > 0 then
      redis.call('ZADD', KEYS[2], previous[1], previous[2])
    end
    redis.call('HSET', KEYS[3],
      'li:' .. seriesId, index,
      'lp:' .. seriesId, head .. ',"data":null,"superseded":true}')
  end
end
