// Where fuzz requests go and what rides along: task ids in the path (known, scratch, missing,
// hostile), query strings for history and SSE, Last-Event-ID values, content types, junk headers.
import type { TaskcastErrorCode } from '@taskcast/core'
import { longString, nastyString } from './fuzz-json.js'
import type { Rng } from './fuzz-rng.js'
import type { KnownTask, World } from './fuzz-world.js'

export type Code = TaskcastErrorCode

export type Target =
  | { kind: 'known'; task: KnownTask }
  | { kind: 'scratch'; id: string }
  | { kind: 'missing'; id: string }
  /** A path segment that is no valid task id, percent-encoded or raw. */
  | { kind: 'hostile'; segment: string }

/** Percent-encodes every byte of the UTF-8 form but the unreserved characters (lone surrogates become U+FFFD). */
export function pct(text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** Raw segments the URL layer must cope with: broken escapes, encoded slashes and NULs, odd but legal characters. */
const RAW_SEGMENTS = ['%ZZ', '%', '%E0%A4%A', '%C0%AF', '%FF%FE', '%2F', 'a%2Fb', '%00', '%0D%0A', 'x%25y', '%u0041', '%%', 'a;b=c', "x'y", 'x!y', 'x*y', 'x(y)', 'x$y', 'x,y', 'x@y', 'x+y', 'x~y', '-x', '_x', ':x', 'x:', 'x.json']

export function hostileSegment(rng: Rng): string {
  return rng.pick([
    () => rng.pick(RAW_SEGMENTS),
    () => pct(nastyString(rng)),
    () => pct(`fz-${nastyString(rng)}`),
    () => rng.string(rng.logInt(129, 6000), 'abcdefghijklmnopqrstuvwxyz0123456789'),
    () => pct(longString(rng, rng.logInt(129, 1500))),
  ])()
}

export function missingId(rng: Rng): string {
  return rng.pick([() => `nx-${rng.string(8)}`, () => rng.string(26, '0123456789ABCDEFGHJKMNPQRSTVWXYZ'), () => 'FZ-RUNNING', () => `fz-running${rng.pick(['-', '.', '_', ':'])}`])()
}

export function knownTarget(rng: Rng, world: World, filter: (task: KnownTask) => boolean = () => true): Target {
  return { kind: 'known', task: rng.pick(world.known.filter(filter)) }
}

/** Mostly a known task (the point: nothing may corrupt them), else scratch, missing or hostile. */
export function anyTarget(rng: Rng, world: World, weights = { known: 60, scratch: 10, missing: 15, hostile: 15 }): Target {
  switch (rng.weighted(weights)) {
    case 'known':
      return knownTarget(rng, world)
    case 'scratch':
      return { kind: 'scratch', id: rng.pick([...world.scratchRunning, ...world.scratchTransition]) }
    case 'missing':
      return { kind: 'missing', id: missingId(rng) }
    default:
      return { kind: 'hostile', segment: hostileSegment(rng) }
  }
}

export function segmentOf(target: Target): string {
  switch (target.kind) {
    case 'known':
      return target.task.id
    case 'hostile':
      return target.segment
    default:
      return pct(target.id)
  }
}

export type Route = 'read' | 'delete' | 'transition' | 'publish' | 'sse' | 'history'

/**
 * Codes a refusal may carry because of where it went, on top of the input's own: a missing task
 * is 404, a hostile segment may also fail the id rule or not match the route, and the guarded
 * task's own rules refuse `task:manage` and `event:publish` (FORBIDDEN).
 */
export function targetCodes(target: Target, route: Route): Code[] {
  switch (target.kind) {
    case 'known':
      return target.task.guarded && (route === 'delete' || route === 'transition' || route === 'publish') ? ['FORBIDDEN'] : []
    case 'scratch':
      return []
    case 'missing':
      return ['TASK_NOT_FOUND']
    case 'hostile':
      return ['TASK_NOT_FOUND', 'VALIDATION_ERROR', 'ROUTE_NOT_FOUND']
  }
}

export function isRunningKnown(target: Target): boolean {
  return target.kind === 'known' && target.task.state === 'running'
}

// ---------- queries ----------

type Param = [name: string, value: string | null]

const BAD_INTEGERS = ['-1', '1.5', 'abc', '', '1e3', '0x10', '%201', '1%20', '%2B1', '+1', '9999999999999999', 'NaN', 'Infinity', '%D9%A1', '%EF%BC%91', '1%00', '0.0', '1,2', '%20', '-0', '1_000']
const BAD_BOOLEANS = ['maybe', 'TRUE', 'True', 'yes', 'no', '', '2', 'on', 'off', 'truee', 'false%20', '%00', 'null']

/** One query parameter with a value the codec refuses (VALIDATION_ERROR). */
function badParam(rng: Rng, sse: boolean): Param {
  return rng.pick([
    (): Param => [rng.pick(['since.index', 'since.timestamp']), rng.pick(BAD_INTEGERS)],
    (): Param => ['limit', rng.pick([...BAD_INTEGERS, '0', '00', '000000'])],
    (): Param => ['since.id', ''],
    (): Param => ['since.id', rng.pick([rng.string(26, '0123456789ABCDEFGHJKMNPQRSTVWXYZ'), pct(nastyString(rng)), 'x'.repeat(rng.logInt(1, 3000))])],
    (): Param => ['levels', rng.pick(['fatal', 'info,fatal', 'INFO', 'info;warn', 'debug,,trace', '%00', 'warning', 'info.warn', '*'])],
    (): Param => [rng.pick(sse ? ['includeStatus', 'wrap'] : ['includeStatus', 'wrap']), rng.pick(BAD_BOOLEANS)],
    (): Param => ['seriesFormat', rng.pick(['full', '', 'Delta', 'accumulate', 'snapshot', 'delta%20', 'ACCUMULATED', '%00'])],
    // A name with no `=` reads as the empty value, which these refuse.
    (): Param => [rng.pick(['limit', 'since.index', 'since.timestamp', 'since.id', 'includeStatus', 'wrap', 'seriesFormat']), null],
  ])()
}

/** Zero or more parameters the codec accepts (some of them unknown, which it ignores). */
function goodParams(rng: Rng, world: World, count: number): Param[] {
  const makers: (() => Param)[] = [
    () => ['types', rng.pick(['llm.*', '*', 'log,tool.call', pct(nastyString(rng)), '', ',,,', 'llm.delta', 'progress'])],
    () => ['levels', rng.pick(['info', 'info,warn', 'debug,info,warn,error', '', 'error'])],
    () => ['includeStatus', rng.pick(['true', 'false', '1', '0'])],
    () => ['wrap', rng.pick(['true', 'false'])],
    () => ['since.index', String(rng.int(0, 20))],
    () => ['since.timestamp', rng.pick(['0', '999999999999999', String(Date.now())])],
    () => ['since.id', rng.pick(world.eventIds)],
    () => ['seriesFormat', rng.pick(['delta', 'accumulated'])],
    () => ['limit', rng.pick(['1', '2', '1000', '999999999999999'])],
    () => [rng.pick(['foo', 'since.foo', 'limit[]', 'a', '_', 'callback', pct(nastyString(rng))]), rng.pick(['bar', '%ZZ', '', pct(nastyString(rng))])],
  ]
  return Array.from({ length: count }, () => rng.pick(makers)())
}

function encodeQuery(params: readonly Param[]): string {
  if (params.length === 0) return ''
  return `?${params.map(([name, value]) => (value === null ? name : `${name}=${value}`)).join('&')}`
}

/**
 * A query with exactly one bad parameter among valid ones. No valid parameter shares its name:
 * the codec reads the first of repeated names, which could hide the bad one.
 */
export function badQuery(rng: Rng, world: World, sse: boolean): string {
  const bad = badParam(rng, sse)
  const others = goodParams(rng, world, rng.int(0, 3)).filter(([name]) => name !== bad[0])
  const params = rng.shuffle([...others, bad])
  return encodeQuery(params)
}

export function goodQuery(rng: Rng, world: World): string {
  return encodeQuery(goodParams(rng, world, rng.int(0, 4)))
}

/** A Last-Event-ID that is no event of any task (printable, so it is not trimmed away). */
export function unknownLastEventId(rng: Rng, world: World): string {
  return rng.pick([
    () => rng.string(26, '0123456789ABCDEFGHJKMNPQRSTVWXYZ'),
    () => rng.pick(['null', '0', '-1', 'undefined', '*', 'é', 'ÿÿÿ', '\u00a0x']),
    () => `${rng.pick(world.eventIds)}x`,
    () => `x ${rng.pick(world.eventIds)}`,
    () => 'A'.repeat(rng.logInt(27, 4000)),
  ])()
}

// ---------- headers ----------

export const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/problem+json', 'Application/JSON']

/** Media types that are not JSON (nor absent-but-bodyless): a body under them is refused. */
export const NON_JSON_TYPES = [undefined, 'text/plain', 'text/plain;charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'text/html', 'application/xml', 'text/csv', '*/*', 'application/jsonl', 'json', 'image/png', '']

/** Media types whose JSON-ness is a matter of opinion: only ever with scratch targets. */
export const JSONISH_TYPES = ['APPLICATION/JSON', 'application/json;charset=utf-16', 'application/vnd.api+json', 'application/merge-patch+json', 'application/json ; foo=bar', 'application/json,text/plain', ' application/json', 'text/json', 'application/x-json', 'application/json\t', 'application/+json']

export function jsonHeaders(rng: Rng): Record<string, string> {
  return { 'Content-Type': rng.pick(JSON_TYPES), ...junkHeaders(rng) }
}

export function contentTypeHeaders(type: string | undefined, rng: Rng): Record<string, string> {
  return { ...(type !== undefined && { 'Content-Type': type }), ...junkHeaders(rng) }
}

/** Headers that must change nothing: no auth is configured, and no method override is part of the API. */
export function junkHeaders(rng: Rng): Record<string, string> {
  if (!rng.chance(0.3)) return {}
  const pool: Record<string, string>[] = [
    { Authorization: rng.pick(['Bearer x', 'Bearer ', 'Basic Zm9vOmJhcg==', `Bearer ${'a'.repeat(4000)}`]) },
    { Cookie: 'a=b; session=%00' },
    { Origin: 'http://evil.example' },
    { 'X-Forwarded-For': '127.0.0.1, 10.0.0.1' },
    { 'X-HTTP-Method-Override': rng.pick(['DELETE', 'PATCH', 'PUT']) },
    { Accept: rng.pick(['text/event-stream', 'application/xml', '*/*;q=0', '']) },
    { 'User-Agent': 'x'.repeat(rng.logInt(1, 4000)) },
    { 'Last-Event-ID': 'zzz' },
    { Range: 'bytes=0-1' },
  ]
  return rng.pick(pool)
}
