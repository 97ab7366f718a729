// The WebSocket mode of a worker (SPEC §18 push mode): one socket to `GET /workers/ws`, a hello
// on each (re)connect, and the server's offers accepted while the tasks it holds (accepted and
// not yet answered, assigned, running) are fewer than `capacity`. Each assigned task runs as in
// pull mode. A socket that fails or drops is reported and opened again after a backoff; stopping
// closes it (the server then gives back the tasks assigned and not yet started) and waits for
// the handlers that run.
import { TaskcastError, type Task } from '@taskcast/core'
import { backoffDelay, sleep, type TokenSource } from '@taskcast/core/wire'
import type { WorkerErrorContext, WorkerSettings } from './worker-options.js'
import { readServerMessage, type HelloMessage, type WorkerMessage } from './worker-socket-messages.js'
import { acceptsHeaders, OPEN, openSocket, workerSocketUrl, type WebSocketConstructor, type WorkerWebSocket } from './worker-socket.js'
import type { WorkerTask } from './worker-task.js'

type Report = (error: unknown, context: WorkerErrorContext) => void

/** The close code of a protocol violation, which the server closes with. */
const POLICY_VIOLATION = 1008
/** The close code of a worker that stops. */
const NORMAL_CLOSURE = 1000

/** How one connection ended. */
interface Closed {
  /** Whether the server spoke on it (an offer, an assignment): it took the hello. */
  heard: boolean
  error: TaskcastError
}

function closedError(code: number, reason: string, failure: unknown): TaskcastError {
  const message = `the worker socket closed (${code}${reason ? `: ${reason}` : ''})`
  return new TaskcastError(code === POLICY_VIOLATION ? 'VALIDATION_ERROR' : 'STORE_UNAVAILABLE', message, {
    details: { closeCode: code, ...(reason && { closeReason: reason }) },
    retryable: true,
    ...(failure !== undefined && { cause: failure }),
  })
}

async function resolveToken(token: TokenSource | undefined): Promise<string | undefined> {
  const value = typeof token === 'function' ? await token() : token
  return value || undefined
}

export class WorkerSocketLoop {
  /** Offers accepted on the open socket, neither assigned nor taken yet. */
  private readonly accepted = new Set<string>()
  /** Tasks assigned to this worker, being run. */
  private readonly runs = new Map<string, Promise<void>>()
  private readonly headers: boolean

  constructor(
    private readonly WebSocket: WebSocketConstructor,
    private readonly baseUrl: string,
    private readonly token: TokenSource | undefined,
    private readonly settings: WorkerSettings,
    private readonly tasks: WorkerTask,
    private readonly report: Report,
    private readonly stopping: AbortSignal,
  ) {
    this.headers = acceptsHeaders(WebSocket)
  }

  /** Tasks it holds now: accepted, assigned or running. */
  get held(): number {
    return this.accepted.size + this.runs.size
  }

  /** Connects until stopped; resolves once the socket is closed and every run is over. */
  async run(): Promise<void> {
    let failures = 0
    while (!this.stopping.aborted) {
      const closed = await this.connect()
      if (this.stopping.aborted) break
      // A connection the server served resets the backoff; one it closed at once (a refused token,
      // a refused hello with 1008) does not, so a worker it keeps refusing backs off further each time.
      if (closed.heard) failures = 0
      this.report(closed.error, { during: 'socket' })
      await sleep(backoffDelay(failures++, this.settings.retry), this.stopping)
    }
    await Promise.all(this.runs.values())
  }

  /** One socket, from its opening to its close. Never rejects. */
  private async connect(): Promise<Closed> {
    let token: string | undefined
    let socket: WorkerWebSocket
    try {
      token = await resolveToken(this.token)
      socket = openSocket(this.WebSocket, workerSocketUrl(this.baseUrl), this.headers ? token : undefined)
    } catch (error) {
      return { heard: false, error: TaskcastError.isInstance(error) ? error : closedError(1006, 'could not open the socket', error) }
    }
    return new Promise((resolve) => {
      let heard = false
      let failure: unknown
      const stop = (): void => socket.close(NORMAL_CLOSURE, 'worker stopped')
      socket.addEventListener('open', () => {
        const { workerId, types, tags, capacity } = this.settings
        const hello: HelloMessage = { type: 'hello', workerId, capacity, ...(types && { types }), ...(tags && { tags }) }
        if (!this.headers && token !== undefined) hello.token = token
        this.send(socket, hello)
      })
      socket.addEventListener('message', ({ data }) => {
        if (this.receive(socket, data)) heard = true
      })
      socket.addEventListener('error', (event) => (failure ??= event.error ?? event.message))
      socket.addEventListener('close', ({ code, reason }) => {
        this.stopping.removeEventListener('abort', stop)
        // The server gives back what was accepted on this socket and not yet assigned.
        this.accepted.clear()
        resolve({ heard, error: closedError(code, reason, failure) })
      })
      if (this.stopping.aborted) stop()
      else this.stopping.addEventListener('abort', stop, { once: true })
    })
  }

  /** Handles one frame; whether it was the server serving this worker (not an error). */
  private receive(socket: WorkerWebSocket, data: unknown): boolean {
    let message
    try {
      message = readServerMessage(data)
    } catch (error) {
      this.report(error, { during: 'socket' })
      return false
    }
    switch (message.type) {
      case 'offer':
        this.answerOffer(socket, message.task.id)
        return true
      case 'assigned':
        this.accepted.delete(message.task.id)
        this.start(message.task)
        return true
      case 'taken':
        this.accepted.delete(message.taskId)
        return true
      case 'error':
        this.report(message.error, { during: 'socket' })
        return false
      default:
        return false
    }
  }

  private answerOffer(socket: WorkerWebSocket, taskId: string): void {
    // Offered again while this worker holds it: its answer stands.
    if (this.accepted.has(taskId) || this.runs.has(taskId)) return
    // The server offers no more than `capacity` allows; declining past it keeps that true all the same.
    if (this.stopping.aborted || this.held >= this.settings.capacity) {
      this.send(socket, { type: 'decline', taskId })
      return
    }
    this.accepted.add(taskId)
    this.send(socket, { type: 'accept', taskId })
  }

  private start(task: Task): void {
    if (this.runs.has(task.id)) return
    const run = this.tasks.run(task).finally(() => this.runs.delete(task.id))
    this.runs.set(task.id, run)
  }

  private send(socket: WorkerWebSocket, message: WorkerMessage): void {
    // A socket closing meanwhile: the server gives back what this answer was about.
    if (socket.readyState === OPEN) socket.send(JSON.stringify(message))
  }
}
