// Removes the keys a Redis-mode run left behind (its random prefix), over a bare RESP socket so the
// benchmark needs no Redis client. Keys also carry a retention TTL, so a crash leaks nothing for long.
import { connect } from 'node:net'

function encode(args) {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')
}

/** Parses one RESP reply at `at`; returns [value, nextOffset] or undefined when incomplete. */
function parse(text, at) {
  const lineEnd = text.indexOf('\r\n', at)
  if (lineEnd < 0) return undefined
  const kind = text[at]
  const head = text.slice(at + 1, lineEnd)
  if (kind === '+' || kind === ':') return [head, lineEnd + 2]
  if (kind === '-') throw new Error(`redis: ${head}`)
  if (kind === '$') {
    const length = Number(head)
    if (length < 0) return [null, lineEnd + 2]
    if (text.length < lineEnd + 2 + length + 2) return undefined
    return [text.slice(lineEnd + 2, lineEnd + 2 + length), lineEnd + 4 + length]
  }
  if (kind === '*') {
    const items = []
    let next = lineEnd + 2
    for (let i = 0; i < Number(head); i++) {
      const item = parse(text, next)
      if (!item) return undefined
      items.push(item[0])
      next = item[1]
    }
    return [items, next]
  }
  throw new Error(`redis: unexpected reply ${kind}`)
}

export async function deleteKeysWithPrefix(redisUrl, prefix) {
  const url = new URL(redisUrl)
  const socket = connect(Number(url.port || 6379), url.hostname)
  socket.setEncoding('latin1')
  let buffer = ''
  let waiting
  socket.on('data', (chunk) => {
    buffer += chunk
    waiting?.()
  })
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const command = async (...args) => {
    socket.write(encode(args))
    for (;;) {
      const reply = buffer ? parse(buffer, 0) : undefined
      if (reply) {
        buffer = buffer.slice(reply[1])
        return reply[0]
      }
      await new Promise((resolve) => (waiting = resolve))
    }
  }
  let removed = 0
  try {
    if (url.password) await command('AUTH', decodeURIComponent(url.password))
    let cursor = '0'
    do {
      const [next, keys] = await command('SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000')
      cursor = next
      if (keys.length > 0) removed += Number(await command('UNLINK', ...keys))
    } while (cursor !== '0')
  } finally {
    socket.end()
  }
  return removed
}
