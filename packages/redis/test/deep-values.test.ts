// The deepest JSON a client may store (core's MAX_JSON_DEPTH, plus the levels a status event
// adds around a result) goes through the Lua scripts (cjson) and comes back unchanged.
import { MAX_JSON_DEPTH, STATUS_EVENT_TYPE } from '@taskcast/core'
import { afterAll, expect, test } from 'vitest'
import { RedisShortTermStore } from '../src/index.js'
import { deleteKeysUnder, REDIS_URL, redisAvailable, runPrefix } from './redis.js'

function nested(levels: number): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { n: value }
  return value
}

if (redisAvailable('Redis deep values')) {
  const keyPrefix = runPrefix('deep')
  const store = new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
  afterAll(async () => {
    await store.close()
    await deleteKeysUnder(keyPrefix)
  })

  test('a task, an accumulate series and a transition holding the deepest accepted values read back equal', async () => {
    const deepest = nested(MAX_JSON_DEPTH - 1)
    const now = Date.now()
    const task = { id: `deep-${now}`, status: 'running' as const, params: { x: deepest }, createdAt: now, updatedAt: now }
    expect(await store.createTask(task)).toBe(true)
    const [plain, delta] = await store.appendEvents(task.id, [
      { id: 'e1', taskId: task.id, timestamp: now, type: 'deep', level: 'info', data: { x: deepest } },
      {
        id: 'e2',
        taskId: task.id,
        timestamp: now,
        type: 'llm.delta',
        level: 'info',
        data: { text: 'a', x: deepest },
        seriesId: 's',
        seriesMode: 'accumulate',
        seriesAccField: 'text',
      },
    ])
    const outcome = await store.transitionTask(task.id, {
      from: 'running',
      patch: { status: 'completed', updatedAt: now, completedAt: now, result: { x: deepest } },
      event: {
        id: 'e3',
        taskId: task.id,
        timestamp: now,
        type: STATUS_EVENT_TYPE,
        level: 'info',
        data: { status: 'completed', previousStatus: 'running', result: { x: deepest } },
      },
    })
    expect(outcome!.task.result).toEqual({ x: deepest })
    expect(await store.getTask(task.id)).toMatchObject({ params: { x: deepest }, result: { x: deepest } })
    const events = await store.getEvents(task.id)
    expect(events.map((e) => e.data)).toEqual([plain!.data, delta!.data, outcome!.event.data])
    expect(events[0]!.data).toEqual({ x: deepest })
    expect(await store.getSeriesValue(task.id, 's')).toEqual({ text: 'a', x: deepest })
  })
}
