// One definition of a draft's script arguments: what encodeDraft (TypeScript) writes is
// exactly what includes/append-event.lua (Lua) reads, in number and in order.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { EventDraft, TaskEvent } from '@taskcast/core'
import { makeDraft, makeTask, statusDraft } from '@taskcast/core/testing'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCRIPT_CONSTANTS, SCRIPTS, scriptLua } from '../src/commands/index.js'
import { DRAFT_STRIDE, encodeDraft } from '../src/event-codec.js'
import { RedisShortTermStore } from '../src/index.js'
import { adminClient, deleteKeysUnder, REDIS_URL, redisAvailable, runPrefix } from './redis.js'

const commandsDir = fileURLToPath(new URL('../src/commands/', import.meta.url))
const lua = (file: string) => readFileSync(`${commandsDir}${file}`, 'utf8')
/** A Lua file split into its `--[[ … ]]` header and its code. */
const parts = (file: string) => {
  const [header = '', ...code] = lua(file).split(']]')
  return { header, code: code.join(']]') }
}
/** The offsets `k` of every `ARGV[base + k]` (and `ARGV[base]`, k = 0) in `text`. */
const baseOffsets = (text: string) =>
  new Set([...text.matchAll(/ARGV\[base(?: \+ (\d+))?\]/g)].map((match) => Number(match[1] ?? 0)))
const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** Drafts of every kind the encoder distinguishes, each with every optional field it can carry. */
function everyKindOfDraft(taskId: string): EventDraft[] {
  return [
    makeDraft(taskId, {
      type: 'llm.delta',
      level: 'warn',
      seriesId: 'all',
      seriesMode: 'keep-all',
      seriesAccField: 'text',
      data: { text: 'kept', list: [], nested: { empty: {}, n: 1.5, big: 12345678901234, quote: '"\\\n' } },
    }),
    makeDraft(taskId, {
      type: 'llm.text',
      level: 'debug',
      seriesId: 'acc',
      seriesMode: 'accumulate',
      seriesAccField: 'text',
      data: { role: 'assistant', text: 'héllo "wörld"\n', tokens: [1, 2], after: null },
    }),
    makeDraft(taskId, {
      type: 'progress',
      level: 'error',
      seriesId: 'last',
      seriesMode: 'latest',
      seriesAccField: 'ignored',
      data: [{ percent: 50 }, [], 'x'],
    }),
    makeDraft(taskId, { type: 'no.data', level: 'info', data: undefined }),
    makeDraft(taskId, { type: 'scalar', data: 'just a string' }),
  ]
}

describe('draft arguments', () => {
  it('append-event.lua documents and reads exactly DRAFT_STRIDE values per draft', () => {
    const { header, code } = parts('includes/append-event.lua')
    expect([...baseOffsets(header)].sort((a, b) => a - b)).toEqual(range(DRAFT_STRIDE))
    expect([...baseOffsets(code)].sort((a, b) => a - b)).toEqual(range(DRAFT_STRIDE))
  })

  it('encodeDraft writes DRAFT_STRIDE values for every kind of draft', () => {
    for (const draft of everyKindOfDraft('t')) expect(encodeDraft(draft).args, draft.type).toHaveLength(DRAFT_STRIDE)
  })

  it('the scripts take the stride from the TypeScript constant and never repeat its value', () => {
    expect(SCRIPT_CONSTANTS).toContain(`local DRAFT_STRIDE = ${DRAFT_STRIDE}`)
    for (const script of Object.values(SCRIPTS)) {
      expect(scriptLua(script).startsWith(`${SCRIPT_CONSTANTS}\n`), script.file).toBe(true)
      expect(lua(script.file), script.file).not.toMatch(/DRAFT_STRIDE\s*=/)
    }
    expect(lua('includes/append-event.lua')).not.toMatch(/DRAFT_STRIDE\s*=/)
    // The batch script steps from one draft to the next by the constant, not by a literal.
    expect(parts('append-events-4.lua').code).toMatch(/\bi \* DRAFT_STRIDE\b/)
  })
})

if (redisAvailable('draft arguments on Redis')) {
  describe('draft arguments on Redis', () => {
    const keyPrefix = runPrefix('stride')
    let admin: Redis
    let store: RedisShortTermStore

    beforeAll(() => {
      admin = adminClient()
      store = new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
    })
    afterAll(async () => {
      await store.close()
      admin.disconnect()
      await deleteKeysUnder(keyPrefix)
    })

    /** A running task whose status event (index 0) carries every optional field. */
    async function runningTask() {
      const task = makeTask()
      expect(await store.createTask(task)).toBe(true)
      const event: EventDraft = {
        ...statusDraft(task.id, 'running', 'pending'),
        level: 'warn',
        seriesId: 'status',
        seriesMode: 'keep-all',
        seriesAccField: 'status',
      }
      // Set and removed patch fields shift where the draft starts in ARGV.
      const outcome = await store.transitionTask(task.id, {
        from: 'pending',
        patch: { status: 'running', updatedAt: task.createdAt + 1, result: { a: [] }, error: undefined },
        event,
      })
      expect(outcome?.event).toStrictEqual({ ...event, index: 0 })
      return { task, statusEvent: outcome!.event }
    }

    /** An event as JSON gives it back: properties whose value is undefined are absent. */
    const asJson = (event: unknown) => JSON.parse(JSON.stringify(event)) as TaskEvent

    it('a batch with every optional field set round-trips exactly through appendEvents and getEvents', async () => {
      const { task, statusEvent } = await runningTask()
      const drafts = everyKindOfDraft(task.id)
      // What the encoder says the store holds …
      const returned = await store.appendEvents(task.id, drafts)
      expect(returned.map(asJson)).toStrictEqual(drafts.map((draft, i) => asJson({ ...draft, index: i + 1 })))
      // … is what the Lua decoder stored, field for field.
      expect(await store.getEvents(task.id)).toStrictEqual([statusEvent, ...returned.map(asJson)])
    })

    it('every argument of a draft reaches the Lua side where it belongs', async () => {
      // Event id, series kind and id and the accumulate parts do not show in the stored
      // JSON: each is checked by what it drives (deletion by id, series state).
      const { task, statusEvent } = await runningTask()
      const first = everyKindOfDraft(task.id)
      const second = [
        makeDraft(task.id, { seriesId: 'acc', seriesMode: 'accumulate', seriesAccField: 'text', data: { role: 'assistant', text: ' again/' } }),
        makeDraft(task.id, { seriesId: 'last', seriesMode: 'latest', data: { percent: 100 } }),
      ]
      await store.appendEvents(task.id, first)
      await store.appendEvents(task.id, second)
      const drafts = [...first, ...second]
      const latest = drafts.findIndex((draft) => draft.seriesId === 'last')
      const expected = drafts.map((draft, i) => {
        const event = asJson({ ...draft, index: i + 1 })
        // The older event of the latest series became a placeholder.
        return i === latest ? { ...event, data: null, superseded: true } : event
      })
      expect(await store.getEvents(task.id)).toStrictEqual([statusEvent, ...expected])
      expect(await store.getSeriesValue(task.id, 'acc')).toStrictEqual({ role: 'assistant', text: 'héllo "wörld"\n again/' })
      expect(await admin.hget(`${keyPrefix}series:{${task.id}}`, 'af:acc')).toBe('text')
      // Each event id maps to its own index: deleting by id removes exactly those events.
      expect(await store.deleteEvents(task.id, drafts.map((draft) => draft.id))).toBe(drafts.length)
      expect(await store.getEvents(task.id)).toStrictEqual([statusEvent])
    })

    it('drafts after the first in a batch are read at multiples of the stride', async () => {
      const { task } = await runningTask()
      // Accumulate drafts use every argument; a wrong stride would read the next draft's fields.
      const drafts = ['a', 'b', 'c'].map((text, i) =>
        makeDraft(task.id, { seriesId: `s${i}`, seriesMode: 'accumulate', seriesAccField: 'text', data: { text, i } }),
      )
      await store.appendEvents(task.id, drafts)
      const stored = await store.getEvents(task.id, { fromIndex: 1 })
      expect(stored).toStrictEqual(drafts.map((draft, i) => ({ ...draft, index: i + 1 })))
      for (const [i, text] of ['a', 'b', 'c'].entries()) {
        expect(await store.getSeriesValue(task.id, `s${i}`)).toStrictEqual({ text, i })
      }
    })
  })
}
