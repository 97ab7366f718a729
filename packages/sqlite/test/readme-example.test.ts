// The README's example, as written (run in a temporary directory), with what it prints checked.
import { describe, expect, it } from 'vitest'
import { MemoryBroadcastProvider, TaskEngine } from '@taskcast/core'
import { SqliteLongTermStore, SqliteShortTermStore } from '../src/index.js'
import { tempDir } from './temp-database.js'

async function example(): Promise<void> {
  const shortTermStore = new SqliteShortTermStore({ path: './taskcast.db' })
  const longTermStore = new SqliteLongTermStore({ path: './taskcast.db' }) // optional; may share the file
  const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore, longTermStore })

  const task = await engine.createTask({ type: 'llm.chat', ttl: 3600 })
  await engine.transitionTask(task.id, 'running')
  for (const text of ['Once', ' upon', ' a time']) {
    await engine.publishEvent(task.id, { type: 'llm.delta', data: { text }, seriesId: 'answer', seriesMode: 'accumulate' })
  }

  await engine.stop()
  await shortTermStore.close()
  await longTermStore.close()

  // Later, in another process: the task, its events and its TTL deadline are still there.
  const reopened = new SqliteShortTermStore({ path: './taskcast.db' })
  expect((await reopened.getTask(task.id))?.status).toBe('running')
  expect(await reopened.getSeriesValue(task.id, 'answer')).toEqual({ text: 'Once upon a time' })
  expect(await reopened.dueDeadlines(task.createdAt + 3_600_000, 10)).toEqual([task.id])
  await reopened.close()
}

describe('README example', () => {
  it('runs as written, and the reopened file has the task, its series and its deadline', async () => {
    const cwd = process.cwd()
    process.chdir(tempDir())
    try {
      await example()
    } finally {
      process.chdir(cwd)
    }
  })
})
