// A test worker over a real WebSocket (the `ws` package): messages in arrival order, awaited one by one.
import WebSocket from 'ws'

export interface Received {
  type: string
  task?: { id: string; status: string; assignedTo?: { workerId: string } }
  taskId?: string
  code?: string
  message?: string
}

export class TestWorkerSocket {
  readonly socket: WebSocket
  readonly opened: Promise<void>
  /** The close code the socket ended with. */
  readonly closed: Promise<number>
  private readonly queue: Received[] = []
  private readonly waiting: ((message: Received) => void)[] = []

  constructor(url: string, headers: Record<string, string> = {}) {
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}/workers/ws`, { headers })
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve())
      this.socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)))
      this.socket.once('error', reject)
    })
    this.opened.catch(() => undefined)
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve(code)))
    this.socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Received
      const waiter = this.waiting.shift()
      if (waiter) waiter(message)
      else this.queue.push(message)
    })
  }

  static async open(url: string, headers?: Record<string, string>): Promise<TestWorkerSocket> {
    const worker = new TestWorkerSocket(url, headers)
    await worker.opened
    return worker
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** The next message from the server; fails after `timeoutMs`. */
  next(timeoutMs = 3000): Promise<Received> {
    const queued = this.queue.shift()
    if (queued) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const waiter = (message: Received) => {
        clearTimeout(timer)
        resolve(message)
      }
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1)
        reject(new Error('no message from the server'))
      }, timeoutMs)
      this.waiting.push(waiter)
    })
  }

  /** Messages received and not read yet. */
  get unread(): number {
    return this.queue.length
  }

  async close(): Promise<number> {
    this.socket.close(1000)
    return this.closed
  }
}
