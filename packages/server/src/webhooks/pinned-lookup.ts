// A `lookup` for node:net that answers with addresses resolved beforehand (the ones the SSRF check
// passed), so that the connection cannot go anywhere a second DNS answer would send it.
import type { LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'

/**
 * The `lookup` option of `http.request` / `net.connect` that resolves any name to `addresses`.
 * It answers both forms net uses: one address (`all` unset) and the whole list (`all: true`, as
 * Happy Eyeballs asks), restricted to the family asked for when one is.
 */
export function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const entries: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) }))
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0)
    const matching = family === 0 ? entries : entries.filter((entry) => entry.family === family)
    if (matching.length === 0) {
      const error: NodeJS.ErrnoException = Object.assign(new Error(`no checked address of ${hostname} for IPv${family}`), {
        code: 'ENOTFOUND',
        hostname,
      })
      return callback(error, options.all ? [] : '', 0)
    }
    if (options.all) return callback(null, matching)
    callback(null, matching[0]!.address, matching[0]!.family)
  }
}
