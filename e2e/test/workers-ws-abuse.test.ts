// What a misbehaving WebSocket worker does to `GET /workers/ws` (SPEC §18, push mode), on one real
// process on Redis (the store outside the process, so that its memory is the server's own).
// Each frame gets the answer ws-session.ts gives it: an `error` message on a socket that stays
// usable (proved by a hello answered with an offer, or an accept answered with `assigned`), or an
// `error` and a close 1008; a frame over 64 KiB a close 1009 (refused by `ws` before it is
// buffered), a text frame that is not UTF-8 a close 1007. Accepts of tasks not on offer, late
// and concurrent, get `taken` or `VALIDATION_ERROR`. 1,000 hello/close cycles leave nothing
// behind (heap and Buffers after a forced GC, and `GET /workers`). Through all of it the process
// stays up, logs no error, and still serves /health and a worker's round trip.
import type { Socket } from 'node:net'
import { STATUS_EVENT_TYPE, type StatusEventData, type Task } from '@taskcast/core'
import { TaskcastServerClient, type WorkerErrorContext } from '@taskcast/server-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { sharedConfig } from './support/cluster.js'
import { sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { TaskcastServer } from './support/taskcast-process.js'

/** The server's `WORKER_WS_MAX_MESSAGE_BYTES`, the `maxPayload` the CLI gives `ws`. */
const MAX_MESSAGE_BYTES = 65_536
const CYCLES = 1_000
/** Sockets open at once in the cycles: one accepts, the others hear `taken`. */
const CYCLE_BATCH = 10
/** Cycles run before the first reading, so that what is allocated once (code, caches) is not counted. */
const WARM_UP_CYCLES = 100
/**
 * Heap and Buffers held after the cycles (forced GC), beyond what was held before. A socket the
 * server holds costs about 13 KiB of them (measured with 500 helloed sockets open): 1,000 kept
 * would be 13 MiB, and this catches a couple of hundred. A server that keeps nothing measured
 * 1.4–1.8 MiB over 1,000 to 4,000 cycles (a one-off growth that does not scale with the cycles).
 */
const HELD_GROWTH_LIMIT = 4 * 1024 * 1024

type ServerMessage =
  | { type: 'offer' | 'assigned'; task: Task }
  | { type: 'taken'; taskId: string }
  | { type: 'error'; code: string; message: string }

interface Closed {
  code: number
  reason: string
}

/** A raw worker socket: sends anything, and reads what the server sends in order. */
class Peer {
  readonly closed: Promise<Closed>
  private readonly socket: WebSocket
  private readonly inbox: ServerMessage[] = []
  private ended: Closed | undefined
  private wake: (() => void) | undefined

  private constructor(baseUrl: string) {
    const url = new URL('/workers/ws', baseUrl)
    url.protocol = 'ws:'
    this.socket = new WebSocket(url)
    // A failure shows as the close that follows it.
    this.socket.on('error', () => undefined)
    this.socket.on('message', (data) => {
      this.inbox.push(JSON.parse(data.toString()) as ServerMessage)
      this.wake?.()
    })
    this.closed = new Promise((resolve) =>
      this.socket.once('close', (code, reason) => {
        this.ended = { code, reason: reason.toString() }
        this.wake?.()
        resolve(this.ended)
      }),
    )
  }

  static async open(baseUrl: string): Promise<Peer> {
    const peer = new Peer(baseUrl)
    await new Promise<void>((resolve, reject) => {
      peer.socket.once('open', () => resolve())
      void peer.closed.then(({ code }) => reject(new Error(`the socket closed (${code}) before it opened`)))
    })
    return peer
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message))
  }

  /** A frame as it is, text or binary, valid or not. */
  sendRaw(data: string | Buffer, binary: boolean): void {
    this.socket.send(data, { binary })
  }

  /**
   * Messages in one TCP write, so that the server reads them in one chunk and handles them one
   * after the other before anything it awaits (the hello's check) is done. `ws` has no API for
   * it: its socket is corked around the sends.
   */
  sendTogether(messages: unknown[]): void {
    const tcp = (this.socket as unknown as { _socket: Socket })._socket
    tcp.cork()
    for (const message of messages) this.send(message)
    tcp.uncork()
  }

  hello(workerId: string, types: string[], capacity = 1): void {
    this.send({ type: 'hello', workerId, types, capacity })
  }

  /** The next message; rejects when the socket closes first, or after `timeoutMs` (a bound). */
  async next(timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs
    while (this.inbox.length === 0) {
      if (this.ended) throw new Error(`the socket closed (${this.ended.code} ${this.ended.reason}) with no message`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    return this.inbox.shift()!
  }

  /** Messages received and not read yet. */
  get unread(): readonly ServerMessage[] {
    return this.inbox
  }

  close(): Promise<Closed> {
    this.socket.close(1000)
    return this.closed
  }
}

const offerOf = (task: Task) => ({ type: 'offer', task: expect.objectContaining({ id: task.id, status: 'pending' }) })
const assignedOf = (task: Task, workerId: string) => ({
  type: 'assigned',
  task: expect.objectContaining({ id: task.id, status: 'assigned', assignedTo: expect.objectContaining({ workerId }) }),
})

/** A message in a word or three, to compare messages whose order is not fixed. */
function describeMessage(message: ServerMessage): string {
  if (message.type === 'offer') return `offer ${message.task.id}`
  if (message.type === 'assigned') return `assigned ${message.task.id} to ${message.task.assignedTo?.workerId}`
  return JSON.stringify(message)
}

/** The task's status moves as `status:worker` or `status:reason`. */
async function statusMoves(client: TaskcastServerClient, taskId: string): Promise<string[]> {
  return (await client.getHistory(taskId))
    .filter((event) => event.type === STATUS_EVENT_TYPE)
    .map(({ data }) => {
      const { status, workerId, reason } = data as StatusEventData
      return `${status}:${workerId ?? reason}`
    })
}

const invalid = (message: string) => ({ type: 'error', code: 'VALIDATION_ERROR', message })

const NOT_AN_OBJECT = 'a message must be a JSON object'
const NOT_TEXT = 'messages are JSON in text frames'
const unknownType = (shown: string) => `unknown message type ${shown}: expected hello, accept or decline`
const CAPACITY = 'capacity must be an integer from 1 to 100'
const BAD_ID = "workerId must be 1–128 characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
const FIRST_HELLO = 'the first message must be one hello'
const HELLO_PENDING = 'a message came while the hello was still being checked: send nothing more until an offer'
const notOnOffer = (taskId: string) => `task ${taskId} is not on offer to this worker (never offered, or already answered)`

/** A frame a worker may send, what it is called in a failure message, and how the server answers. */
interface Garbage {
  name: string
  send: (peer: Peer) => void
  answer: ServerMessage
}

const text = (name: string, data: string, message: string): Garbage => ({ name, send: (peer) => peer.sendRaw(data, false), answer: invalid(message) as ServerMessage })
const json = (name: string, value: unknown, message: string): Garbage => text(name, JSON.stringify(value), message)
const binary: Garbage = { name: 'a binary frame', send: (peer) => peer.sendRaw(Buffer.from('{"type":"hello"}'), true), answer: invalid(NOT_TEXT) as ServerMessage }

/** Answered with an error, before or after the hello, and the socket stays usable. */
const GARBAGE: Garbage[] = [
  text('not JSON', 'hello there', NOT_AN_OBJECT),
  text('truncated JSON', '{"type":"hello","workerId":', NOT_AN_OBJECT),
  text('an empty text frame', '', NOT_AN_OBJECT),
  binary,
  json('an array', [{ type: 'hello', workerId: 'w' }], NOT_AN_OBJECT),
  json('null', null, NOT_AN_OBJECT),
  json('a string', 'hello', NOT_AN_OBJECT),
  json('a number', 42, NOT_AN_OBJECT),
  json('an object without a type', { workerId: 'w' }, unknownType('undefined')),
  json('an unknown type', { type: 'ping' }, unknownType('"ping"')),
  json('a type that is not a string', { type: ['hello'] }, unknownType('["hello"]')),
  json('accept without a taskId', { type: 'accept' }, 'accept needs a taskId'),
  json('decline with an empty taskId', { type: 'decline', taskId: '' }, 'decline needs a taskId'),
]

/** Hellos answered with an error before any hello took; the socket may say a better one. */
const BAD_HELLOS: Garbage[] = [
  json('capacity 0', { type: 'hello', workerId: 'w', capacity: 0 }, CAPACITY),
  json('capacity 101', { type: 'hello', workerId: 'w', capacity: 101 }, CAPACITY),
  json('capacity 1.5', { type: 'hello', workerId: 'w', capacity: 1.5 }, CAPACITY),
  json('capacity as a string', { type: 'hello', workerId: 'w', capacity: '2' }, CAPACITY),
  json('no workerId', { type: 'hello', capacity: 1 }, 'hello needs a workerId'),
  json('a numeric workerId', { type: 'hello', workerId: 7 }, 'hello needs a workerId'),
  json('an empty token', { type: 'hello', workerId: 'w', token: '' }, 'token must be a non-empty string'),
  json('a workerId with a space', { type: 'hello', workerId: 'bad id' }, BAD_ID),
  json('a workerId of 129 characters', { type: 'hello', workerId: 'w'.repeat(129) }, BAD_ID),
  json('types not a list', { type: 'hello', workerId: 'w', types: 'e2e.x' }, 'types must list one or more task types or patterns'),
  json('an empty types list', { type: 'hello', workerId: 'w', types: [] }, 'types must list one or more task types or patterns'),
]

if (await servicesAvailable('workers: a misbehaving WebSocket worker', ['redis'])) {
  describe('GET /workers/ws against garbage, oversized frames, stray accepts and 1,000 hello/close cycles (one process on Redis)', () => {
    const keyPrefix = keyPrefixFor('workers-ws-abuse')
    let server: TaskcastServer
    let probe: Task
    const PROBE_TYPE = 'e2e.abuse.probe'

    beforeAll(async () => {
      server = await TaskcastServer.start('A', sharedConfig({ redisUrl: REDIS_URL, keyPrefix }), { measureMemory: true })
      // Pending for the whole file: a hello of its type is answered with its offer.
      probe = await sdk(server.url).createTask({ type: PROBE_TYPE, assign: {} })
    })
    afterAll(async () => {
      await server?.stop()
      await deleteKeysUnder(keyPrefix)
    })

    /** A socket that has said its hello: the server answered it with the probe's offer. */
    async function helloed(workerId: string): Promise<Peer> {
      const peer = await Peer.open(server.url)
      peer.hello(workerId, [PROBE_TYPE])
      expect(await peer.next()).toEqual(offerOf(probe))
      return peer
    }

    /** The socket still works as a worker: the offered probe is accepted and assigned; closing gives it back. */
    async function expectUsableWorker(peer: Peer, workerId: string, label: string): Promise<void> {
      peer.send({ type: 'accept', taskId: probe.id })
      expect(await peer.next(), label).toEqual(assignedOf(probe, workerId))
      expect(await peer.close(), label).toEqual({ code: 1000, reason: '' })
      // Back before the next case says its hello, so that the hello is answered with its offer.
      await sdk(server.url).waitForStatus(probe.id, ['pending'])
    }

    it('garbage before the hello: an error each, and the socket then says its hello and is offered the probe', async () => {
      for (const garbage of [...GARBAGE, ...BAD_HELLOS]) {
        const peer = await Peer.open(server.url)
        garbage.send(peer)
        expect(await peer.next(), garbage.name).toEqual(garbage.answer)
        peer.hello('after-garbage', [PROBE_TYPE])
        expect(await peer.next(), garbage.name).toEqual(offerOf(probe))
        expect(await peer.close(), garbage.name).toEqual({ code: 1000, reason: '' })
      }
    })

    it('garbage after the hello: an error each, and the socket then accepts the probe and is assigned it', async () => {
      const afterHello = [
        ...GARBAGE,
        json('decline of a task never offered', { type: 'decline', taskId: 'never-offered' }, 'task never-offered is not on offer to this worker'),
        json('accept of a task that does not exist', { type: 'accept', taskId: 'no-such-task' }, notOnOffer('no-such-task')),
      ]
      for (const [i, garbage] of afterHello.entries()) {
        const workerId = `garbage-${i}`
        const peer = await helloed(workerId)
        garbage.send(peer)
        expect(await peer.next(), garbage.name).toEqual(garbage.answer)
        await expectUsableWorker(peer, workerId, garbage.name)
      }
    })

    it('the first message not a hello, a second hello, two hellos at once: an error and a close 1008', async () => {
      const hello = (workerId: string) => ({ type: 'hello', workerId, types: [PROBE_TYPE], capacity: 1 })
      const cases: { name: string; run: (peer: Peer) => Promise<void> | void; message: string }[] = [
        { name: 'accept before the hello', run: (peer) => peer.send({ type: 'accept', taskId: probe.id }), message: FIRST_HELLO },
        { name: 'decline before the hello', run: (peer) => peer.send({ type: 'decline', taskId: probe.id }), message: FIRST_HELLO },
        {
          name: 'a second hello',
          run: async (peer) => {
            peer.hello('twice', [PROBE_TYPE])
            expect(await peer.next()).toEqual(offerOf(probe))
            peer.hello('twice', [PROBE_TYPE])
          },
          message: 'hello was already said on this socket',
        },
        {
          // The second arrives while the first is still being checked (an async join).
          name: 'two hellos in one write',
          run: (peer) => peer.sendTogether([hello('eager'), hello('eager')]),
          message: HELLO_PENDING,
        },
        {
          // No answer says that a hello took; a message sent with it is refused, saying why.
          name: 'an accept in the same write as the hello',
          run: (peer) => peer.sendTogether([hello('hasty'), { type: 'accept', taskId: probe.id }]),
          message: HELLO_PENDING,
        },
      ]
      for (const { name, run, message } of cases) {
        const peer = await Peer.open(server.url)
        await run(peer)
        expect(await peer.next(), name).toEqual(invalid(message))
        expect(await peer.closed, name).toEqual({ code: 1008, reason: message })
        expect(peer.unread, name).toEqual([])
      }
      expect(await sdk(server.url).getTask(probe.id)).toMatchObject({ status: 'pending' })
    })

    it('a frame over 64 KiB is closed with 1009 (text or binary, 2 MiB or one byte over); one of exactly 64 KiB is read; bad UTF-8 is closed with 1007', async () => {
      const oversized: { name: string; data: string | Buffer; binary: boolean }[] = [
        { name: '2 MiB of text', data: 'x'.repeat(2 * 1024 * 1024), binary: false },
        { name: '2 MiB binary', data: Buffer.alloc(2 * 1024 * 1024, 1), binary: true },
        { name: '64 KiB + 1 of text', data: 'x'.repeat(MAX_MESSAGE_BYTES + 1), binary: false },
        { name: '64 KiB + 1 of text after the hello', data: 'x'.repeat(MAX_MESSAGE_BYTES + 1), binary: false },
      ]
      const closes: Record<string, Closed> = {}
      for (const { name, data, binary } of oversized) {
        const peer = name.endsWith('after the hello') ? await helloed('big') : await Peer.open(server.url)
        peer.sendRaw(data, binary)
        closes[name] = await peer.closed
        expect(closes[name], name).toEqual({ code: 1009, reason: '' })
        expect(peer.unread, name).toEqual([])
      }

      // Exactly at the limit: a hello padded to 65,536 bytes is a hello like any other.
      const head = { type: 'hello', workerId: 'at-the-limit', types: [PROBE_TYPE], capacity: 1, pad: '' }
      const padded = JSON.stringify({ ...head, pad: 'x'.repeat(MAX_MESSAGE_BYTES - JSON.stringify(head).length) })
      expect(Buffer.byteLength(padded)).toBe(MAX_MESSAGE_BYTES)
      const atLimit = await Peer.open(server.url)
      atLimit.sendRaw(padded, false)
      expect(await atLimit.next()).toEqual(offerOf(probe))
      await expectUsableWorker(atLimit, 'at-the-limit', 'a hello of exactly 64 KiB')

      const badUtf8 = await Peer.open(server.url)
      badUtf8.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false)
      closes['invalid UTF-8 in a text frame'] = await badUtf8.closed
      expect(closes['invalid UTF-8 in a text frame']).toEqual({ code: 1007, reason: '' })
      printSummary({ scenario: 'worker socket: oversized and malformed frames', closes })
    })

    it('accepts of tasks not on offer: VALIDATION_ERROR; after `taken`: `taken` again; two at once: one assigned, one `taken`', async () => {
      const client = sdk(server.url)
      const type = 'e2e.abuse.race'
      const other = await client.createTask({ type: 'e2e.abuse.elsewhere', assign: {} })
      const first = await Peer.open(server.url)
      const second = await Peer.open(server.url)
      for (const [peer, workerId] of [[first, 'first'], [second, 'second']] as const) {
        // The probe's offer says the hello took; declined, it leaves the room to the race's tasks.
        peer.hello(workerId, [type, PROBE_TYPE], 2)
        expect(await peer.next()).toEqual(offerOf(probe))
        peer.send({ type: 'decline', taskId: probe.id })
      }

      // A task that exists but was never offered to this worker (another type).
      first.send({ type: 'accept', taskId: other.id })
      expect(await first.next()).toEqual(invalid(notOnOffer(other.id)))

      // One accepts, the other hears `taken`, accepts all the same, and hears `taken` again.
      const task = await client.createTask({ type, assign: {} })
      expect(await first.next()).toEqual(offerOf(task))
      expect(await second.next()).toEqual(offerOf(task))
      first.send({ type: 'accept', taskId: task.id })
      expect(await first.next()).toEqual(assignedOf(task, 'first'))
      expect(await second.next()).toEqual({ type: 'taken', taskId: task.id })
      second.send({ type: 'accept', taskId: task.id })
      expect(await second.next()).toEqual({ type: 'taken', taskId: task.id })
      // A decline of it is silent: the next answer on the socket is the one to the accept that follows.
      second.send({ type: 'decline', taskId: task.id })
      second.send({ type: 'accept', taskId: 'no-such-task' })
      expect(await second.next()).toEqual(invalid(notOnOffer('no-such-task')))
      // The winner's second accept: it is no longer on offer to it either.
      first.send({ type: 'accept', taskId: task.id })
      expect(await first.next()).toEqual(invalid(notOnOffer(task.id)))

      // Both accept before either hears back: the first accept the engine sees wins.
      const contested = await client.createTask({ type, assign: {} })
      expect(await first.next()).toEqual(offerOf(contested))
      expect(await second.next()).toEqual(offerOf(contested))
      first.send({ type: 'accept', taskId: contested.id })
      second.send({ type: 'accept', taskId: contested.id })
      const answers = [await first.next(), await second.next()]
      const winner = (await client.getTask(contested.id))!.assignedTo!.workerId
      expect(['first', 'second']).toContain(winner)
      expect(answers).toEqual(
        winner === 'first'
          ? [assignedOf(contested, 'first'), { type: 'taken', taskId: contested.id }]
          : [{ type: 'taken', taskId: contested.id }, assignedOf(contested, 'second')],
      )

      // The first worker goes: what it held is pending again, offered to the second (in either
      // order: the two go back at once), which takes it.
      await first.close()
      const back = winner === 'first' ? [task, contested] : [task]
      const seen = async (count: number) => {
        const messages: string[] = []
        for (let i = 0; i < count; i++) messages.push(describeMessage(await second.next()))
        return messages.sort()
      }
      expect(await seen(back.length)).toEqual(back.map(({ id }) => `offer ${id}`).sort())
      for (const { id } of back) second.send({ type: 'accept', taskId: id })
      expect(await seen(back.length)).toEqual(back.map(({ id }) => `assigned ${id} to second`).sort())
      await second.close()
      for (const { id } of [task, contested]) await client.waitForStatus(id, ['pending'])
      expect(await statusMoves(client, task.id)).toEqual(['assigned:first', 'pending:worker-lost', 'assigned:second', 'pending:worker-lost'])
      expect(await statusMoves(client, contested.id)).toEqual(
        winner === 'first'
          ? ['assigned:first', 'pending:worker-lost', 'assigned:second', 'pending:worker-lost']
          : ['assigned:second', 'pending:worker-lost'],
      )
      printSummary({ scenario: 'worker socket: stray accepts', contestedWinner: winner })
    })

    it('a socket that never says hello: an error and a close 1008 after 10 s', async () => {
      const silent = await Peer.open(server.url)
      const opened = Date.now()
      expect(await silent.next(15_000)).toEqual(invalid('no hello in time'))
      expect(await silent.closed).toEqual({ code: 1008, reason: 'no hello in time' })
      const afterMs = Date.now() - opened
      expect(afterMs).toBeGreaterThanOrEqual(9_900)
      expect(afterMs).toBeLessThan(12_000)
      printSummary({ scenario: 'worker socket: no hello', closedAfterMs: afterMs })
    })

    it(`${CYCLES} hello/close cycles (${CYCLE_BATCH} at a time, one accepting) leave no socket, worker or memory behind`, async () => {
      const client = sdk(server.url)
      let cycle = 0
      /** One batch: each says hello and is offered the batch's own task; one accepts it, the others hear `taken`; all close. */
      const batch = async (n: number) => {
        const task = await client.createTask({ type: `e2e.abuse.cycle.${n}`, assign: {} })
        const peers = await Promise.all(Array.from({ length: CYCLE_BATCH }, () => Peer.open(server.url)))
        peers.forEach((peer) => peer.hello(`cycle-${cycle++}`, [`e2e.abuse.cycle.${n}`]))
        for (const peer of peers) expect(await peer.next()).toEqual(offerOf(task))
        peers[0]!.send({ type: 'accept', taskId: task.id })
        expect(await peers[0]!.next()).toMatchObject({ type: 'assigned', task: { id: task.id } })
        for (const peer of peers.slice(1)) expect(await peer.next()).toEqual({ type: 'taken', taskId: task.id })
        for (const closed of await Promise.all(peers.map((peer) => peer.close()))) expect(closed).toEqual({ code: 1000, reason: '' })
        return task.id
      }
      const warmUp: string[] = []
      for (let n = 0; n < WARM_UP_CYCLES / CYCLE_BATCH; n++) warmUp.push(await batch(n))
      const before = await server.memory()
      const started = Date.now()
      const measured: string[] = []
      for (let n = 0; n < CYCLES / CYCLE_BATCH; n++) measured.push(await batch(WARM_UP_CYCLES / CYCLE_BATCH + n))
      const elapsedMs = Date.now() - started
      // Every winner's task given back when its socket closed; then nothing of the sockets is left.
      for (const id of [...warmUp, ...measured]) await client.waitForStatus(id, ['pending'])
      const workers = (await (await fetch(`${server.url}/workers`)).json()) as { workers: unknown[] }
      expect(workers).toEqual({ workers: [] })
      const after = await server.memory()

      const held = after.heapUsed + after.external - (before.heapUsed + before.external)
      const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10
      printSummary({
        scenario: 'worker socket: hello/close cycles',
        cycles: CYCLES,
        elapsedMs,
        cyclesPerSecond: Math.round((CYCLES / elapsedMs) * 1000),
        rssMiB: { before: mib(before.rss), after: mib(after.rss) },
        heapUsedMiB: { before: mib(before.heapUsed), after: mib(after.heapUsed) },
        externalMiB: { before: mib(before.external), after: mib(after.external) },
        heldGrowthKiB: Math.round(held / 1024),
      })
      expect(held).toBeLessThan(HELD_GROWTH_LIMIT)
    })

    it('the process is still up, logs no error, serves /health and runs a WebSocket worker’s task', async () => {
      expect(server.alive).toBe(true)
      const health = await fetch(`${server.url}/health`)
      expect(health.status).toBe(200)

      const errors: [unknown, WorkerErrorContext][] = []
      const client = new TaskcastServerClient({ baseUrl: server.url })
      const worker = client.worker({
        workerId: 'after-abuse',
        mode: 'ws',
        WebSocket,
        types: ['e2e.abuse.final'],
        handler: async (task) => ({ echoed: task.params }),
        onError: (error, context) => errors.push([error, context]),
      })
      const task = await client.createTask({ type: 'e2e.abuse.final', params: { n: 1 }, assign: {} })
      expect(await client.waitForStatus(task.id, ['completed'])).toMatchObject({ result: { echoed: { n: 1 } }, assignedTo: { workerId: 'after-abuse' } })
      await worker.stop()
      expect(errors).toEqual([])

      expect(server.alive).toBe(true)
      // Nothing but info lines (the banner): no error or warning logged, no stack trace on stderr.
      expect(server.log.split('\n').filter((line) => line !== '' && !/^\S+ INFO {2}/.test(line))).toEqual([])
    })
  })
}
