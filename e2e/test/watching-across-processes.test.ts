// Watching one service made of two processes (SPEC §21): `GET /events` on B streams the creation
// notices and status events of tasks handled through A (all of them for an admin token, only its own for a token
// with a `taskIds` list), `GET /tasks` on B lists what A created and nothing A deleted, and
// `subscribers` counts the streams open on both processes.
import type { SSEEnvelope, StatusEventData, Task } from '@taskcast/core'
import { createSSEParser } from '@taskcast/core/wire'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { TaskcastServer } from './support/taskcast-process.js'

const SECRET = 'watching-across-processes-secret-of-enough-length'
const TASKS = 12

async function token(taskIds: string[] | '*', scope: string[] = ['*']): Promise<string> {
  return new SignJWT({ taskIds, scope }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET))
}

/** A live `GET /events` (or task stream) read frame by frame; `envelopes` fills as frames arrive. */
class LiveStream {
  readonly envelopes: SSEEnvelope[] = []
  private readonly abort = new AbortController()
  private waiters: (() => void)[] = []

  static async open(url: string, bearer: string): Promise<LiveStream> {
    const stream = new LiveStream()
    const response = await fetch(url, { headers: { authorization: `Bearer ${bearer}` }, signal: stream.abort.signal })
    expect(response.status).toBe(200)
    const parser = createSSEParser((message) => {
      if (message.event !== 'taskcast.event') return
      stream.envelopes.push(JSON.parse(message.data) as SSEEnvelope)
      for (const wake of stream.waiters.splice(0)) wake()
    })
    void (async () => {
      const reader = response.body!.getReader()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return
          parser.push(value)
        }
      } catch {
        // closed by the test
      }
    })()
    return stream
  }

  async until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.envelopes.length} envelopes`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  close(): void {
    this.abort.abort()
  }
}

async function call<T>(url: string, bearer: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  })
  const text = await response.text()
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T }
}

const statusOf = (envelope: SSEEnvelope) => (envelope.data as StatusEventData).status

if (await servicesAvailable('watching across processes', ['redis'])) {
  describe('watching two processes sharing Redis', () => {
    const keyPrefix = keyPrefixFor('watching')
    let a: TaskcastServer
    let b: TaskcastServer
    let admin: string
    const streams: LiveStream[] = []

    beforeAll(async () => {
      const config = { ...sharedConfig({ redisUrl: REDIS_URL, keyPrefix }), auth: { mode: 'jwt' as const, jwt: { secret: SECRET } } }
      ;[a, b] = await Promise.all([TaskcastServer.start('A', config), TaskcastServer.start('B', config)])
      admin = await token('*')
    })
    afterAll(async () => {
      for (const stream of streams) stream.close()
      await Promise.all([a?.stop(), b?.stop()])
      await deleteKeysUnder(keyPrefix, REDIS_URL)
    })

    async function watch(url: string, bearer: string): Promise<LiveStream> {
      const stream = await LiveStream.open(url, bearer)
      streams.push(stream)
      return stream
    }

    /** Publishes probe events through A until `stream` on B shows one: B's pattern subscription is live. */
    async function probeUntilLive(stream: LiveStream): Promise<void> {
      const probe = (await call<Task>(`${a.url}/tasks`, admin, { method: 'POST', body: JSON.stringify({ type: 'probe' }) })).body
      await call(`${a.url}/tasks/${probe.id}/status`, admin, { method: 'PATCH', body: JSON.stringify({ status: 'running' }) })
      for (let attempt = 0; attempt < 100 && !stream.envelopes.some((e) => e.taskId === probe.id); attempt++) {
        await call(`${a.url}/tasks/${probe.id}/events`, admin, { method: 'POST', body: JSON.stringify({ type: 'probe' }) })
        await stream.until(() => stream.envelopes.some((e) => e.taskId === probe.id), 'a probe', 100).catch(() => undefined)
      }
      expect(stream.envelopes.some((e) => e.taskId === probe.id)).toBe(true)
      stream.envelopes.length = 0
    }

    it('streams on B the status events of tasks run through A: all for an admin, only its own for a taskIds token', async () => {
      const everything = await watch(`${b.url}/events?types=&taskTypes=e2e.watch.*`, admin)
      await probeUntilLive(await watch(`${b.url}/events`, admin))
      const created: Task[] = []
      for (let i = 0; i < TASKS; i++) {
        created.push((await call<Task>(`${a.url}/tasks`, admin, { method: 'POST', body: JSON.stringify({ type: `e2e.watch.${i % 2}` }) })).body)
      }
      const mine = created.slice(0, 3).map((task) => task.id)
      const restricted = await watch(`${b.url}/events?types=`, await token(mine, ['event:subscribe']))
      await probeUntilLive(await watch(`${b.url}/events`, admin))
      for (const task of created) {
        await call(`${a.url}/tasks/${task.id}/status`, admin, { method: 'PATCH', body: JSON.stringify({ status: 'running' }) })
        await call(`${a.url}/tasks/${task.id}/events`, admin, { method: 'POST', body: JSON.stringify({ type: 'work', data: 1 }) })
        await call(`${a.url}/tasks/${task.id}/status`, admin, { method: 'PATCH', body: JSON.stringify({ status: 'completed' }) })
      }
      await everything.until(() => everything.envelopes.length >= TASKS * 3, 'every creation notice and status event')
      await restricted.until(() => restricted.envelopes.length >= mine.length * 2, 'the restricted status events')
      const perTask = (stream: LiveStream) =>
        Object.fromEntries(
          [...new Set(stream.envelopes.map((e) => e.taskId))].map((id) => [
            id,
            stream.envelopes.filter((e) => e.taskId === id).map((e) => [e.type, statusOf(e), e.rawIndex]),
          ]),
        )
      const moves = [['taskcast:status', 'running', 0], ['taskcast:status', 'completed', 2]]
      const expected = (ids: string[], before: unknown[][] = []) => Object.fromEntries(ids.map((id) => [id, [...before, ...moves]]))
      // Opened before the tasks were created: each one's creation notice (index -1) comes first.
      expect(perTask(everything)).toEqual(expected(created.map((task) => task.id), [['taskcast:created', 'pending', -1]]))
      expect(everything.envelopes).toHaveLength(TASKS * 3)
      expect(perTask(restricted)).toEqual(expected(mine))
      expect(restricted.envelopes).toHaveLength(mine.length * 2)
    })

    it('lists on B what A created, newest first, and nothing A deleted', async () => {
      const type = `e2e.list.${Date.now()}`
      const created: Task[] = []
      for (let i = 0; i < 7; i++) {
        created.push((await call<Task>(`${a.url}/tasks`, admin, { method: 'POST', body: JSON.stringify({ type }) })).body)
      }
      await call(`${a.url}/tasks/${created[2]!.id}/status`, admin, { method: 'PATCH', body: JSON.stringify({ status: 'running' }) })
      expect((await call(`${a.url}/tasks/${created[4]!.id}`, admin, { method: 'DELETE' })).status).toBe(204)
      const ids: string[] = []
      let cursor: string | null = null
      do {
        const query = `type=${type}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
        const page: { status: number; body: { tasks: Task[]; nextCursor: string | null } } = await call(`${b.url}/tasks?${query}`, admin)
        expect(page.status).toBe(200)
        ids.push(...page.body.tasks.map((task) => task.id))
        cursor = page.body.nextCursor
      } while (cursor)
      const expectedIds = created.filter((_, i) => i !== 4).map((task) => task.id).reverse()
      expect(ids).toEqual(expectedIds)
      const running = await call<{ tasks: Task[] }>(`${b.url}/tasks?type=${type}&status=running`, admin)
      expect(running.body.tasks.map((task) => task.id)).toEqual([created[2]!.id])
    })

    it('counts subscribers over both processes, from either', async () => {
      const task = (await call<Task>(`${a.url}/tasks`, admin, { method: 'POST', body: JSON.stringify({ type: 'e2e.count' }) })).body
      await call(`${a.url}/tasks/${task.id}/status`, admin, { method: 'PATCH', body: JSON.stringify({ status: 'running' }) })
      const opened = [
        await watch(`${a.url}/tasks/${task.id}/events`, admin),
        await watch(`${a.url}/tasks/${task.id}/events`, admin),
        await watch(`${b.url}/tasks/${task.id}/events`, admin),
      ]
      for (const stream of opened) await stream.until(() => stream.envelopes.length >= 1, 'the replayed running event')
      const count = async (server: TaskcastServer) =>
        (await call<{ subscribers: number }>(`${server.url}/tasks/${task.id}`, admin)).body.subscribers
      expect(await count(a)).toBe(3)
      expect(await count(b)).toBe(3)
      opened[2]!.close()
      const deadline = Date.now() + 5_000
      while ((await count(a)) !== 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(await count(a)).toBe(2)
      expect(await count(b)).toBe(2)
    })
  })
}
