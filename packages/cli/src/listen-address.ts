// The address a server is bound to, as users should see it: its URL, whether it is every
// interface, and whether only this machine can reach it.
import { isIPv4, isIPv6 } from 'node:net'

/**
 * The URL of a bound address, wildcards included: `http://127.0.0.1:3721`, `http://[::1]:3721`,
 * `http://0.0.0.0:3721`. It names what was bound, not a guess at what a client should dial.
 */
export function listenUrl(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`
}

/** `0.0.0.0` or `::`: every interface. */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || canonicalIPv6(address) === '::'
}

/**
 * Whether only this machine can reach `host`: `localhost`, an address in 127.0.0.0/8, `::1`, or
 * an IPv4-mapped loopback address (`::ffff:127.0.0.1`). Brackets around IPv6 are allowed.
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (bare === 'localhost') return true
  if (isIPv4(bare)) return bare.startsWith('127.')
  const canonical = canonicalIPv6(bare)
  // The URL parser writes a mapped address in hex: ::ffff:127.0.0.1 becomes ::ffff:7f00:1.
  return canonical === '::1' || (canonical !== undefined && /^::ffff:7f[0-9a-f]{2}:/.test(canonical))
}

/** `0:0:0:0:0:0:0:1` → `::1`; `undefined` for anything that is not an IPv6 address. */
function canonicalIPv6(address: string): string | undefined {
  if (!isIPv6(address)) return undefined
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1)
  } catch {
    // A zone index (fe80::1%eth0) is valid for node:net but not in a URL; it is no loopback either way.
    return address
  }
}
