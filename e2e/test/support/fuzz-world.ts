// What the fuzz test attacks: a few known tasks in every state, whose exact bytes are recorded
// before the run and must read back identical after it, and scratch tasks that requests which
// may legitimately succeed are sent to instead.
import type { FuzzClient, FuzzRequest } from './fuzz-client.js'

export type KnownState = 'pending' | 'running' | 'completed' | 'failed'

export interface KnownTask {
  id: string
  state: KnownState
  /** Has per-task auth rules that refuse `task:manage` and `event:publish` to a caller without a `sub`. */
  guarded: boolean
}

export interface World {
  known: readonly KnownTask[]
  /** Running scratch tasks that stay running: valid publishes go here, never to a known task. */
  scratchRunning: readonly string[]
  /** Scratch tasks (running and pending) that valid transitions go to, and so may finish. */
  scratchTransition: readonly string[]
  /** Ids of events in the known tasks' logs (valid cursors). */
  eventIds: readonly string[]
}

export const KNOWN: readonly KnownTask[] = [
  { id: 'fz-pending', state: 'pending', guarded: false },
  { id: 'fz-running', state: 'running', guarded: false },
  { id: 'fz-completed', state: 'completed', guarded: false },
  { id: 'fz-failed', state: 'failed', guarded: false },
  { id: 'fz-guarded', state: 'pending', guarded: true },
]

export const KNOWN_IDS: ReadonlySet<string> = new Set(KNOWN.map((task) => task.id))

const JSON_HEADERS = { 'Content-Type': 'application/json' }

/** Events of the known running and completed tasks: keep-all, accumulate and latest series, batches. */
const LOG: readonly unknown[] = [
  { type: 'llm.delta', data: { text: 'Hel' }, seriesId: 'out', seriesMode: 'accumulate' },
  { type: 'llm.delta', data: { text: 'lo ' }, seriesId: 'out', seriesMode: 'accumulate' },
  { type: 'tool.call', level: 'debug', data: { name: 'search', args: { q: 'δοκιμή "quoted"\n' } } },
  { type: 'llm.delta', data: { text: 'wörld 🚀' }, seriesId: 'out', seriesMode: 'accumulate' },
  { type: 'progress', data: { pct: 10 }, seriesId: 'p', seriesMode: 'latest' },
  { type: 'progress', data: { pct: 20 }, seriesId: 'p', seriesMode: 'latest' },
  { type: 'log', level: 'warn', data: 'a plain string' },
  [
    { type: 'log', level: 'error', data: null },
    { type: 'log', data: [1, 'two', { three: 3 }, 1.5e300] },
  ],
]

async function expectStatus(client: FuzzClient, request: FuzzRequest, status: number): Promise<string> {
  const outcome = await client.send(request)
  if (outcome.status !== status) {
    throw new Error(`setup: ${request.method} ${request.path} → ${outcome.status ?? outcome.error} (wanted ${status}): ${outcome.body.slice(0, 300)}`)
  }
  return outcome.body
}

const post = (path: string, body: unknown): FuzzRequest => ({ method: 'POST', path, headers: JSON_HEADERS, body: JSON.stringify(body) })
const patch = (path: string, body: unknown): FuzzRequest => ({ method: 'PATCH', path, headers: JSON_HEADERS, body: JSON.stringify(body) })

async function publishLog(client: FuzzClient, id: string): Promise<void> {
  for (const item of LOG) await expectStatus(client, post(`/tasks/${id}/events`, item), 201)
}

/** Creates the known and scratch tasks through the API. */
export async function buildWorld(client: FuzzClient): Promise<World> {
  const params = { prompt: 'Tell me a story', nested: { list: [1, 2, 3], flag: true }, unicode: '任务 🚀' }
  const metadata = { owner: 'fuzz', tags: ['a', 'b'] }
  for (const task of KNOWN) {
    const body: Record<string, unknown> = { id: task.id, type: 'fuzz.known', params, metadata }
    if (task.guarded) {
      body.authConfig = { rules: [{ match: { scope: ['task:manage', 'event:publish'] }, require: { sub: ['alice'] } }] }
    }
    await expectStatus(client, post('/tasks', body), 201)
  }
  await expectStatus(client, patch('/tasks/fz-running/status', { status: 'running' }), 200)
  await publishLog(client, 'fz-running')
  await expectStatus(client, patch('/tasks/fz-completed/status', { status: 'running' }), 200)
  await publishLog(client, 'fz-completed')
  await expectStatus(client, patch('/tasks/fz-completed/status', { status: 'completed', result: { output: 'Hello wörld 🚀', tokens: 3 } }), 200)
  await expectStatus(client, patch('/tasks/fz-failed/status', { status: 'running' }), 200)
  await expectStatus(client, post('/tasks/fz-failed/events', { type: 'step', data: { n: 1 } }), 201)
  await expectStatus(
    client,
    patch('/tasks/fz-failed/status', { status: 'failed', error: { code: 'E_FUZZ', message: 'boom', details: { retryable: false } } }),
    200,
  )

  const scratchRunning = Array.from({ length: 4 }, (_, i) => `sc-run-${i}`)
  const scratchTransition = ['sc-flip-0', 'sc-flip-1', 'sc-flip-2', 'sc-pend-0', 'sc-pend-1']
  for (const id of [...scratchRunning, ...scratchTransition]) await expectStatus(client, post('/tasks', { id, type: 'fuzz.scratch' }), 201)
  for (const id of [...scratchRunning, 'sc-flip-0', 'sc-flip-1', 'sc-flip-2']) {
    await expectStatus(client, patch(`/tasks/${id}/status`, { status: 'running' }), 200)
    await expectStatus(client, post(`/tasks/${id}/events`, { type: 'llm.delta', data: { text: 'x' }, seriesId: 'out', seriesMode: 'accumulate' }), 201)
  }

  const eventIds: string[] = []
  for (const id of ['fz-running', 'fz-completed', 'fz-failed']) {
    const history = JSON.parse(await expectStatus(client, { method: 'GET', path: `/tasks/${id}/events/history` }, 200)) as { id: string }[]
    eventIds.push(...history.map((event) => event.id))
  }
  return { known: KNOWN, scratchRunning, scratchTransition, eventIds }
}

/** The reads whose bytes must not change: every known task, its history, and full SSE replays of the finished ones. */
const SNAPSHOT_READS: readonly FuzzRequest[] = [
  ...KNOWN.flatMap((task): FuzzRequest[] => [
    { method: 'GET', path: `/tasks/${task.id}` },
    { method: 'GET', path: `/tasks/${task.id}/events/history` },
    { method: 'GET', path: `/tasks/${task.id}/events/history?seriesFormat=accumulated` },
  ]),
  { method: 'GET', path: '/tasks/fz-completed/events' },
  { method: 'GET', path: '/tasks/fz-completed/events?wrap=false&seriesFormat=accumulated' },
  { method: 'GET', path: '/tasks/fz-completed/events?since.index=2' },
  { method: 'GET', path: '/tasks/fz-failed/events' },
]

/** `method path` → the exact body; SSE reads of finished tasks end by themselves, so they are read whole. */
export async function snapshot(client: FuzzClient): Promise<Map<string, string>> {
  const bytes = new Map<string, string>()
  for (const request of SNAPSHOT_READS) bytes.set(`${request.method} ${request.path}`, await expectStatus(client, request, 200))
  return bytes
}

/** The reads whose bytes differ between two snapshots, each with where it starts to differ. */
export function differences(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = []
  for (const [key, was] of before) {
    const now = after.get(key) ?? '<missing>'
    if (now === was) continue
    let at = 0
    while (at < was.length && was[at] === now[at]) at++
    changed.push(`${key}: differs at byte ${at}: was …${was.slice(Math.max(0, at - 40), at + 120)}… now …${now.slice(Math.max(0, at - 40), at + 120)}…`)
  }
  return changed
}
