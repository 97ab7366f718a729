// What a webhook test opened (receivers, engines, dispatchers), closed after it, last first.
import { afterEach } from 'vitest'
import { startReceiver, type Receiver, type ReceiverOptions, type Responder } from './receiver.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

export function afterThisTest(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup)
}

/** A loopback receiver closed after the test. */
export async function receiver(reply?: Responder, options?: ReceiverOptions): Promise<Receiver> {
  const r = await startReceiver(reply, options)
  afterThisTest(() => r.close())
  return r
}
