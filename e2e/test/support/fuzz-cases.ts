// The fuzz cases: one category per kind of hostile request, each case built from its own
// seeded generator, with what the contract says about it. A case aimed at a known task is one
// the contract refuses; anything that may legitimately succeed goes to a scratch task.
import { METHODS } from 'node:http'
import {
  badBatch,
  badCreate,
  badEvent,
  badTransition,
  deepBody,
  edgyEvent,
  validCreate,
  validEvent,
  validTransition,
} from './fuzz-bodies.js'
import type { FuzzRequest } from './fuzz-client.js'
import { arr, deep, longString, malformed, MAX_DEPTH, nastyString, obj, raw } from './fuzz-json.js'
import { Rng } from './fuzz-rng.js'
import {
  anyTarget,
  badQuery,
  contentTypeHeaders,
  goodQuery,
  hostileSegment,
  isRunningKnown,
  JSONISH_TYPES,
  jsonHeaders,
  junkHeaders,
  knownTarget,
  missingId,
  NON_JSON_TYPES,
  pct,
  segmentOf,
  targetCodes,
  unknownLastEventId,
  type Code,
  type Target,
} from './fuzz-targets.js'
import type { World } from './fuzz-world.js'

export type Expectation =
  /** A 4xx with the standard error body; its code one of `codes` when given. */
  | { kind: 'reject'; codes?: readonly Code[] }
  /** A 2xx. */
  | { kind: 'success' }
  /** Refused by Node's HTTP parser before the app sees it (431, 400): a 4xx, no JSON body to check. */
  | { kind: 'transport' }
  /** May succeed (a scratch target) or be refused: only the general rules apply. */
  | { kind: 'any' }

export interface FuzzCase {
  seed: number
  index: number
  category: Category
  request: FuzzRequest
  expect: Expectation
  /** Ids a refused create named: they must not exist afterwards. */
  mustNotExist?: string
}

type Built = Omit<FuzzCase, 'seed' | 'index' | 'category'>
type Generator = (rng: Rng, world: World, index: number) => Built

const reject = (codes?: readonly Code[]): Expectation => ({ kind: 'reject', ...(codes && { codes: [...new Set(codes)] }) })
const ANY: Expectation = { kind: 'any' }
const V: Code = 'VALIDATION_ERROR'

const taskPath = (target: Target, suffix = '') => `/tasks/${segmentOf(target)}${suffix}`

/** Codes for a refused publish to `target`: a task that is not running may say so first. */
function publishCodes(target: Target, own: readonly Code[]): Code[] {
  const notRunning: Code[] = isRunningKnown(target) ? [] : ['TASK_NOT_RUNNING']
  return [...own, ...notRunning, ...targetCodes(target, 'publish')]
}

/** Codes for a refused transition: the state machine may be consulted before the payload. */
function transitionCodes(target: Target, own: readonly Code[]): Code[] {
  return [...own, 'INVALID_TRANSITION', ...targetCodes(target, 'transition')]
}

/** A fresh id for a create that must be refused: afterwards it must not exist. */
const freshId = (index: number) => `fz-new-${index}`

type BodyRoute = 'create' | 'publish' | 'transition'

/** A request to a body route with `body`, and the codes its refusal may carry. */
function bodyRequest(rng: Rng, world: World, route: BodyRoute, body: string | undefined, headers: Record<string, string>, own: readonly Code[]): Built {
  if (route === 'create') return { request: { method: 'POST', path: '/tasks', headers, body }, expect: reject(own) }
  const target = anyTarget(rng, world)
  if (route === 'publish') return { request: { method: 'POST', path: taskPath(target, '/events'), headers, body }, expect: reject(publishCodes(target, own)) }
  return { request: { method: 'PATCH', path: taskPath(target, '/status'), headers, body }, expect: reject(transitionCodes(target, own)) }
}

/** A valid body for the route, to be spoiled by its content type, by truncation… */
function validBodyFor(rng: Rng, route: BodyRoute, index: number): string {
  switch (route) {
    case 'create':
      return validCreate(rng, freshId(index))
    case 'publish':
      return rng.chance(0.7) ? validEvent(rng) : arr(Array.from({ length: rng.int(1, 5) }, () => validEvent(rng)))
    case 'transition':
      return validTransition(rng, rng.pick(['completed', 'failed', 'cancelled', 'running', 'timeout']))
  }
}

const BODY_ROUTES: readonly BodyRoute[] = ['create', 'publish', 'transition']

/** States a known task is in, and the statuses the API must refuse to move it to (wave-2 statuses only where they are refused either way). */
const REFUSED_STATUSES = {
  pending: ['pending', 'timeout', 'completed', 'failed'],
  running: ['running', 'pending'],
  completed: ['pending', 'running', 'completed', 'failed', 'timeout', 'cancelled', 'paused', 'blocked', 'assigned'],
  failed: ['pending', 'running', 'completed', 'failed', 'timeout', 'cancelled', 'paused', 'blocked', 'assigned'],
} as const

/** Methods Node's parser passes to the app (CONNECT is a tunnel, not a request). */
const APP_METHODS = METHODS.filter((method) => method !== 'CONNECT')

/** What each route accepts; every other method on it is a wrong one. */
const ROUTE_METHODS: readonly { path: (target: Target) => string; methods: readonly string[] }[] = [
  // GET /tasks is a later wave's task list: left out rather than guessed.
  { path: () => '/tasks', methods: ['POST', 'GET', 'HEAD'] },
  { path: (target) => taskPath(target), methods: ['GET', 'HEAD', 'DELETE'] },
  { path: (target) => taskPath(target, '/status'), methods: ['PATCH'] },
  { path: (target) => taskPath(target, '/events'), methods: ['POST', 'GET', 'HEAD'] },
  { path: (target) => taskPath(target, '/events/history'), methods: ['GET', 'HEAD'] },
  { path: () => '/health', methods: ['GET', 'HEAD'] },
]

const GENERATORS = {
  'create-malformed': (rng, _world, index) => {
    // Half name an id: valid and fresh (it must not be created) or a known one (409 is then right too).
    const named = rng.chance(0.5)
    const known = named && rng.chance(0.3)
    let body = badCreate(rng)
    const id = known ? rng.pick(['fz-running', 'fz-completed']) : freshId(index)
    if (named && body.startsWith('{') && !body.includes('"id":')) body = `{"id":${raw(id)}${body === '{}' ? '' : ','}${body.slice(1)}`
    const built = bodyRequest(rng, _world, 'create', body, jsonHeaders(rng), known ? [V, 'DUPLICATE_TASK'] : [V])
    return named && !known ? { ...built, mustNotExist: id } : built
  },
  'create-duplicate': (rng, world) => {
    const target = knownTarget(rng, world)
    return { request: { method: 'POST', path: '/tasks', headers: jsonHeaders(rng), body: validCreate(rng, target.kind === 'known' ? target.task.id : '') }, expect: reject(['DUPLICATE_TASK']) }
  },
  'create-edge': (rng, _world, index) => {
    const id = rng.pick([undefined, `fz-edge-${index}`, `E${rng.string(127, 'abcXYZ019._:-')}`, `e:${index}.x_y-z`])
    const entries: [string, string][] = id === undefined ? [] : [['id', raw(id)]]
    const extra = rng.pick([
      (): [string, string][] => [['type', raw(rng.chance(0.5) ? longString(rng, 256) : `t${rng.pick(['δ', '\u0000', '🚀', '\u202e', ' ', '\ud800'])}`)]],
      (): [string, string][] => [['ttl', rng.pick(['1e308', '5e-324', '0.001', '1.5', '4294967296', '9007199254740993'])]],
      (): [string, string][] => [[rng.pick(['params', 'metadata']), obj([['k', deep(rng, rng.int(1, MAX_DEPTH - 1))]])]],
      (): [string, string][] => [['params', obj([['__proto__', '{"admin":true}'], ['n', '1e308']])]],
      (): [string, string][] => [['webhooks', '[]'], ['cleanup', '{"rules":[]}'], ['authConfig', '{"rules":[]}']],
      (): [string, string][] => [['metadata', raw({ s: longString(rng, rng.logInt(1, 100_000)) })]],
    ])()
    // The body `null`, no body at all, or an object.
    const body = rng.pick([() => obj([...entries, ...extra]), () => 'null', () => undefined])()
    const headers = body === undefined ? junkHeaders(rng) : jsonHeaders(rng)
    return { request: { method: 'POST', path: '/tasks', headers, body }, expect: ANY }
  },

  'transition-malformed': (rng, world) => bodyRequest(rng, world, 'transition', badTransition(rng), jsonHeaders(rng), [V]),
  'transition-refused': (rng, world) => {
    const target = knownTarget(rng, world)
    if (target.kind !== 'known') throw new Error('unreachable')
    const { task } = target
    const statuses: readonly string[] = task.guarded ? ['running', 'cancelled', 'completed'] : REFUSED_STATUSES[task.state]
    const status = rng.pick(statuses)
    const codes: Code[] = task.guarded ? ['FORBIDDEN'] : ['INVALID_TRANSITION', ...(['paused', 'blocked', 'assigned'].includes(status) ? [V] : [])]
    return { request: { method: 'PATCH', path: taskPath(target, '/status'), headers: jsonHeaders(rng), body: validTransition(rng, status) }, expect: reject(codes) }
  },
  'transition-scratch': (rng, world) => {
    const id = rng.pick(world.scratchTransition)
    const status = rng.pick(['running', 'completed', 'failed', 'cancelled', 'timeout'])
    const entries: [string, string][] = [['status', raw(status)]]
    if (status === 'completed') entries.push(['result', obj([['k', deep(rng, rng.int(1, MAX_DEPTH - 1))]])])
    if (status === 'failed') entries.push(['error', obj([['message', raw(longString(rng, rng.logInt(1, 10_000)))], ['details', obj([['k', deep(rng, rng.int(1, MAX_DEPTH - 1))]])]])])
    return { request: { method: 'PATCH', path: `/tasks/${id}/status`, headers: jsonHeaders(rng), body: obj(entries) }, expect: ANY }
  },

  'publish-malformed': (rng, world) => bodyRequest(rng, world, 'publish', badEvent(rng), jsonHeaders(rng), [V]),
  'publish-refused': (rng, world) => {
    // Valid events to a known task that may not take them: not running (400), or guarded (403).
    const target = knownTarget(rng, world, (task) => task.state !== 'running')
    const guarded = target.kind === 'known' && target.task.guarded
    const body = rng.chance(0.7) ? validEvent(rng) : arr(Array.from({ length: rng.int(1, 10) }, () => validEvent(rng)))
    return { request: { method: 'POST', path: taskPath(target, '/events'), headers: jsonHeaders(rng), body }, expect: reject(guarded ? ['FORBIDDEN', 'TASK_NOT_RUNNING'] : ['TASK_NOT_RUNNING']) }
  },
  'publish-scratch': (rng, world) => {
    const body = rng.chance(0.7) ? edgyEvent(rng) : arr(Array.from({ length: rng.int(1, 20) }, () => edgyEvent(rng)))
    return { request: { method: 'POST', path: `/tasks/${rng.pick(world.scratchRunning)}/events`, headers: jsonHeaders(rng), body }, expect: ANY }
  },

  'batch-mixed': (rng, world) => bodyRequest(rng, world, 'publish', badBatch(rng), jsonHeaders(rng), [V]),
  'batch-too-large': (rng, world) => {
    // More than maxBatchSize (1000) valid events: refused whole, like a body over the limit.
    const target = anyTarget(rng, world, { known: 80, scratch: 0, missing: 10, hostile: 10 })
    const body = arr(Array.from({ length: rng.int(1001, 2500) }, (_, i) => obj([['type', '"b"'], ['data', String(i)]])))
    return { request: { method: 'POST', path: taskPath(target, '/events'), headers: jsonHeaders(rng), body }, expect: reject(['PAYLOAD_TOO_LARGE', ...targetCodes(target, 'publish')]) }
  },
  'batch-scratch': (rng, world) => {
    const size = rng.pick([0, 1, 2, 50, 1000])
    const body = arr(Array.from({ length: size }, () => (rng.chance(0.2) ? edgyEvent(rng) : validEvent(rng))))
    return { request: { method: 'POST', path: `/tasks/${rng.pick(world.scratchRunning)}/events`, headers: jsonHeaders(rng), body }, expect: ANY }
  },

  'content-type': (rng, world, index) => {
    // A valid body under a media type that is not JSON (or none): refused, so it may go to known tasks.
    const route = rng.pick(BODY_ROUTES)
    const built = bodyRequest(rng, world, route, validBodyFor(rng, route, index), contentTypeHeaders(rng.pick(NON_JSON_TYPES), rng), [V])
    return route === 'create' ? { ...built, mustNotExist: freshId(index) } : built
  },
  'content-type-jsonish': (rng, world, index) => {
    const route = rng.pick(BODY_ROUTES)
    const headers = { 'Content-Type': rng.pick(JSONISH_TYPES) }
    const path = route === 'create' ? '/tasks' : route === 'publish' ? `/tasks/${rng.pick(world.scratchRunning)}/events` : `/tasks/${rng.pick(world.scratchTransition)}/status`
    return { request: { method: route === 'transition' ? 'PATCH' : 'POST', path, headers, body: validBodyFor(rng, route, index) }, expect: ANY }
  },
  'empty-body': (rng, world) => {
    const route = rng.pick(BODY_ROUTES)
    const declared = rng.chance(0.7)
    const body = rng.pick(['', '', ' ', '\n\t\r ', undefined])
    const headers = declared ? jsonHeaders(rng) : contentTypeHeaders(rng.pick(NON_JSON_TYPES), rng)
    const built = bodyRequest(rng, world, route, body, headers, [V])
    if (rng.chance(0.3) && body !== undefined) built.request.chunked = 1
    // Only POST /tasks takes "no input" (as {}), and only without a JSON content type.
    if (route === 'create' && !declared) return { ...built, expect: ANY }
    return built
  },
  'malformed-json': (rng, world, index) => {
    const route = rng.pick(BODY_ROUTES)
    const built = bodyRequest(rng, world, route, malformed(rng, validBodyFor(rng, route, index)), jsonHeaders(rng), [V])
    return route === 'create' ? { ...built, mustNotExist: freshId(index) } : built
  },
  'deep-nesting': (rng, world) => {
    const route = rng.pick(['create', 'publish', 'publish', 'batch', 'transition'] as const)
    if (route === 'batch') return bodyRequest(rng, world, 'publish', deepBody(rng, 'batch'), jsonHeaders(rng), [V])
    return bodyRequest(rng, world, route, deepBody(rng, route), jsonHeaders(rng), [V])
  },
  oversize: (rng, world, index) => {
    const route = rng.pick(BODY_ROUTES)
    const size = rng.chance(0.2) ? 1_048_577 : rng.int(1_048_577, 3 * 1_048_576)
    // Bytes, not characters: a multi-byte unit repeated to just over `size` bytes.
    const [unit, bytes] = rng.pick([['x', 1], ['é', 2], ['任', 3]] as const)
    const filler = unit.repeat(Math.ceil(size / bytes))
    const body = rng.pick([
      () => filler,
      () => `{"type":"big","data":${raw(filler)}}`,
      () => `{"id":${raw(freshId(index))},"params":{"s":${raw(filler)}}}`,
      () => `{"status":"completed","result":{"s":${raw(filler)}}}`,
    ])()
    const built = bodyRequest(rng, world, route, body, { 'Content-Type': 'application/json' }, ['PAYLOAD_TOO_LARGE'])
    built.request.fresh = true
    if (rng.chance(0.4)) built.request.chunked = rng.pick([1024, 16_384, 65_536])
    return route === 'create' ? { ...built, mustNotExist: freshId(index) } : built
  },

  'history-query': (rng, world) => {
    const target = anyTarget(rng, world)
    if (rng.chance(0.7)) {
      return { request: { method: 'GET', path: taskPath(target, '/events/history') + badQuery(rng, world, false), headers: junkHeaders(rng) }, expect: reject([V, ...targetCodes(target, 'history')]) }
    }
    return { request: { method: rng.chance(0.9) ? 'GET' : 'HEAD', path: taskPath(target, '/events/history') + goodQuery(rng, world) }, expect: ANY }
  },
  'sse-query': (rng, world) => {
    const target = anyTarget(rng, world)
    const path = taskPath(target, '/events')
    const codes = [V, ...targetCodes(target, 'sse')]
    switch (rng.int(0, 3)) {
      case 0:
      case 1:
        return { request: { method: 'GET', path: path + badQuery(rng, world, true), sse: true }, expect: reject(codes) }
      case 2:
        // Last-Event-ID wins over any cursor in the URL, and must be an event of the task.
        return { request: { method: 'GET', path: path + goodQuery(rng, world), headers: { 'Last-Event-ID': unknownLastEventId(rng, world) }, sse: true }, expect: reject(codes) }
      default: {
        const headers: Record<string, string> = rng.chance(0.3) ? { 'Last-Event-ID': rng.pick([...world.eventIds, ' ', '\t']) } : {}
        return { request: { method: rng.chance(0.9) ? 'GET' : 'HEAD', path: path + goodQuery(rng, world), headers, sse: true }, expect: ANY }
      }
    }
  },
  'read-task': (rng, world) => {
    const target = anyTarget(rng, world, { known: 50, scratch: 10, missing: 20, hostile: 20 })
    const request: FuzzRequest = { method: rng.chance(0.85) ? 'GET' : 'HEAD', path: taskPath(target) + (rng.chance(0.3) ? goodQuery(rng, world) : ''), headers: junkHeaders(rng) }
    // A GET may carry a body; it means nothing.
    if (request.method === 'GET' && rng.chance(0.15)) {
      request.body = rng.pick(['{"status":"completed"}', 'garbage', ''])
      request.headers = { ...request.headers, 'Content-Type': 'application/json' }
    }
    if (target.kind === 'known') return { request, expect: { kind: 'success' } }
    if (target.kind === 'missing') return { request, expect: reject(['TASK_NOT_FOUND']) }
    return { request, expect: target.kind === 'hostile' ? reject(targetCodes(target, 'read')) : ANY }
  },
  'delete-refused': (rng, world) => {
    // Never a known task but the guarded one, whose own rules refuse task:manage.
    const target: Target = rng.weighted({ guarded: 20, missing: 40, hostile: 40 }) === 'guarded'
      ? knownTarget(rng, world, (task) => task.guarded)
      : rng.chance(0.5) ? { kind: 'missing', id: missingId(rng) } : { kind: 'hostile', segment: hostileSegment(rng) }
    const request: FuzzRequest = { method: 'DELETE', path: taskPath(target), headers: junkHeaders(rng) }
    if (rng.chance(0.2)) {
      request.body = '{"force":true}'
      request.headers = { ...request.headers, 'Content-Type': 'application/json' }
    }
    return { request, expect: reject(targetCodes(target, 'delete')) }
  },
  'wrong-method': (rng, world) => {
    const route = rng.pick(ROUTE_METHODS)
    const method = rng.pick(APP_METHODS.filter((m) => !route.methods.includes(m)))
    // Known ids are safe here: no route takes this method on this path.
    const target = anyTarget(rng, world, { known: 70, scratch: 0, missing: 15, hostile: 15 })
    const request: FuzzRequest = { method, path: route.path(target), headers: jsonHeaders(rng) }
    if (method !== 'HEAD' && rng.chance(0.6)) request.body = rng.pick([validEvent(rng), '{"status":"completed"}', validCreate(rng), 'x'])
    return { request, expect: method === 'HEAD' ? reject() : reject(['ROUTE_NOT_FOUND', V]) }
  },
  'unknown-route': (rng, world) => {
    const known = rng.pick(world.known).id
    const missing = pct(missingId(rng))
    // GET and HEAD only where a known id appears: no other method there can change anything.
    const readOnly = [
      `/tasks/${known}/`,
      `/tasks/${known}/status`,
      `/tasks/${known}/events/`,
      `/tasks/${known}/events/history/`,
      `/tasks/${known}/events/history/x`,
      `/tasks/${known}/state`,
      `/tasks/${known}/event`,
      `/tasks/${known}/events/${rng.pick(world.eventIds)}`,
      `/tasks/${known}/status%00`,
      `/tasks%2F${known}`,
    ]
    const anyMethod = ['/', '/task', '/tasks/', '/TASKS', '/tasks//events', `/tasks/${missing}/`, `/tasks/${missing}/status/`, '/health/', '/healthz', '/v1/tasks', '/favicon.ico', '/.env', '/%00', '//tasks', `/${pct(nastyString(rng))}`, `/${rng.string(rng.logInt(1, 4000))}`, `/tasks/${missing}/x/y/z`]
    const method = rng.chance(0.5) ? rng.pick(['GET', 'HEAD']) : rng.pick(APP_METHODS)
    const path = method === 'GET' || method === 'HEAD' ? rng.pick([...readOnly, ...anyMethod]) : rng.pick(anyMethod)
    return { request: { method, path, headers: junkHeaders(rng) }, expect: method === 'HEAD' ? reject() : reject(['ROUTE_NOT_FOUND', V]) }
  },
  health: (rng, world) => {
    if (rng.chance(0.8)) {
      const request: FuzzRequest = { method: rng.chance(0.8) ? 'GET' : 'HEAD', path: `/health${goodQuery(rng, world)}`, headers: junkHeaders(rng) }
      return { request, expect: { kind: 'success' } }
    }
    return { request: { method: rng.pick(['POST', 'PUT', 'DELETE', 'PATCH']), path: '/health', headers: jsonHeaders(rng), body: '{}' }, expect: reject(['ROUTE_NOT_FOUND', V]) }
  },
  transport: (rng) => {
    const request: FuzzRequest = rng.pick([
      (): FuzzRequest => ({ method: 'GET', path: `/tasks/${'a'.repeat(rng.int(17_000, 40_000))}` }),
      (): FuzzRequest => ({ method: 'GET', path: '/health', headers: { 'X-Fuzz': 'a'.repeat(rng.int(17_000, 40_000)) } }),
      (): FuzzRequest => ({ method: rng.pick(['FOO', 'BREW', 'GETS', 'PUTT']), path: '/tasks' }),
    ])()
    return { request: { ...request, fresh: true }, expect: { kind: 'transport' } }
  },
} satisfies Record<string, Generator>

export type Category = keyof typeof GENERATORS

/** Relative weights: how much of a run each category takes. */
const WEIGHTS: Record<Category, number> = {
  'create-malformed': 9,
  'create-duplicate': 2,
  'create-edge': 3,
  'transition-malformed': 8,
  'transition-refused': 4,
  'transition-scratch': 1,
  'publish-malformed': 10,
  'publish-refused': 4,
  'publish-scratch': 5,
  'batch-mixed': 6,
  'batch-too-large': 1,
  'batch-scratch': 2,
  'content-type': 4,
  'content-type-jsonish': 1,
  'empty-body': 3,
  'malformed-json': 6,
  'deep-nesting': 7,
  oversize: 1.5,
  'history-query': 6,
  'sse-query': 6,
  'read-task': 3,
  'delete-refused': 3,
  'wrong-method': 4,
  'unknown-route': 3,
  health: 1,
  transport: 0.5,
}

/** Case `index` of the run seeded with `seed`: the same two numbers always give the same request. */
export function generateCase(seed: number, index: number, world: World): FuzzCase {
  const rng = Rng.forCase(seed, index)
  const category = rng.weighted(WEIGHTS)
  return { seed, index, category, ...GENERATORS[category](rng, world, index) }
}
