// Every JSON value a client stores is nested at most MAX_JSON_DEPTH levels, checked before
// anything is stored, so no stored value can make a task unreadable; the check itself never
// recurses past the limit, however deep the input.
import { describe, expect, it } from 'vitest'
import { assertJsonValue, MAX_JSON_DEPTH } from '../src/json-value.js'
import { MemoryLongTermStore } from '../src/memory/memory-long-term-store.js'
import { collect, expectCode, memoryEngine, runningTask } from './helpers.js'

/** `levels` objects nested in one another, the innermost holding `leaf`. */
function nested(levels: number, leaf: unknown = 'bottom'): unknown {
  let value: unknown = leaf
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { n: value }
  return value
}

/** Nesting of objects and arrays in a JSON value, counted without recursion. */
function depthOf(value: unknown): number {
  let depth = 0
  let level: unknown[] = [value]
  while (level.length > 0) {
    const next: unknown[] = []
    for (const item of level) if (typeof item === 'object' && item !== null) next.push(...Object.values(item))
    if (next.length === 0 && !level.some((item) => typeof item === 'object' && item !== null)) break
    depth++
    level = next
  }
  return depth
}

describe('the JSON nesting limit', () => {
  it(`accepts ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1} with the path and the limit`, async () => {
    expect(depthOf(nested(MAX_JSON_DEPTH))).toBe(MAX_JSON_DEPTH)
    expect(() => assertJsonValue(nested(MAX_JSON_DEPTH), 'data')).not.toThrow()
    const error = await expectCode(Promise.resolve().then(() => assertJsonValue(nested(MAX_JSON_DEPTH + 1), 'data')), 'VALIDATION_ERROR')
    expect(error.message).toMatch(new RegExp(`^data(\\.n|\\[0\\])+ is nested deeper than ${MAX_JSON_DEPTH} levels$`))
    expect(error.details).toEqual({ maxDepth: MAX_JSON_DEPTH })
  })

  it('refuses a value nested 200,000 levels with VALIDATION_ERROR, not a stack overflow', async () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) as unknown
    await expectCode(Promise.resolve().then(() => assertJsonValue(deep, 'data')), 'VALIDATION_ERROR')
  })

  it('guards every place a client stores JSON, and stores nothing when it refuses', async () => {
    const { engine } = memoryEngine()
    const tooDeep = nested(MAX_JSON_DEPTH + 1)
    await expectCode(engine.createTask({ id: 'p', params: { x: tooDeep } }), 'VALIDATION_ERROR')
    await expectCode(engine.createTask({ id: 'm', metadata: { x: tooDeep } }), 'VALIDATION_ERROR')
    await expectCode(
      engine.createTask({ id: 'c', authConfig: { rules: [{ match: { scope: ['*'] }, require: { claims: { x: tooDeep } } }] } }),
      'VALIDATION_ERROR',
    )
    expect(await Promise.all(['p', 'm', 'c'].map((id) => engine.getTask(id)))).toEqual([null, null, null])

    const task = await runningTask(engine, { id: 't' })
    await expectCode(engine.publishEvent(task.id, { type: 'a', data: tooDeep }), 'VALIDATION_ERROR')
    await expectCode(engine.publishEvents(task.id, [{ type: 'a', data: 1 }, { type: 'b', data: tooDeep }]), 'VALIDATION_ERROR')
    await expectCode(engine.transitionTask(task.id, 'completed', { result: { x: tooDeep } }), 'VALIDATION_ERROR')
    await expectCode(engine.transitionTask(task.id, 'failed', { error: { message: 'm', details: { x: tooDeep } } }), 'VALIDATION_ERROR')
    expect((await engine.getEvents(task.id)).map((e) => e.type)).toEqual(['taskcast:status'])
    expect((await engine.getTask(task.id))!.status).toBe('running')
  })

  it('reads the deepest accepted values back through history, a live subscriber, a late replay and the archive', async () => {
    const longTermStore = new MemoryLongTermStore()
    const { engine } = memoryEngine({ longTermStore })
    // One level less than the limit inside `{ x: … }` keeps the stored value at exactly the limit.
    const deepest = nested(MAX_JSON_DEPTH - 1)
    const task = await runningTask(engine, { id: 't', params: { x: deepest } })
    const live = collect(engine, task.id)
    await live.live
    await engine.publishEvent(task.id, { type: 'a', data: { x: deepest } })
    await engine.transitionTask(task.id, 'completed', { result: { x: deepest } })
    expect(await live.ended).toEqual({ done: 'completed' })
    expect(live.envelopes.map((e) => e.type)).toEqual(['taskcast:status', 'a', 'taskcast:status'])

    const history = await engine.getEvents(task.id)
    expect(history[1]!.data).toEqual({ x: deepest })
    expect(JSON.parse(JSON.stringify(history))).toEqual(history)
    const late = collect(engine, task.id)
    expect(await late.ended).toEqual({ done: 'completed' })
    expect(late.envelopes.map((e) => e.data)).toEqual(history.map((e) => e.data))

    await engine.stop()
    expect((await longTermStore.getTask(task.id))!.result).toEqual({ x: deepest })
    expect((await longTermStore.getEvents(task.id)).map((e) => e.data)).toEqual(history.map((e) => e.data))
  })
})

describe('validating a task input once', () => {
  it('does not walk an input again that validateCreateTaskInput accepted (the server validates before the engine)', async () => {
    const { validateCreateTaskInput } = await import('../src/validation.js')
    let reads = 0
    const params = {
      get prompt() {
        reads++
        return 'hi'
      },
    }
    const input = validateCreateTaskInput({ id: 'once', params })
    expect(reads).toBe(1)
    const { engine } = memoryEngine()
    await engine.createTask(input)
    // The store's own copy reads it once more; a second validation would make it three.
    expect(reads).toBe(2)
    expect((await engine.getTask('once'))!.params).toEqual({ prompt: 'hi' })
  })
})
