// Writers sharing one file: two store instances in this process, and two processes. Each write
// is one IMMEDIATE transaction, so indexes are handed out once each and a compare-and-set has
// one winner whichever connection the callers use; a process waits for the other's write lock.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { TaskStatus } from '@taskcast/core'
import { makeDraft, makeTask, statusDraft } from '@taskcast/core/testing'
import { describe, expect, it } from 'vitest'
import { SqliteShortTermStore } from '../src/index.js'
import { tempDatabasePath } from './temp-database.js'

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url))

async function runningTask(store: SqliteShortTermStore): Promise<string> {
  const task = makeTask()
  await store.createTask(task)
  await store.transitionTask(task.id, { from: 'pending', patch: { status: 'running', updatedAt: 1 }, event: statusDraft(task.id, 'running', 'pending') })
  return task.id
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

describe('two store instances on one file', () => {
  it('give 20 publishers × 500 events, half through each, the indexes 1…10000 once each', async () => {
    const path = tempDatabasePath()
    const stores = [new SqliteShortTermStore({ path }), new SqliteShortTermStore({ path })]
    const taskId = await runningTask(stores[0]!)
    const perPublisher = await Promise.all(
      range(0, 20).map(async (publisher) => {
        const indexes: number[] = []
        for (let i = 0; i < 500; i++) {
          const [event] = await stores[(publisher + i) % 2]!.appendEvents(taskId, [makeDraft(taskId, { data: { publisher, i } })])
          indexes.push(event!.index)
        }
        return indexes
      }),
    )
    for (const indexes of perPublisher) expect(indexes).toEqual([...indexes].sort((a, b) => a - b))
    expect(perPublisher.flat().sort((a, b) => a - b)).toEqual(range(1, 10_000))
    for (const store of stores) expect((await store.getEvents(taskId)).map((event) => event.index)).toEqual(range(0, 10_001))
    await Promise.all(stores.map((store) => store.close()))
  })

  it('let exactly one of 50 concurrent terminal transitions win, across both', async () => {
    const path = tempDatabasePath()
    const stores = [new SqliteShortTermStore({ path }), new SqliteShortTermStore({ path })]
    const taskId = await runningTask(stores[1]!)
    const targets: TaskStatus[] = ['completed', 'failed', 'cancelled', 'timeout']
    const outcomes = await Promise.all(
      range(0, 50).map((i) =>
        stores[i % 2]!.transitionTask(taskId, {
          from: 'running',
          patch: { status: targets[i % 4]!, updatedAt: 2 },
          event: statusDraft(taskId, targets[i % 4]!, 'running'),
        }),
      ),
    )
    const winners = outcomes.filter((outcome) => outcome !== null)
    expect(winners).toHaveLength(1)
    expect((await stores[0]!.getTask(taskId))!.status).toBe(winners[0]!.task.status)
    expect((await stores[0]!.getEvents(taskId)).map((event) => event.index)).toEqual([0, 1])
    await Promise.all(stores.map((store) => store.close()))
  })
})

// A child process that opens the file, says "ready", waits for a line on stdin, appends half of
// \`count\` events one at a time, says "half", waits for another line, appends the rest and
// prints the indexes it got. The parent lets both children go at once twice, so their appends
// contend for the write lock, and each child's second half comes after the other's first half
// however the machine schedules them.
const APPEND_CHILD = `
const [dist, path, taskId, count] = process.argv.slice(1)
const { SqliteShortTermStore } = await import(dist)
const store = new SqliteShortTermStore({ path })
const lines = []
const waiters = []
process.stdin.setEncoding('utf8').on('data', (chunk) => {
  for (const line of chunk.split('\\n').filter(Boolean)) (waiters.shift() ?? ((l) => lines.push(l)))(line)
})
const nextLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((resolve) => waiters.push(resolve)))
const indexes = []
const append = async (from, to) => {
  for (let i = from; i < to; i++) {
    const [event] = await store.appendEvents(taskId, [{ id: process.pid + '-' + i, taskId, timestamp: Date.now(), type: 'child', level: 'info', data: { pid: process.pid, i } }])
    indexes.push(event.index)
  }
}
process.stderr.write('ready\\n')
await nextLine()
await append(0, Number(count) / 2)
process.stderr.write('half\\n')
await nextLine()
await append(Number(count) / 2, Number(count))
await store.close()
process.stdout.write(JSON.stringify(indexes))
process.exit(0)
`

/** Resolves, per call, once `stream` has written the expected line (lines arrive in order). */
function lines(stream: NodeJS.ReadableStream): (expected: string) => Promise<void> {
  const seen: string[] = []
  const waiting: Array<() => void> = []
  let buffered = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffered += chunk
    const parts = buffered.split('\n')
    buffered = parts.pop()!
    for (const line of parts) {
      seen.push(line)
      waiting.shift()?.()
    }
  })
  let read = 0
  return async (expected) => {
    if (read >= seen.length) await new Promise<void>((resolve) => waiting.push(resolve))
    expect(seen[read++]).toBe(expected)
  }
}

describe.runIf(existsSync(DIST))('two processes on one file', () => {
  it('hand out every index once while both append at the same time', async () => {
    const path = tempDatabasePath()
    const store = new SqliteShortTermStore({ path })
    const taskId = await runningTask(store)
    const children = [0, 1].map(() =>
      spawn(process.execPath, ['--input-type=module', '-e', APPEND_CHILD, pathToFileURL(DIST).href, path, taskId, '2000'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    )
    const outputs = children.map(async (child) => {
      let stdout = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      const [code] = (await once(child, 'close')) as [number | null]
      expect(code).toBe(0)
      return JSON.parse(stdout) as number[]
    })
    const said = children.map((child) => lines(child.stderr))
    await Promise.all(said.map((next) => next('ready')))
    for (const child of children) child.stdin.write('go\n')
    await Promise.all(said.map((next) => next('half')))
    for (const child of children) child.stdin.end('go\n')
    const perProcess = await Promise.all(outputs)
    for (const indexes of perProcess) expect(indexes).toEqual([...indexes].sort((a, b) => a - b))
    expect(perProcess.flat().sort((a, b) => a - b)).toEqual(range(1, 4000))
    // Interleaved, not one after the other: each one's second half came after the other's first.
    expect(Math.min(...perProcess[1]!)).toBeLessThan(Math.max(...perProcess[0]!))
    expect(Math.min(...perProcess[0]!)).toBeLessThan(Math.max(...perProcess[1]!))
    const log = await store.getEvents(taskId)
    expect(log.map((event) => event.index)).toEqual(range(0, 4001))
    await store.close()
  })
})
