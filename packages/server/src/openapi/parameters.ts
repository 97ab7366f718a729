// Parameters of the routes: the task id, the subscription query of SPEC §8 (`parseSubscribeQuery`
// reads it), the task list query of §21, `Last-Event-ID` and the producer headers of §19.
import {
  LEVELS,
  PRODUCER_ID_PATTERN,
  TASK_LIST_DEFAULT_LIMIT,
  TASK_LIST_MAX_LIMIT,
  TASK_LIST_SOURCES,
  TASK_STATUSES,
  type SeriesFormat,
  type TaskListSource,
} from '@taskcast/core'
import { DEFAULT_PULL_TIMEOUT_MS, MAX_PULL_TIMEOUT_MS, PRODUCER_EPOCH_HEADER, PRODUCER_ID_HEADER, PRODUCER_SEQ_HEADER } from '@taskcast/core/wire'
import type { Parameter } from './openapi-types.js'
import { oneOfValues } from './schema-helpers.js'

/** Every series format, checked against core's type both ways (core exports no list of them). */
const SERIES_FORMATS = Object.keys({ delta: true, accumulated: true } satisfies Record<SeriesFormat, true>)

export const taskIdParameter: Parameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The task id.',
  schema: { type: 'string', minLength: 1 },
}

/** A comma-separated list (`?levels=warn,error`); empty items are dropped. */
function listQuery(name: string, description: string, items: Parameter['schema'] = { type: 'string' }): Parameter {
  return { name, in: 'query', description, style: 'form', explode: false, schema: { type: 'array', items } }
}

function query(name: string, description: string, schema: Parameter['schema']): Parameter {
  return { name, in: 'query', description, schema }
}

const BOOLEAN_WORDS = '`true` or `false` (`1`, `0` also accepted)'
const types = listQuery('types', 'Event types to pass, with wildcards (`llm.*`, `*`); empty (`types=`) passes no user event, only status events.')
const levels = listQuery('levels', 'Levels to pass.', oneOfValues(LEVELS))
const includeStatus = query('includeStatus', `Whether status events pass: ${BOOLEAN_WORDS}.`, { type: 'boolean', default: true })

/** The filter and cursor of a task's events, as history takes them. */
export const historyParameters: Parameter[] = [
  types,
  levels,
  includeStatus,
  query('since.id', 'Only events after the one with this id (which must be in the log).', { type: 'string', minLength: 1 }),
  query('since.index', 'Only events whose filtered index is greater.', { type: 'integer', minimum: 0 }),
  query('since.timestamp', 'Only events later than this time (ms since the epoch).', { type: 'integer', minimum: 0 }),
  query('seriesFormat', 'Events of accumulate series as sent (`delta`) or as running values (`accumulated`).', {
    ...oneOfValues(SERIES_FORMATS),
    default: 'delta',
  }),
  query('limit', 'At most this many events (for a stream: of its history replay).', { type: 'integer', minimum: 1 }),
]

/** A stream takes history's parameters, `wrap` and the `Last-Event-ID` header. */
export const subscribeParameters: Parameter[] = [
  ...historyParameters,
  query('wrap', `Each frame's data is the SSEEnvelope (\`true\`) or the event's bare data (\`false\`): ${BOOLEAN_WORDS}.`, {
    type: 'boolean',
    default: true,
  }),
  {
    name: 'Last-Event-ID',
    in: 'header',
    description:
      'Sent by EventSource when it reconnects: resume after this event id (it overrides `since.id`). For a finished task with nothing after it the answer is 204, which ends an EventSource for good.',
    schema: { type: 'string' },
  },
]

/** The filter of `GET /events` (SPEC §21). */
export const globalEventParameters: Parameter[] = [
  types,
  levels,
  includeStatus,
  listQuery('taskTypes', 'Only events of tasks of these types, with wildcards (`llm.*`).'),
]

export const taskListParameters: Parameter[] = [
  listQuery('status', 'Only tasks in one of these statuses.', oneOfValues(TASK_STATUSES)),
  listQuery('type', 'Only tasks of these types, with wildcards (`llm.*`); a task without a type never matches.'),
  query('createdAfter', 'Only tasks created after this time (ms since the epoch, exclusive).', { type: 'integer', minimum: 0 }),
  query('createdBefore', 'Only tasks created before this time (ms since the epoch, exclusive).', { type: 'integer', minimum: 0 }),
  query('limit', 'Page size.', { type: 'integer', minimum: 1, maximum: TASK_LIST_MAX_LIMIT, default: TASK_LIST_DEFAULT_LIMIT }),
  query('cursor', 'The `nextCursor` of the previous page (opaque).', { type: 'string', minLength: 1 }),
  query('source', 'The live task index of the short-term store, or the archive of the long-term store.', {
    ...oneOfValues(TASK_LIST_SOURCES),
    default: 'live' satisfies TaskListSource,
  }),
]

export const workerPullParameters: Parameter[] = [
  { ...query('workerId', 'The worker asking: 1–128 letters, digits, `.`, `_`, `:` or `-`.', { type: 'string', minLength: 1 }), required: true },
  listQuery('types', 'Task types it runs, with wildcards (`llm.*`); without it, any task.'),
  listQuery('tags', 'What it has (`gpu`): it takes a task only when it has every tag the task asks for.'),
  query('timeout', 'How long to wait for a task (ms); 0 answers at once.', {
    type: 'integer',
    minimum: 0,
    maximum: MAX_PULL_TIMEOUT_MS,
    default: DEFAULT_PULL_TIMEOUT_MS,
  }),
]

/** The stamp of an idempotent producer (SPEC §19): all three or none. */
export const producerHeaderParameters: Parameter[] = [
  {
    name: PRODUCER_ID_HEADER,
    in: 'header',
    description: `The producer's id, printable ASCII. With ${PRODUCER_EPOCH_HEADER} and ${PRODUCER_SEQ_HEADER}: all three or none.`,
    schema: { type: 'string', pattern: PRODUCER_ID_PATTERN.source },
  },
  {
    name: PRODUCER_EPOCH_HEADER,
    in: 'header',
    description: 'The producer’s epoch: a higher one fences off the lower (409 STALE_PRODUCER for them).',
    schema: { type: 'integer', minimum: 0 },
  },
  {
    name: PRODUCER_SEQ_HEADER,
    in: 'header',
    description: 'The sequence number of the body’s first event (a batch of n takes seq … seq+n−1); 409 SEQUENCE_GAP past the next expected.',
    schema: { type: 'integer', minimum: 0 },
  },
]
