// Classifies IP addresses for the webhook SSRF check (SPEC §10). Pure: no DNS, no I/O.
// Anything that is not plainly a public unicast address is refused, including addresses that
// embed an IPv4 address (IPv4-mapped, NAT64, 6to4), which are judged by the address they embed.
import { isIPv4, isIPv6 } from 'node:net'

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'unspecified'
  | 'link-local'
  | 'private'
  | 'unique-local'
  | 'multicast'
  | 'broadcast'
  | 'reserved'

type Range = readonly [prefix: readonly number[], bits: number, cls: AddressClass]

// First match wins, so narrower ranges come before the ranges containing them.
const IPV4_RANGES: readonly Range[] = [
  [[0, 0, 0, 0], 8, 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on Linux
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'private'], // carrier-grade NAT (RFC 6598)
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'], // includes cloud metadata at 169.254.169.254
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 0, 2, 0], 24, 'reserved'], // documentation
  [[192, 88, 99, 0], 24, 'reserved'], // 6to4 relay anycast
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'], // benchmarking
  [[198, 51, 100, 0], 24, 'reserved'], // documentation
  [[203, 0, 113, 0], 24, 'reserved'], // documentation
  [[224, 0, 0, 0], 4, 'multicast'],
  [[255, 255, 255, 255], 32, 'broadcast'],
  [[240, 0, 0, 0], 4, 'reserved'],
]

const IPV6_RANGES: readonly Range[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 128, 'unspecified'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0x01, 0x00], 64, 'reserved'], // discard-only
  [[0x20, 0x01, 0x00, 0x00], 32, 'reserved'], // Teredo: tunnels to an obfuscated IPv4 peer
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'], // documentation
  [[0xfc], 7, 'unique-local'],
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'private'], // deprecated site-local
  [[0xff], 8, 'multicast'],
]

// Prefixes whose low 32 bits (or, for 6to4, bits 16–47) are an IPv4 address reached through them.
const MAPPED: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] // ::ffff:0:0/96
const NAT64: readonly number[] = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] // 64:ff9b::/96
const SIX_TO_FOUR: readonly number[] = [0x20, 0x02] // 2002::/16

function inRange(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const left = Math.min(8, bits - bit)
    const mask = (0xff << (8 - left)) & 0xff
    if (((bytes[bit / 8] ?? 0) & mask) !== ((prefix[bit / 8] ?? 0) & mask)) return false
  }
  return true
}

function classifyV4(bytes: readonly number[]): AddressClass {
  for (const [prefix, bits, cls] of IPV4_RANGES) if (inRange(bytes, prefix, bits)) return cls
  return 'public'
}

function classifyV6(bytes: readonly number[]): AddressClass {
  if (inRange(bytes, MAPPED, 96) || inRange(bytes, NAT64, 96)) return classifyV4(bytes.slice(12))
  if (inRange(bytes, SIX_TO_FOUR, 16)) return classifyV4(bytes.slice(2, 6))
  for (const [prefix, bits, cls] of IPV6_RANGES) if (inRange(bytes, prefix, bits)) return cls
  // Only 2000::/3 is allocated for global unicast; the rest (incl. IPv4-compatible ::/96) is not a destination.
  return inRange(bytes, [0x20], 3) ? 'public' : 'reserved'
}

function v4Bytes(address: string): number[] {
  return address.split('.').map(Number)
}

function v6Bytes(address: string): number[] {
  let text = address
  const tail: number[] = []
  const lastColon = text.lastIndexOf(':')
  if (text.includes('.', lastColon)) {
    // An embedded dotted IPv4 suffix stands for the last two groups.
    tail.push(...v4Bytes(text.slice(lastColon + 1)))
    text = `${text.slice(0, lastColon + 1)}0:0`
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined]
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)))
  const left = parse(head)
  const right = rest === undefined ? [] : parse(rest)
  const groups = [...left, ...Array(8 - left.length - right.length).fill(0), ...right]
  const bytes = groups.flatMap((group) => [group >> 8, group & 0xff])
  if (tail.length) bytes.splice(12, 4, ...tail)
  return bytes
}

/**
 * What kind of destination `address` is. Accepts IPv4 dotted quads and IPv6 text (with or without
 * brackets or a `%zone`); returns `undefined` for anything that is not an IP address.
 */
export function classifyIp(address: string): AddressClass | undefined {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '')
  if (isIPv4(bare)) return classifyV4(v4Bytes(bare))
  if (isIPv6(bare)) return classifyV6(v6Bytes(bare.toLowerCase()))
  return undefined
}
