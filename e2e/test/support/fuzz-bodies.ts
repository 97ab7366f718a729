// Request bodies for the fuzz test: valid ones (for scratch tasks, or to be spoiled), and invalid
// ones, each invalid for a reason the API contract states (SPEC §2, §7; packages/server README).
import type { Rng } from './fuzz-rng.js'
import { arr, deep, longString, MAX_DEPTH, nastyString, NON_FINITE, obj, raw, tooDeep, wrongType, type Raw } from './fuzz-json.js'

type Entries = [string, Raw][]

/** The task id rule (SPEC §2, core's assertTaskId): 1–128 of letters, digits, `._:-`, starting with a letter or digit. */
export const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

const LEVELS = ['debug', 'info', 'warn', 'error']

// ---------- valid ----------

export function validEventEntries(rng: Rng): Entries {
  const entries: Entries = [['type', raw(rng.pick(['llm.delta', 'tool.call', 'log', 'a', 'x.y.z']))]]
  if (rng.chance(0.5)) entries.push(['level', raw(rng.pick(LEVELS))])
  const mode = rng.chance(0.3) ? rng.pick(['keep-all', 'accumulate', 'latest']) : undefined
  if (mode === 'accumulate') {
    // An accumulate event extends a string field of object data: `delta`, `text`, or the one it names.
    const field = rng.pick(['text', 'delta', 'out'])
    entries.push(['data', raw({ [field]: rng.pick(['hi', '', 'δ🚀']), n: rng.int(0, 9) })])
    if (field === 'out' || rng.chance(0.3)) entries.push(['seriesAccField', raw(field)])
  } else if (rng.chance(0.8)) {
    entries.push(['data', raw(rng.pick([{ text: 'hi' }, 'text', 42, null, [1, 2], { n: rng.int(0, 1000) }]))])
  }
  if (mode) entries.push(['seriesId', raw(`s${rng.int(0, 3)}`)], ['seriesMode', raw(mode)])
  return rng.shuffle(entries)
}

export const validEvent = (rng: Rng): Raw => obj(validEventEntries(rng))

/** A valid event with hostile but legal content: odd types, deep-but-allowed data, series over odd values. */
export function edgyEvent(rng: Rng): Raw {
  const entries: Entries = []
  const type = rng.pick([
    () => nastyString(rng).replace(/^taskcast:/, 'x'),
    () => 'TASKCAST:status',
    () => ' taskcast:status',
    () => 'taskcast',
    () => longString(rng, 256),
    () => 'llm.*',
  ])()
  entries.push(['type', raw(type.length > 0 ? type : 'x')])
  if (rng.chance(0.5)) entries.push(['level', raw(rng.pick(LEVELS))])
  const data = rng.pick([
    () => deep(rng, rng.int(1, MAX_DEPTH)),
    () => raw(longString(rng, rng.logInt(1, 50_000))),
    () => raw(nastyString(rng)),
    () => rng.pick(['1e308', '-0', '5e-324', '9007199254740993', '123456789012345678901234567890', '-1e-400']),
    () => obj([['__proto__', obj([['polluted', 'true']])], ['constructor', obj([['prototype', '{}']])]]),
    () => obj([[nastyString(rng), raw(nastyString(rng))]]),
    () => '"\\ud800\\udbff"',
  ])()
  entries.push(['data', data])
  if (rng.chance(0.4)) {
    const mode = rng.pick(['keep-all', 'accumulate', 'latest'])
    entries.push(['seriesId', raw(rng.chance(0.5) ? 'out' : nastyString(rng) || 'x')], ['seriesMode', raw(mode)])
    const field = rng.pick(['text', 'delta', 'a.b', '__proto__', 'constructor', 'length', '0', nastyString(rng) || 'x'])
    if (mode === 'accumulate' && rng.chance(0.6)) {
      // Mostly data an accumulate series can extend (odd field names included), sometimes not.
      entries[entries.findIndex(([key]) => key === 'data')] = ['data', obj([[field, raw(rng.chance(0.8) ? nastyString(rng) : longString(rng, rng.logInt(1, 5000)))], ['n', '1']])]
      if (field !== 'text' && field !== 'delta') entries.push(['seriesAccField', raw(field)])
    }
  }
  return obj(rng.shuffle(entries))
}

export function validCreate(rng: Rng, id?: string): Raw {
  const entries: Entries = []
  if (id !== undefined) entries.push(['id', raw(id)])
  if (rng.chance(0.7)) entries.push(['type', raw(rng.pick(['llm.chat', 'report', 'fuzz.created']))])
  if (rng.chance(0.4)) entries.push(['params', raw({ prompt: 'x', n: rng.int(0, 9) })])
  if (rng.chance(0.3)) entries.push(['metadata', raw({ by: 'fuzz' })])
  if (rng.chance(0.2)) entries.push(['ttl', raw(rng.pick([3600, 86_400, 1.5]))])
  return obj(rng.shuffle(entries))
}

/** A valid body of `PATCH /tasks/:id/status` for `status`. */
export function validTransition(rng: Rng, status: string): Raw {
  const entries: Entries = [['status', raw(status)]]
  if (status === 'completed' && rng.chance(0.5)) entries.push(['result', raw({ ok: true })])
  if (['failed', 'timeout', 'cancelled'].includes(status) && rng.chance(0.5)) {
    entries.push(['error', raw({ code: 'E', message: 'stop', details: { n: 1 } })])
  }
  return obj(rng.shuffle(entries))
}

// ---------- invalid ----------

/** An id that breaks the task id rule. */
export function badTaskId(rng: Rng): Raw {
  for (;;) {
    const candidate = rng.pick([
      () => wrongType(rng, ['string']),
      () => raw(''),
      () => raw(rng.string(rng.logInt(129, 10_000), 'abcdefXYZ0123456789')),
      () => raw(rng.pick(['.', '-', '_', ':']) + rng.string(rng.int(0, 10))),
      () => raw(`id${nastyString(rng)}`),
      () => raw(nastyString(rng)),
    ])()
    const value: unknown = JSON.parse(candidate)
    if (typeof value !== 'string' || !TASK_ID.test(value)) return candidate
  }
}

/** A value that is not a storable JSON object: another type, nested past the limit, or holding Infinity. */
export function badJsonObject(rng: Rng): Raw {
  return rng.pick([
    () => wrongType(rng, ['object']),
    () => obj([['k', deep(rng, tooDeep(rng))]]),
    () => deep(rng, tooDeep(rng)).replace(/^\[/, '{"a":[').replace(/\]$/, ']}'),
    () => obj([['a', arr(['1', obj([['b', rng.pick(NON_FINITE)]])])]]),
  ])()
}

const CREATE_UNKNOWN = ['status', 'createdAt', 'updatedAt', 'events', 'result', 'error', 'ID', 'Type', '__proto__', 'constructor', 'prototype', '', ' id', 'id ', 'params\u0000', 'τ', 'webhook', 'auth', 'tll', 'completedAt']

/** A `POST /tasks` body that must be refused (VALIDATION_ERROR). */
export function badCreate(rng: Rng): Raw {
  const base: Entries = rng.chance(0.5) ? [['type', raw('fuzz.bad')]] : []
  const spoil = rng.pick([
    (): Raw => wrongType(rng, ['object', 'null']),
    (): Entries => [[rng.pick(CREATE_UNKNOWN), rng.pick(['1', '"x"', '{}', 'null', '{"status":"completed"}'])]],
    (): Entries => [['id', badTaskId(rng)]],
    (): Entries => [['type', rng.pick([() => wrongType(rng, ['string']), () => raw(''), () => raw(longString(rng, rng.logInt(257, 100_000)))])()]],
    (): Entries => [[rng.pick(['params', 'metadata']), badJsonObject(rng)]],
    (): Entries => [['ttl', rng.pick(['0', '-1', '"5"', 'null', '-0', '1e-400', '"NaN"', '"Infinity"', 'true', '[]', '{}', '-1e308', ...NON_FINITE])]],
    (): Entries => [['authConfig', badAuthConfig(rng)]],
    (): Entries => [['webhooks', badWebhooks(rng)]],
    (): Entries => [['cleanup', badCleanup(rng)]],
  ])()
  if (typeof spoil === 'string') return spoil
  // A later duplicate key wins in JSON.parse: the spoiling entries come last, and alone.
  const spoiled = new Set(spoil.map(([key]) => key))
  return obj([...base.filter(([key]) => !spoiled.has(key)), ...spoil])
}

function badAuthConfig(rng: Rng): Raw {
  const rule = (match: Raw, require: Raw) => obj([['rules', arr([obj([['match', match], ['require', require]])])]])
  return rng.pick([
    () => wrongType(rng, ['object']),
    () => '{}',
    () => obj([['rules', wrongType(rng, ['array'])]]),
    () => obj([['rules', '[]'], ['extra', '1']]),
    () => obj([['rules', arr([wrongType(rng, ['object'])])]]),
    () => rule(raw({ scope: ['task:everything'] }), '{}'),
    () => rule(raw({ scope: 'task:manage' }), '{}'),
    () => rule(raw({ scope: [''] }), '{}'),
    () => rule(raw({ scope: ['*'], extra: 1 }), '{}'),
    () => rule(raw({ scope: ['*'] }), raw({ sub: 'alice' })),
    () => rule(raw({ scope: ['*'] }), raw({ role: 'admin' })),
    () => rule(raw({ scope: ['*'] }), obj([['claims', wrongType(rng, ['object'])]])),
    () => rule(raw({ scope: ['*'] }), obj([['claims', obj([['c', deep(rng, tooDeep(rng))]])]])),
    () => rule('null', '{}'),
  ])()
}

function badWebhooks(rng: Rng): Raw {
  const hook = (entries: Entries) => arr([obj(entries)])
  return rng.pick([
    () => wrongType(rng, ['array']),
    () => arr([wrongType(rng, ['object'])]),
    () => hook([]),
    () => hook([['url', wrongType(rng, ['string'])]]),
    () => hook([['url', raw(rng.pick(['', 'not a url', '/relative', 'ftp://example.com/x', 'javascript:alert(1)', 'file:///etc/passwd', 'http://', 'data:text/plain,x']))]]),
    // Private, loopback and metadata addresses: refused for per-task webhooks (no DNS needed).
    () => hook([['url', raw(rng.pick(['http://127.0.0.1/x', 'http://10.0.0.1/', 'http://[::1]/', 'http://169.254.169.254/latest', 'http://0x7f.1/', 'http://2130706433/', 'http://[::ffff:127.0.0.1]/', 'http://192.168.1.1:8080/']))]]),
    () => hook([['url', raw('http://127.0.0.1/x')], ['unknown', '1']]),
    () => hook([['url', raw('http://127.0.0.1/x')], ['filter', raw({ levels: ['fatal'] })]]),
    () => hook([['url', raw('http://127.0.0.1/x')], ['retry', raw({ backoff: 'random' })]]),
    () => hook([['url', raw('http://127.0.0.1/x')], ['retry', raw({ timeoutMs: 0 })]]),
    () => hook([['url', raw('http://127.0.0.1/x')], ['secret', raw('')]]),
  ])()
}

function badCleanup(rng: Rng): Raw {
  return rng.pick([
    () => wrongType(rng, ['object']),
    () => '{}',
    () => obj([['rules', wrongType(rng, ['array'])]]),
    () => raw({ rules: [{ target: 'everything' }] }),
    () => raw({ rules: [{ target: 'all', trigger: { afterMs: -1 } }] }),
    () => raw({ rules: [{ target: 'all', trigger: { afterMs: 'soon' } }] }),
    () => raw({ rules: [{ target: 'all', match: { status: ['done'] } }] }),
    () => raw({ rules: [{ target: 'all', unknown: true }] }),
    () => obj([['rules', arr([obj([['target', '"all"'], ['trigger', obj([['afterMs', rng.pick(NON_FINITE)]])]])])]]),
  ])()
}

const EVENT_UNKNOWN = ['id', 'index', 'taskId', 'timestamp', 'Type', 'levels', 'series', 'seriesid', '__proto__', 'constructor', 'meta', '', 'data ', 'filteredIndex', 'rawIndex']

/** An event object that must be refused (VALIDATION_ERROR): each spoils exactly one rule. */
export function badEventObject(rng: Rng): Raw {
  const entries = validEventEntries(rng).filter(([key]) => key === 'data' || key === 'level')
  const type: [string, Raw] = ['type', raw('fuzz.bad')]
  const spoiled = rng.pick([
    (): Entries => [type, [rng.pick(EVENT_UNKNOWN), rng.pick(['1', '"x"', 'null', '{}'])]],
    (): Entries => [],
    (): Entries => [['type', rng.pick([() => wrongType(rng, ['string']), () => raw(''), () => raw(longString(rng, rng.logInt(257, 100_000)))])()]],
    (): Entries => [['type', raw(rng.pick(['taskcast:status', 'taskcast:', 'taskcast:done', 'taskcast:status\u0000', `taskcast:${nastyString(rng)}`]))]],
    (): Entries => [type, ['level', rng.pick([() => wrongType(rng, ['string']), () => raw(rng.pick(['fatal', 'INFO', 'Info', 'info ', 'trace', '', 'warning', nastyString(rng)]))])()]],
    (): Entries => [type, ['data', deep(rng, tooDeep(rng))]],
    (): Entries => [type, ['data', obj([['x', arr(['1', rng.pick(NON_FINITE)])]])]],
    (): Entries => [type, ['seriesId', rng.pick([() => wrongType(rng, ['string']), () => raw(''), () => raw(longString(rng, rng.logInt(257, 50_000)))])()], ['seriesMode', raw('keep-all')]],
    (): Entries => [type, ['seriesId', raw('s')], ['seriesMode', rng.pick([() => wrongType(rng, ['string']), () => raw(rng.pick(['Accumulate', 'append', 'keep_all', '', 'all', nastyString(rng)]))])()]],
    (): Entries => [type, ['seriesMode', raw(rng.pick(['keep-all', 'accumulate', 'latest']))]],
    (): Entries => {
      const mode = rng.pick([undefined, 'keep-all', 'latest'])
      return [type, ['seriesId', raw('s')], ...(mode ? [['seriesMode', raw(mode)] as [string, Raw]] : []), ['seriesAccField', raw('text')]]
    },
    (): Entries => [type, ['seriesId', raw('s')], ['seriesMode', raw('accumulate')], ['seriesAccField', rng.pick([() => wrongType(rng, ['string']), () => raw('')])()]],
  ])()
  const keys = new Set(spoiled.map(([key]) => key))
  // A later duplicate key wins in JSON.parse: keep the spoiling entries last.
  return obj([...entries.filter(([key]) => !keys.has(key) && !(spoiled.length === 0 && key !== 'data')), ...spoiled])
}

/** A single-event body that must be refused: a bad event object, another JSON type, or a reserved type hidden by a duplicate key. */
export function badEvent(rng: Rng): Raw {
  return rng.pick([
    () => badEventObject(rng),
    () => badEventObject(rng),
    () => badEventObject(rng),
    // Any type but an object; '[]' would be a valid (empty) batch.
    () => {
      const value = wrongType(rng, ['object'])
      return value === '[]' ? '"[]"' : value
    },
    () => '{"type":"fuzz.ok","type":"taskcast:status"}',
  ])()
}

/** A batch of 1–50 items where at least one is invalid. */
export function badBatch(rng: Rng): Raw {
  const size = rng.int(1, 50)
  const bad = rng.int(0, size - 1)
  const items = Array.from({ length: size }, (_, i) =>
    i === bad ? rng.pick([() => badEventObject(rng), () => wrongType(rng, ['object']), () => arr([validEvent(rng)])])() : validEvent(rng),
  )
  return arr(items)
}

/** Transition field names that are not in the contract (no `reason`: a later wave adds it). */
const TRANSITION_UNKNOWN = ['foo', 'Status', 'status ', '__proto__', 'constructor', 'result ', 'completedAt', 'updatedAt', 'taskId', 'id', 'data', 'type', 'force', 'from', 'to', 'previousStatus', '']

const NOT_A_STATUS = ['COMPLETED', 'Completed', 'complete', 'done', 'running ', ' running', 'runn\u0000ing', 'c\u043empleted', 'taskcast:status', '', 'null', 'undefined', 'success', 'error']

/** A `PATCH /tasks/:id/status` body that must be refused for its shape alone (VALIDATION_ERROR, any target state). */
export function badTransition(rng: Rng): Raw {
  const anyStatus = () => raw(rng.pick(['completed', 'failed', 'cancelled', 'running', 'pending', 'timeout']))
  return rng.pick([
    () => wrongType(rng, ['object']),
    () => obj([['status', anyStatus()], [rng.pick(TRANSITION_UNKNOWN), rng.pick(['1', '"x"', 'true', '{}'])]]),
    () => rng.pick(['{}', '{"result":{"ok":true}}', '{"error":{"message":"x"}}']),
    () => obj([['status', rng.chance(0.5) ? wrongType(rng, ['string']) : raw(rng.chance(0.7) ? rng.pick(NOT_A_STATUS) : nastyString(rng))]]),
    // A result goes only with completed, an error only with failed/timeout/cancelled.
    () => obj([['status', raw(rng.pick(['failed', 'cancelled', 'timeout', 'running', 'pending']))], ['result', '{"ok":true}']]),
    () => obj([['status', raw(rng.pick(['completed', 'running', 'pending']))], ['error', '{"message":"x"}']]),
    () => obj([['status', raw('completed')], ['result', badJsonObject(rng)]]),
    () => obj([['status', raw(rng.pick(['failed', 'cancelled', 'timeout']))], ['error', badTaskError(rng)]]),
  ])()
}

function badTaskError(rng: Rng): Raw {
  return rng.pick([
    () => wrongType(rng, ['object']),
    () => '{}',
    () => obj([['message', wrongType(rng, ['string'])]]),
    () => obj([['message', raw('x')], ['code', rng.chance(0.5) ? raw('') : wrongType(rng, ['string'])]]),
    () => obj([['message', raw('x')], ['code', raw(longString(rng, rng.logInt(257, 20_000)))]]),
    () => obj([['message', raw('x')], ['details', badJsonObject(rng)]]),
    () => obj([['message', raw('x')], ['stack', raw('at x')]]),
  ])()
}

/** A body nested past the limit somewhere the contract stores it, for the given route. */
export function deepBody(rng: Rng, route: 'create' | 'publish' | 'batch' | 'transition'): Raw {
  const value = deep(rng, tooDeep(rng))
  const inObject = obj([['k', value]])
  switch (route) {
    case 'create':
      return rng.pick([
        () => obj([['type', '"deep"'], [rng.pick(['params', 'metadata']), inObject]]),
        () => obj([['authConfig', obj([['rules', arr([obj([['match', '{"scope":["*"]}'], ['require', obj([['claims', inObject]])]])])]])]]),
        () => obj([['unknownDeep', value]]),
        () => value,
      ])()
    case 'publish':
      return rng.pick([
        () => obj([['type', '"deep"'], ['data', value]]),
        () => obj([['type', '"deep"'], ['seriesId', '"s"'], ['seriesMode', '"accumulate"'], ['data', obj([['text', value]])]]),
        () => obj([['type', '"deep"'], ['unknownDeep', value]]),
      ])()
    case 'batch':
      return rng.pick([
        () => arr([validEvent(rng), obj([['type', '"deep"'], ['data', value]]), validEvent(rng)]),
        () => arr([value]),
        () => value.startsWith('[') ? value : arr([value]),
      ])()
    case 'transition':
      return rng.pick([
        () => obj([['status', '"completed"'], ['result', inObject]]),
        () => obj([['status', raw(rng.pick(['failed', 'cancelled', 'timeout']))], ['error', obj([['message', '"deep"'], ['details', inObject]])]]),
        () => obj([['status', '"completed"'], ['unknownDeep', value]]),
      ])()
  }
}
