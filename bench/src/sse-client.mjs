// The load generator's SSE side: one raw socket per subscriber (HTTP/1.1 parsed by hand), frames split
// incrementally, and only what integrity needs is parsed (the envelope's rawIndex, the done
// frame). Each subscriber checks its own sequence: lost, duplicated, out of order, unexpected.
import { connect } from 'node:net'

const RAW_INDEX = '"rawIndex":'
const EVENT_PREFIX = 'event: taskcast.event'
const DONE_PREFIX = 'event: taskcast.done'
const RETRY_PREFIX = 'retry:'

export class SseSubscriber {
  /**
   * @param {string} base server URL
   * @param {string} path e.g. `/tasks/<id>/events`
   * @param {{ expected: number[] | { from: number, to: number },
   *           onDelivery?: (rawIndex: number, now: number) => void,
   *           onFrameText?: (text: string) => void,
   *           notices?: boolean }} options
   *   `expected` is the exact rawIndex sequence the subscriber must receive before taskcast.done.
   *   `notices`: frames with rawIndex -1 (a task's creation notice on `GET /events`) are
   *   counted apart; anywhere else they are unexpected.
   */
  constructor(base, path, options) {
    this.base = base
    this.path = path
    const { expected } = options
    this.expectedList = Array.isArray(expected) ? expected : undefined
    this.from = Array.isArray(expected) ? 0 : expected.from
    this.to = Array.isArray(expected) ? expected.length - 1 : expected.to
    this.expectedCount = Array.isArray(expected) ? expected.length : expected.to - expected.from + 1
    this.onDelivery = options.onDelivery
    this.onFrameText = options.onFrameText
    this.acceptsNotices = options.notices === true
    this.notices = 0
    this.seen = new Uint8Array(Array.isArray(expected) ? expected.length : this.expectedCount)
    this.position = new Map(this.expectedList?.map((rawIndex, i) => [rawIndex, i]))
    this.last = -1
    this.received = 0
    this.unique = 0
    this.duplicated = 0
    this.outOfOrder = 0
    this.unexpected = 0
    this.framesAfterDone = 0
    this.pings = 0
    this.retries = 0
    this.gotDone = false
    this.doneReason = undefined
    this.rest = ''
    this.status = 0
    this.error = undefined
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve))
  }

  /**
   * Connects over a raw socket (the HTTP client's stream layers cost more than the parsing) and
   * resolves once the response head arrived with status 200.
   */
  open() {
    const url = new URL(this.path, this.base)
    this.head = ''
    this.chunked = false
    this.chunkLeft = 0
    this.crlfLeft = 0
    this.sizeLine = ''
    return new Promise((resolve, reject) => {
      this.onHead = (error) => (error ? reject(error) : resolve())
      const socket = connect(Number(url.port), url.hostname)
      this.socket = socket
      socket.setNoDelay(true)
      socket.on('connect', () => {
        socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`)
      })
      socket.on('data', (chunk) => this.onData(chunk))
      socket.on('error', (error) => {
        this.error = error
        this.finish(error)
      })
      socket.on('close', () => this.finish(new Error('connection closed before the response head')))
    })
  }

  close() {
    this.socket?.destroy()
  }

  finish(error) {
    if (this.head !== undefined) this.onHead?.(error)
    this.head = undefined
    this.socket?.destroy()
    this.resolveEnded()
  }

  onData(chunk) {
    const now = performance.now()
    const s = chunk.toString('latin1')
    let pos = 0
    if (this.head !== undefined) {
      this.head += s
      const headEnd = this.head.indexOf('\r\n\r\n')
      if (headEnd < 0) return
      const head = this.head.slice(0, headEnd)
      const rest = this.head.slice(headEnd + 4)
      this.head = undefined
      this.status = Number(head.slice(9, 12))
      if (this.status !== 200) {
        this.onHead(new Error(`GET ${this.path} → ${this.status}`))
        this.socket.destroy()
        return this.resolveEnded()
      }
      this.chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head)
      this.onHead()
      if (rest.length > 0) this.onData(Buffer.from(rest, 'latin1'))
      return
    }
    if (!this.chunked) return this.onBody(s, 0, s.length, now)
    // HTTP/1.1 chunked framing: "<hex size>\r\n<data>\r\n", ended by a zero-size chunk.
    while (pos < s.length) {
      if (this.chunkLeft > 0) {
        const end = Math.min(s.length, pos + this.chunkLeft)
        this.onBody(s, pos, end, now)
        this.chunkLeft -= end - pos
        pos = end
        if (this.chunkLeft === 0) this.crlfLeft = 2
      } else if (this.crlfLeft > 0) {
        pos++
        this.crlfLeft--
      } else {
        const lineEnd = s.indexOf('\r\n', pos)
        if (lineEnd < 0) {
          this.sizeLine += s.slice(pos)
          return
        }
        const size = parseInt(this.sizeLine + s.slice(pos, lineEnd), 16)
        this.sizeLine = ''
        pos = lineEnd + 2
        if (size === 0) return this.finish()
        this.chunkLeft = size
      }
    }
  }

  /** Body bytes s[start, end): complete frames are handled, a partial one is kept. */
  onBody(s, start, end, now) {
    let text = s
    if (this.rest.length > 0) {
      text = this.rest + s.slice(start, end)
      start = 0
      end = text.length
    }
    for (;;) {
      const frameEnd = text.indexOf('\n\n', start)
      if (frameEnd < 0 || frameEnd + 2 > end) break
      this.onFrame(text, start, frameEnd, now)
      start = frameEnd + 2
    }
    this.rest = start >= end ? '' : text.slice(start, end)
  }

  onFrame(text, start, end, now) {
    if (this.gotDone) {
      this.framesAfterDone++
      return
    }
    if (text.startsWith(EVENT_PREFIX, start)) {
      const at = text.indexOf(RAW_INDEX, start)
      if (at < 0 || at > end) {
        this.unexpected++
        return
      }
      // A notice (rawIndex -1) belongs to no task's sequence.
      if (text.charCodeAt(at + RAW_INDEX.length) === 45 /* '-' */) {
        if (this.acceptsNotices) this.notices++
        else this.unexpected++
        return
      }
      let rawIndex = 0
      for (let i = at + RAW_INDEX.length; ; i++) {
        const digit = text.charCodeAt(i) - 48
        if (digit < 0 || digit > 9) break
        rawIndex = rawIndex * 10 + digit
      }
      this.onFrameText?.(text.slice(start, end))
      this.record(rawIndex, now)
    } else if (text.startsWith(DONE_PREFIX, start)) {
      this.gotDone = true
      const reason = /"reason":"([a-z]+)"/.exec(text.slice(start, end))
      this.doneReason = reason?.[1]
    } else if (text.charCodeAt(start) === 58 /* ':' */) {
      this.pings++
    } else if (text.startsWith(RETRY_PREFIX, start)) {
      // The reconnect delay every stream starts with: no event.
      this.retries++
    } else {
      this.unexpected++
    }
  }

  record(rawIndex, now) {
    this.received++
    let slot
    if (this.expectedList) slot = this.position.get(rawIndex)
    else if (rawIndex >= this.from && rawIndex <= this.to) slot = rawIndex - this.from
    if (slot === undefined) {
      this.unexpected++
      return
    }
    if (this.seen[slot]) this.duplicated++
    else {
      this.seen[slot] = 1
      this.unique++
    }
    if (slot < this.last) this.outOfOrder++
    this.last = slot
    this.onDelivery?.(rawIndex, now)
  }

  /** Integrity figures once the stream ended. */
  integrity() {
    return {
      lost: this.expectedCount - this.unique,
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      unexpected: this.unexpected + this.framesAfterDone,
      missingDone: this.gotDone ? 0 : 1,
    }
  }
}

/** Opens `count` subscribers, `concurrency` connects at a time. */
export async function openAll(count, make, concurrency = 50) {
  const subscribers = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const subscriber = make(next++)
      subscribers.push(subscriber)
      await subscriber.open()
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return subscribers
}

/** Sums the integrity figures of many subscribers. */
export function sumIntegrity(subscribers) {
  const total = { subscribers: subscribers.length, lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0, missingDone: 0 }
  for (const subscriber of subscribers) {
    const figures = subscriber.integrity()
    for (const key of Object.keys(figures)) total[key] += figures[key]
  }
  total.ok = total.lost + total.duplicated + total.outOfOrder + total.unexpected + total.missingDone === 0
  return total
}

/** Resolves when every subscriber's stream ended, or rejects after `timeoutMs`. */
export async function allEnded(subscribers, timeoutMs) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`streams still open after ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    await Promise.race([Promise.all(subscribers.map((s) => s.ended)), timeout])
  } finally {
    clearTimeout(timer)
  }
}
