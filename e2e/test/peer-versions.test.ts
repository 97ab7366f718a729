// @taskcast/server holds `hono` as a peer dependency: an app brings its own Hono and its own
// @hono/node-server, of any version in the supported ranges. For the lowest and the newest of
// each, the packed tarballs are installed with npm into an empty app, the README's embedded
// example is type-checked against that app's Hono and run, and SSE and publishing are
// exercised over a real socket. The same for @taskcast/ai-sdk and its peer `ai` (below). Needs
// the npm registry (or its cache): runs under CI=true or TASKCAST_PACK_TEST=1, after `pnpm build`.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_DIR } from './support/paths.js'

const run = promisify(execFile)
const enabled = process.env.CI === 'true' || process.env.TASKCAST_PACK_TEST === '1'
const PNPM = ['-y', 'pnpm@10.34.9']
const FIXTURE = join(REPO_DIR, 'e2e/test/fixtures/embedded-app')
const TSC = join(REPO_DIR, 'node_modules/.bin/tsc')

/** The ends of the ranges in @taskcast/server's peerDependencies and the CLI's dependencies. */
const VERSIONS = [
  { name: 'lowest', hono: '4.6.0', nodeServer: '1.13.0' },
  { name: 'newest', hono: '4.13.19', nodeServer: '2.1.9' },
]

let workDir: string
let tarballs: string[]
const children: ChildProcess[] = []

beforeAll(async () => {
  if (!enabled) return
  workDir = await mkdtemp(join(tmpdir(), 'taskcast-peers-'))
  const packed = join(workDir, 'tarballs')
  await run('npx', [...PNPM, '-r', '--filter', '@taskcast/server...', 'pack', '--pack-destination', packed], {
    cwd: REPO_DIR,
    maxBuffer: 16 * 1024 * 1024,
  })
  tarballs = (await readdir(packed)).filter((name) => name.endsWith('.tgz')).map((name) => join(packed, name))
}, 120_000)

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  if (workDir) await rm(workDir, { recursive: true, force: true })
})

/** Starts the compiled example and resolves with its base URL once it printed its port. */
async function startApp(dir: string): Promise<string> {
  const child = spawn(process.execPath, ['dist/app.js'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  const lines = createInterface({ input: child.stdout! })
  for await (const line of lines) {
    const match = /^listening (\d+)$/.exec(line)
    if (match) return `http://127.0.0.1:${match[1]}/taskcast`
  }
  throw new Error('the example exited before listening')
}

async function post(url: string, body: unknown, method = 'POST'): Promise<Response> {
  return fetch(url, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
}

describe.runIf(enabled).each(VERSIONS)('the embedded example with the $name hono ($hono) and @hono/node-server ($nodeServer)', (versions) => {
  it('type-checks, then streams a task live over SSE from creation to done', { timeout: 180_000 }, async () => {
    const dir = join(workDir, versions.name)
    await mkdir(dir)
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `embedded-${versions.name}`, private: true, type: 'module' }))
    await copyFile(join(FIXTURE, 'app.ts'), join(dir, 'app.ts'))
    await copyFile(join(FIXTURE, 'tsconfig.json'), join(dir, 'tsconfig.json'))
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', `hono@${versions.hono}`, `@hono/node-server@${versions.nodeServer}`, '@types/node@20', ...tarballs],
      { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
    )
    // The app's own Hono types must accept the router: this is where an exact pin used to fail.
    await run(TSC, ['-p', 'tsconfig.json'], { cwd: dir })

    const base = await startApp(dir)
    expect(await (await fetch(`${base.replace('/taskcast', '')}/`)).text()).toBe('my app')
    expect((await post(`${base}/tasks`, { id: 'story', type: 'llm.chat' })).status).toBe(201)

    // Subscribed while pending: the stream is held open, then carries everything once running.
    const stream = await fetch(`${base}/tasks/story/events`)
    expect([stream.status, stream.headers.get('content-type')]).toEqual([200, 'text/event-stream'])
    const body = stream.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    const readUntil = async (needle: string): Promise<void> => {
      while (!text.includes(needle)) {
        const { value, done } = await body.read()
        if (done) throw new Error(`stream ended before ${JSON.stringify(needle)}; got ${JSON.stringify(text)}`)
        text += value
      }
    }
    await readUntil('retry: 1000\n\n')

    expect((await post(`${base}/tasks/story/status`, { status: 'running' }, 'PATCH')).status).toBe(200)
    const published = await post(`${base}/tasks/story/events`, [
      { type: 'llm.delta', data: { text: 'Once upon' }, seriesId: 'r', seriesMode: 'accumulate' },
      { type: 'llm.delta', data: { text: ' a time' }, seriesId: 'r', seriesMode: 'accumulate' },
    ])
    expect(published.status).toBe(201)
    expect((await post(`${base}/tasks/story/status`, { status: 'completed' }, 'PATCH')).status).toBe(200)
    await readUntil('event: taskcast.done\ndata: {"reason":"completed"}\n\n')
    expect((await body.read()).done).toBe(true)

    const envelopes = text
      .split('\n')
      .filter((line) => line.startsWith('data: {"filteredIndex"'))
      .map((line) => JSON.parse(line.slice('data: '.length)) as { rawIndex: number; type: string; data: unknown })
    expect(envelopes.map((e) => [e.rawIndex, e.type, e.data])).toEqual([
      [0, 'taskcast:status', { status: 'running', previousStatus: 'pending' }],
      [1, 'llm.delta', { text: 'Once upon' }],
      [2, 'llm.delta', { text: ' a time' }],
      [3, 'taskcast:status', { status: 'completed', previousStatus: 'running' }],
    ])

    // Bad input through the app's body reader stays a clear 400.
    const malformed = await fetch(`${base}/tasks`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"id":' })
    expect([malformed.status, ((await malformed.json()) as { error: { code: string } }).error.code]).toEqual([400, 'VALIDATION_ERROR'])
  })
})

// @taskcast/ai-sdk holds `ai` as a peer dependency (^6.0.0: 7.x needs Node 22). For the lowest
// and the newest 6.x, the packed tarballs go into an empty app with that `ai`, the app below is
// type-checked against its types and run: a mock model's answer, published into a task by the
// engine, comes back through TaskcastChatTransport over a real socket as the same UI message
// the direct stream gives.
const AI_VERSIONS = [
  { name: 'lowest', ai: '6.0.0' },
  { name: 'newest', ai: '6.0.326' },
]

const AI_APP = `
import { serve } from '@hono/node-server'
import { publishUIMessageStream, TaskcastChatTransport } from '@taskcast/ai-sdk'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine } from '@taskcast/core'
import { createTaskcastApp } from '@taskcast/server'
import { readUIMessageStream, simulateReadableStream, streamText, type ChatTransport, type UIMessage, type UIMessageChunk } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import type { AddressInfo } from 'node:net'

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 3, text: 3, reasoning: 0 } }
const model = () =>
  new MockLanguageModelV3({
    doStream: async () => ({
      stream: simulateReadableStream({
        chunks: [
          { type: 'stream-start', warnings: [] },
          { type: 'text-start', id: 't0' },
          { type: 'text-delta', id: 't0', delta: 'Hello' },
          { type: 'text-delta', id: 't0', delta: ', world' },
          { type: 'text-end', id: 't0' },
          { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
        ],
      }),
    }),
  })
async function rebuilt(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage | undefined> {
  let message: UIMessage | undefined
  for await (const state of readUIMessageStream({ stream })) message = state
  return message
}

const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore() })
const server = serve({ fetch: createTaskcastApp({ engine }).fetch, port: 0, hostname: '127.0.0.1' })
await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())))
const baseUrl = 'http://127.0.0.1:' + (server.address() as AddressInfo).port
const task = await engine.createTask({ type: 'ai.chat' })
const published = await publishUIMessageStream({
  publisher: engine,
  taskId: task.id,
  stream: (abortSignal) => streamText({ model: model(), prompt: 'Hi', abortSignal }).toUIMessageStream(),
})
const transport: ChatTransport<UIMessage> = new TaskcastChatTransport({ baseUrl, api: '/unused', resolveTaskId: () => task.id })
const viaTaskcast = await rebuilt((await transport.reconnectToStream({ chatId: 'chat' }))!)
const direct = await rebuilt(streamText({ model: model(), prompt: 'Hi' }).toUIMessageStream())
console.log(JSON.stringify({ published, same: JSON.stringify(viaTaskcast) === JSON.stringify(direct), message: viaTaskcast }))
server.close()
await engine.stop()
`

describe.runIf(enabled)('@taskcast/ai-sdk', () => {
  let aiTarballs: string[]

  beforeAll(async () => {
    const packed = join(workDir, 'tarballs-ai-sdk')
    await run('npx', [...PNPM, '-r', '--filter', '@taskcast/ai-sdk...', '--filter', '@taskcast/server...', 'pack', '--pack-destination', packed], {
      cwd: REPO_DIR,
      maxBuffer: 16 * 1024 * 1024,
    })
    aiTarballs = (await readdir(packed)).filter((name) => name.endsWith('.tgz')).map((name) => join(packed, name))
  }, 120_000)

  describe.each(AI_VERSIONS)('with the $name ai ($ai)', (versions) => {
    it('type-checks, then rebuilds the direct stream\'s message through a task', { timeout: 180_000 }, async () => {
      const dir = join(workDir, `ai-${versions.name}`)
      await mkdir(dir)
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `ai-sdk-${versions.name}`, private: true, type: 'module' }))
      await writeFile(join(dir, 'app.ts'), AI_APP)
      await copyFile(join(FIXTURE, 'tsconfig.json'), join(dir, 'tsconfig.json'))
      const newest = VERSIONS.find((each) => each.name === 'newest')!
      await run(
        'npm',
        ['install', '--no-audit', '--no-fund', '--prefer-offline', `ai@${versions.ai}`, `hono@${newest.hono}`, `@hono/node-server@${newest.nodeServer}`, '@types/node@20', ...aiTarballs],
        { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
      )
      await run(TSC, ['-p', 'tsconfig.json'], { cwd: dir })
      const { stdout } = await run(process.execPath, ['dist/app.js'], { cwd: dir })
      expect(JSON.parse(stdout)).toEqual({
        published: { status: 'completed', chunks: expect.any(Number) },
        same: true,
        message: { id: '', role: 'assistant', parts: [{ type: 'step-start' }, { type: 'text', text: 'Hello, world', state: 'done' }] },
      })
    })
  })
})
