// The X-Taskcast-Signature value: HMAC-SHA256 over the exact body bytes that go on the wire.
import { createHmac } from 'node:crypto'

export const SIGNATURE_HEADER = 'X-Taskcast-Signature'

/** `sha256=<lowercase hex>` of HMAC-SHA256(secret, body). */
export function signBody(body: Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}
