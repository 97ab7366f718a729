import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Whether `header` (the X-Taskcast-Signature value) is the signature of `rawBody` with `secret`.
 * `rawBody` must be the bytes as received: parsing and re-encoding the JSON changes them.
 */
export function verifyTaskcastSignature(secret, rawBody, header) {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'))
  const given = Buffer.from(header.slice('sha256='.length))
  return given.length === expected.length && timingSafeEqual(given, expected)
}
