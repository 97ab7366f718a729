// Hostile JSON for the fuzz test, built as text: nesting 20,000 levels deep (which JSON.stringify
// of an object could not even produce on the client), duplicate and `__proto__` keys, numbers
// that parse to Infinity, and bodies that are not JSON at all.
import type { Rng } from './fuzz-rng.js'

/** JSON text (valid unless a function says otherwise). */
export type Raw = string

export const raw = (value: unknown): Raw => JSON.stringify(value)

/** An object from entries, in order: keys may repeat or be `__proto__`. */
export function obj(entries: readonly (readonly [string, Raw])[]): Raw {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`
}

export function arr(items: readonly Raw[]): Raw {
  return `[${items.join(',')}]`
}

/** The nesting limit the server enforces (MAX_JSON_DEPTH in @taskcast/core): more is VALIDATION_ERROR. */
export const MAX_DEPTH = 64

/**
 * `depth` nested containers (the outermost counts as one), as text. `depth` ≤ MAX_DEPTH is
 * acceptable JSON for the server; more must be refused.
 */
export function deep(rng: Rng, depth: number): Raw {
  const shape = rng.pick(['objects', 'arrays', 'alternating', 'wide'] as const)
  const leaf = rng.pick([raw(1), raw('x'), 'null', 'true'])
  const open: string[] = []
  const close: string[] = []
  for (let level = 0; level < depth; level++) {
    const asObject = shape === 'objects' || (shape === 'alternating' && level % 2 === 0) || (shape === 'wide' && level % 3 !== 2)
    // `wide`: siblings beside the chain, so the deep branch is not the first one walked. They
    // stop above the innermost level, so they never add a level of their own.
    const sibling = shape === 'wide' && level < Math.min(50, depth - 1) ? (asObject ? '"s":[1,2,3],' : '1,{"s":1},') : ''
    open.push(asObject ? `{${sibling}"k":` : `[${sibling}`)
    close.push(asObject ? '}' : ']')
  }
  return open.join('') + leaf + close.reverse().join('')
}

/** A nesting depth the server must refuse: from just over the limit to 20,000 levels. */
export function tooDeep(rng: Rng): number {
  return rng.chance(0.15) ? rng.pick([MAX_DEPTH + 1, MAX_DEPTH + 2, 100, 1000, 10_000, 20_000]) : rng.logInt(MAX_DEPTH + 1, 20_000)
}

/** Numbers that are JSON but not finite once parsed (1e400 is Infinity): never storable. */
export const NON_FINITE: readonly Raw[] = ['1e400', '-1e400', '1E999', '123456789e999']

/** Values of every JSON type, for fields that must be of one type only. */
const BY_TYPE = {
  string: ['""', '"x"', '"NaN"', '"Infinity"', '"-1"', '"5"', '"1e3"', '" "', '"\\u0000"', '"true"', '"null"'],
  number: ['0', '-0', '1', '-1', '1.5', '1e308', '-1e308', '5e-324', '9007199254740993', '123456789012345678901234567890'],
  boolean: ['true', 'false'],
  null: ['null'],
  array: ['[]', '[1]', '["x"]', '[null]', '[{}]'],
  object: ['{}', '{"a":1}', '{"":""}'],
} as const
export type JsonType = keyof typeof BY_TYPE

/** A value whose JSON type is none of `allowed` (null counts as its own type). */
export function wrongType(rng: Rng, allowed: readonly JsonType[]): Raw {
  const types = (Object.keys(BY_TYPE) as JsonType[]).filter((type) => !allowed.includes(type))
  const type = rng.pick(types)
  // Non-finite numbers are "numbers" that no numeric field may hold either.
  if (type === 'number' && rng.chance(0.2)) return rng.pick(NON_FINITE)
  return rng.pick(BY_TYPE[type])
}

/** Strings that break naive code: control characters, odd unicode, injection bait. */
export const NASTY_STRINGS: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\u0007\u0008\u001b[31m',
  '\r\n\r\nX-Injected: 1',
  'line\nbreak',
  '\t',
  ' ',
  'δοκιμή',
  '任务',
  '🚀🔥',
  'e\u0301',
  '\u200b',
  '\u202egnp.exe',
  '\ufeff',
  '\ud800',
  '\udfff\ud800',
  'a\u2028b\u2029',
  'Ａ',
  '%00',
  '%ZZ',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '{{7*7}}',
  '${jndi:ldap://x}',
  '\\',
  '"',
  '*',
  '?x=1',
  '#frag',
  'a/b',
  '__proto__',
  'constructor',
  'taskcast:status',
]

export function nastyString(rng: Rng): string {
  return rng.chance(0.8) ? rng.pick(NASTY_STRINGS) : rng.pick(NASTY_STRINGS) + rng.pick(NASTY_STRINGS)
}

/** A string of `length` characters mixing ASCII and multi-byte ones. */
export function longString(rng: Rng, length: number): string {
  const unit = rng.pick(['a', 'é', '任', '🚀', 'ab\u0000', 'x'])
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length)
}

/**
 * Text that is not JSON, derived from `valid` (itself JSON) or made up. Every result is
 * checked: a cut that happens to leave valid JSON (`12` from `123`) is never returned.
 */
export function malformed(rng: Rng, valid: Raw): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const text = malformedOnce(rng, valid)
    if (!parses(text)) return text
  }
  return `${valid}}`
}

function malformedOnce(rng: Rng, valid: Raw): string {
  switch (rng.int(0, 13)) {
    case 0:
      return valid.slice(0, rng.int(1, Math.max(1, valid.length - 1)))
    case 1:
      return `${valid}${rng.pick(['}', ']', ',', 'x', ' {}', '\u0000', '//'])}`
    case 2:
      return valid.replace(/"/g, "'")
    case 3:
      return valid.replace(/}$/, ',}')
    case 4:
      return `/* c */${valid}`
    case 5:
      return valid.replace(/:(?:"[^"]*"|[\w.-]+)/, rng.pick([':NaN', ':Infinity', ':-Infinity', ':undefined', ':0x10', ':01', ':+1', ':.5', ':1.', ':tru']))
    case 6:
      return valid.replace(/"(\w+)":/, '$1:')
    case 7:
      return `${valid}${valid}`
    case 8:
      // A raw control character inside a string is not allowed by JSON.
      return valid.replace(/"([^"]*)"/, `"$1${String.fromCharCode(rng.int(0, 31))}"`)
    case 9:
      return '['.repeat(rng.logInt(1, 20_000))
    case 10:
      return '{"a":'.repeat(rng.logInt(1, 20_000))
    case 11:
      return rng.pick(['{', '}', '[', ']', '"', '"abc', '{"type"', '{"type":}', '{,}', '[,]', ':', 'nul', 'True', 'None', '{"a" 1}', '\\u0000'])
    case 12:
      return valid.replace(/"(\w+)"/, '"$1\\x41"')
    default:
      return rng.pick(['type=x&data=1', '<xml/>', 'a: b\nc: d', '---\ntype: x', '\u0000\u0001\u0002'])
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
