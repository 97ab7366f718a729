// Store errors by store: where the engine reports them (broadcast, archive writer), where a
// health check finds a store down, and requests that fail with 503 (store unknown).
import {
  MemoryBroadcastProvider,
  MemoryLongTermStore,
  MemoryShortTermStore,
  TaskcastError,
  TaskEngine,
  type HookErrorContext,
  type TaskIndexPage,
  type TaskIndexQuery,
  type Task,
  type TaskEvent,
} from '@taskcast/core'
import { describe, expect, it, vi } from 'vitest'
import { waitFor } from '../harness.js'
import { call, runningTask, scrape, start } from './metrics-harness.js'
import type { Family } from './prometheus-text.js'

const unreachable = () => new TaskcastError('STORE_UNAVAILABLE', 'the store does not answer')

class FailingBroadcast extends MemoryBroadcastProvider {
  override async publish(): Promise<void> {
    throw unreachable()
  }
}

class FailingArchive extends MemoryLongTermStore {
  failing = true
  override async saveTask(task: Task): Promise<void> {
    if (this.failing) throw unreachable()
    return super.saveTask(task)
  }
  override async saveEvents(events: TaskEvent[]): Promise<void> {
    if (this.failing) throw unreachable()
    return super.saveEvents(events)
  }
}

class FlakyStore extends MemoryShortTermStore {
  pingFails = false
  readsFail = false
  listsFail = false
  override async listTasks(query: TaskIndexQuery): Promise<TaskIndexPage> {
    if (this.listsFail) throw unreachable()
    return super.listTasks(query)
  }
  override async ping(): Promise<void> {
    if (this.pingFails) throw unreachable()
  }
  override async getTask(taskId: string): Promise<Task | null> {
    if (this.readsFail) throw unreachable()
    return super.getTask(taskId)
  }
}

function errorsByStore(families: Map<string, Family>): Record<string, number> {
  return Object.fromEntries(families.get('taskcast_store_errors_total')!.samples.map((s) => [s.labels.store, s.value]))
}

const NONE = { 'short-term': 0, 'long-term': 0, broadcast: 0, unknown: 0 }

/** Collects what the engine reports, so that nothing is printed and the test can see it was reported. */
function reporter() {
  const reported: HookErrorContext[] = []
  return { reported, hooks: { onUnhandledError: (_error: unknown, context: HookErrorContext) => void reported.push(context) } }
}

describe('store error metrics', () => {
  it('counts a failed broadcast under broadcast, once per publish', async () => {
    const { reported, hooks } = reporter()
    const engine = new TaskEngine({ broadcast: new FailingBroadcast(), shortTermStore: new MemoryShortTermStore() })
    const { url } = await start({ engine, hooks })
    // Its creation notice and its running status event: two failed broadcasts.
    const task = await runningTask(url)
    await call(`${url}/tasks/${task.id}/events`, 'POST', [{ type: 'a' }, { type: 'b' }]) // the events are stored: 201
    expect(errorsByStore(await scrape(url))).toEqual({ ...NONE, broadcast: 3 })
    expect(reported.map((r) => r.source)).toEqual(['create', 'broadcast', 'broadcast'])
  })

  it('counts without swallowing: with no reporter the error still reaches the console', async () => {
    const engine = new TaskEngine({ broadcast: new FailingBroadcast(), shortTermStore: new MemoryShortTermStore() })
    const { url } = await start({ engine })
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      await runningTask(url)
      expect(consoleError.mock.calls.map((call) => call[0])).toEqual([
        '[taskcast] unhandled error in create',
        '[taskcast] unhandled error in broadcast',
      ])
    } finally {
      consoleError.mockRestore()
    }
    expect(errorsByStore(await scrape(url))).toEqual({ ...NONE, broadcast: 2 })
  })

  it('counts a failing archive under long-term', async () => {
    const { reported, hooks } = reporter()
    const archive = new FailingArchive()
    const engine = new TaskEngine({
      broadcast: new MemoryBroadcastProvider(),
      shortTermStore: new MemoryShortTermStore(),
      longTermStore: archive,
      longTermWriter: { flushDelayMs: 1 },
    })
    const { url } = await start({ engine, hooks })
    await runningTask(url)
    await waitFor(() => reported.length > 0, 'the archive failure')
    // The writer reports the first failure of a run of failures (it retries in the background).
    expect(errorsByStore(await scrape(url))).toEqual({ ...NONE, 'long-term': 1 })
    archive.failing = false
  })

  it('counts a store that a health check finds down under its name', async () => {
    const store = new FlakyStore()
    const { url } = await start({}, { store })
    store.pingFails = true
    expect((await fetch(`${url}/health`)).status).toBe(503)
    expect((await fetch(`${url}/health`)).status).toBe(503)
    store.pingFails = false
    expect((await fetch(`${url}/health`)).status).toBe(200)
    expect(errorsByStore(await scrape(url))).toEqual({ ...NONE, 'short-term': 2 })
  })

  it('still serves a scrape while the task index does not answer: tasks waiting keeps its value, the error is counted', async () => {
    const store = new FlakyStore()
    const { url } = await start({}, { store })
    await call(`${url}/tasks`, 'POST', { type: 'job', assign: {} })
    const waiting = (families: Map<string, Family>) => families.get('taskcast_tasks_waiting')!.samples[0]!.value
    expect(waiting(await scrape(url))).toBe(1)
    store.listsFail = true
    expect(waiting(await scrape(url))).toBe(1)
    store.listsFail = false
    // The counter is read in the same pass as the failing count, so the error shows from the next scrape.
    const families = await scrape(url)
    expect(errorsByStore(families)).toEqual({ ...NONE, 'short-term': 1 })
    expect(waiting(families)).toBe(1)
  })

  it('counts a request that failed with 503 under unknown, and not the refusals of a closing app', async () => {
    const store = new FlakyStore()
    const { url, app } = await start({}, { store })
    const task = await runningTask(url)
    store.readsFail = true
    const failed = await fetch(`${url}/tasks/${task.id}`)
    expect(failed.status).toBe(503)
    expect(((await failed.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE')
    store.readsFail = false
    expect(errorsByStore(await scrape(url))).toEqual({ ...NONE, unknown: 1 })

    await app.close()
    // New streams are refused with STORE_UNAVAILABLE while the app closes: no store failed.
    expect((await fetch(`${url}/tasks/${task.id}/events`)).status).toBe(503)
    expect(errorsByStore(await scrape(url))).toEqual({ ...NONE, unknown: 1 })
  })
})
