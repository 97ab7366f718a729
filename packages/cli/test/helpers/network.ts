// An address of this machine outside loopback, to prove who can reach a server: tests that need
// one are skipped loudly without it, and fail under CI=true.
import { networkInterfaces } from 'node:os'
import { it } from 'vitest'

/** The first non-internal IPv4 address of this machine (e.g. `192.0.2.2`), if it has one. */
export const LAN_ADDRESS: string | undefined = Object.values(networkInterfaces())
  .flat()
  .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal)?.address

/** True when {@link LAN_ADDRESS} is set; otherwise registers one test that fails under CI=true or is skipped loudly. */
export function lanAddressAvailable(suite: string): boolean {
  if (LAN_ADDRESS !== undefined) return true
  const reason = 'this machine has no IPv4 address outside loopback'
  if (process.env.CI === 'true') {
    it(`${suite}: a non-loopback address exists`, () => {
      throw new Error(`${reason}; CI=true requires one`)
    })
  } else {
    console.warn(`\n⚠️  SKIPPING ${suite}: ${reason}.\n`)
    it.skip(`${suite} (no non-loopback address)`, () => {})
  }
  return false
}
