// `components.schemas`: the data model (SPEC §2), the bodies the routes take and the shapes they
// answer. Enums and limits come from @taskcast/core's constants, the rules' one source.
import {
  CLEANUP_TARGETS,
  isTerminalStatus,
  LEVELS,
  MAX_REASON_BYTES,
  MAX_REQUEST_BYTES,
  PERMISSION_SCOPES,
  RESERVED_TYPE_PREFIX,
  SERIES_MODES,
  STATUS_EVENT_TYPE,
  TASK_CREATED_TYPE,
  TASK_STATUSES,
  TASKCAST_ERROR_CODES,
  WEBHOOK_BACKOFFS,
  DEFAULT_LEASE_MS,
  type SeriesMode,
} from '@taskcast/core'
import { MAX_LEASE_MS, MAX_TAG_LENGTH, MAX_TAGS, MIN_LEASE_MS } from '@taskcast/core/internal'
import { REDACTED } from '../task-view.js'
import type { JsonSchema } from './openapi-types.js'
import { anyJson, arrayOf, closedObject, jsonObject, nonEmptyString, oneOfValues, ref, startsWith, timestamp } from './schema-helpers.js'

const names = arrayOf(nonEmptyString())

const eventFilter = closedObject({
  types: { ...names, description: 'Event types, with wildcards (`llm.*`, `*`); an empty list matches no user event.' },
  levels: arrayOf(ref('Level')),
  includeStatus: { type: 'boolean', default: true, description: `Whether \`${STATUS_EVENT_TYPE}\` events pass.` },
})

const webhookConfig = closedObject(
  {
    url: { type: 'string', format: 'uri', description: 'http or https; private networks are refused unless the server allows them.' },
    filter: ref('EventFilter'),
    secret: { ...nonEmptyString(`Signs each delivery. Tasks are answered with \`${REDACTED}\` in its place.`) },
    wrap: { type: 'boolean', default: true, description: 'Deliver SSE envelopes (true) or the bare events.' },
    retry: closedObject({
      retries: { type: 'integer', minimum: 0 },
      backoff: oneOfValues(WEBHOOK_BACKOFFS),
      initialDelayMs: { type: 'number', minimum: 0 },
      maxDelayMs: { type: 'number', minimum: 0 },
      timeoutMs: { type: 'number', minimum: 1 },
    }),
  },
  ['url'],
)

const cleanupRule = closedObject(
  {
    name: nonEmptyString(),
    match: closedObject({ taskTypes: names, status: arrayOf(ref('TaskStatus')) }),
    trigger: closedObject({ afterMs: { type: 'number', minimum: 0 } }),
    target: oneOfValues(CLEANUP_TARGETS),
    eventFilter: closedObject({ types: names, levels: arrayOf(ref('Level')), seriesMode: arrayOf(ref('SeriesMode')) }),
  },
  ['target'],
)

const authConfig = closedObject(
  {
    rules: arrayOf(
      closedObject(
        {
          match: closedObject({ scope: arrayOf(ref('PermissionScope')) }),
          require: closedObject({ sub: names, claims: jsonObject('Claims the token must carry, with these values.') }),
        },
        ['match', 'require'],
      ),
    ),
  },
  ['rules'],
  { description: 'Extra constraints on callers of this task (SPEC §9); they never relax the global check.' },
)

const taskError = closedObject({ code: nonEmptyString(), message: { type: 'string' }, details: jsonObject('Machine-readable context.') }, ['message'])

const blockedRequest = closedObject(
  { type: nonEmptyString('What kind of answer the task waits for, e.g. `approval`.'), data: anyJson('Any JSON value.') },
  ['type'],
  { description: `The question of a blocked task (SPEC §16): at most ${MAX_REQUEST_BYTES} bytes as JSON.` },
)

const ACCUMULATE = 'accumulate' satisfies SeriesMode

/** The fields of a task as stored, whichever route answers it. */
const taskProperties: Record<string, JsonSchema> = {
  id: nonEmptyString('A ULID unless the creator chose one.'),
  type: nonEmptyString(),
  status: ref('TaskStatus'),
  params: jsonObject('Set at creation, read-only afterwards.'),
  result: jsonObject('Only once completed.'),
  error: ref('TaskError'),
  metadata: jsonObject('The creator’s own.'),
  createdAt: timestamp('ms since the epoch'),
  updatedAt: timestamp('ms since the epoch'),
  completedAt: timestamp('ms since the epoch, once terminal'),
  ttl: { type: 'number', exclusiveMinimum: 0, description: 'Seconds; the deadline is createdAt + ttl × 1000.' },
  authConfig: ref('TaskAuthConfig'),
  webhooks: arrayOf(ref('WebhookConfig')),
  cleanup: closedObject({ rules: arrayOf(ref('CleanupRule')) }, ['rules']),
  blockedRequest: ref('BlockedRequest'),
  resolution: anyJson('The last answer given to the blocked task (`POST /tasks/{id}/resolve`).'),
  assign: ref('TaskAssign'),
  assignedTo: closedObject(
    { workerId: nonEmptyString(), at: timestamp('When the task was assigned (ms since the epoch); its lease runs from here.') },
    ['workerId', 'at'],
    { description: 'The worker holding the task: set when it is assigned, kept while it runs, gone when it is given back.' },
  ),
}
const taskRequired = ['id', 'status', 'createdAt', 'updatedAt'] as const

const statusEventData = closedObject(
  {
    status: ref('TaskStatus'),
    previousStatus: ref('TaskStatus'),
    result: jsonObject('With a move to completed.'),
    error: ref('TaskError'),
    reason: { type: 'string', minLength: 1 },
    request: ref('BlockedRequest'),
    resolution: anyJson('The answer of a resolution (blocked → running).'),
    workerId: nonEmptyString('The worker of a move to assigned.'),
  },
  ['status', 'previousStatus'],
  { description: `The data of every \`${STATUS_EVENT_TYPE}\` event.` },
)

/** The data of a status event is a StatusEventData; of any other event, the producer's JSON. */
const statusEventTyped: JsonSchema = {
  if: { type: 'object', properties: { type: { const: STATUS_EVENT_TYPE } }, required: ['type'] },
  then: { type: 'object', properties: { data: ref('StatusEventData') } },
}

const seriesFields: Record<string, JsonSchema> = {
  seriesId: nonEmptyString(),
  seriesMode: ref('SeriesMode'),
  seriesAccField: nonEmptyString('For accumulate series: the field whose text is concatenated.'),
}

const taskEvent = closedObject(
  {
    id: nonEmptyString('A ULID.'),
    taskId: nonEmptyString(),
    index: { type: 'integer', minimum: 0, description: '0, 1, 2, … per task, with no gaps.' },
    timestamp: timestamp('ms since the epoch'),
    type: nonEmptyString(),
    level: ref('Level'),
    data: anyJson('Any JSON value (null when published without data).'),
    ...seriesFields,
  },
  ['id', 'taskId', 'index', 'timestamp', 'type', 'level', 'data'],
  statusEventTyped,
)

const sseEnvelope = closedObject(
  {
    filteredIndex: { type: 'integer', minimum: 0, description: 'Position among the events this reader’s filter passes.' },
    rawIndex: { type: 'integer', minimum: 0, description: 'The event’s `index` in the task’s log.' },
    eventId: nonEmptyString(),
    taskId: nonEmptyString(),
    type: nonEmptyString(),
    timestamp: timestamp('ms since the epoch'),
    level: ref('Level'),
    data: anyJson('Any JSON value.'),
    ...seriesFields,
    seriesSnapshot: { type: 'boolean', description: 'The accumulated value of a series so far, for a late joiner.' },
  },
  ['filteredIndex', 'rawIndex', 'eventId', 'taskId', 'type', 'timestamp', 'level', 'data'],
  statusEventTyped,
)

/** What `GET /events` sends of a new task, before its log has anything: index -1. */
const taskCreatedEnvelope = closedObject(
  {
    filteredIndex: { const: -1 },
    rawIndex: { const: -1 },
    eventId: nonEmptyString(),
    taskId: nonEmptyString(),
    type: { const: TASK_CREATED_TYPE },
    timestamp: timestamp('The task’s `createdAt`.'),
    level: { const: 'info' },
    data: closedObject(
      {
        status: { const: 'pending' },
        createdAt: timestamp('ms since the epoch'),
        type: nonEmptyString('The task’s type, when it has one.'),
        assignable: { const: true, description: 'The task was created with `assign`: it waits for a worker.' },
      },
      ['status', 'createdAt'],
    ),
  },
  ['filteredIndex', 'rawIndex', 'eventId', 'taskId', 'type', 'timestamp', 'level', 'data'],
  { description: `A task was created (\`${TASK_CREATED_TYPE}\`): sent by \`GET /events\` with the status events (\`includeStatus\`), never stored.` },
)

const errorObject = closedObject(
  {
    code: oneOfValues(TASKCAST_ERROR_CODES),
    message: { type: 'string' },
    details: jsonObject('Machine-readable context, e.g. the offending field, `expectedSeq`, or the health of each store.'),
  },
  ['code', 'message'],
)

const publishEvent = closedObject(
  {
    type: { ...nonEmptyString(), not: { pattern: startsWith(RESERVED_TYPE_PREFIX) }, description: `Not starting with \`${RESERVED_TYPE_PREFIX}\`.` },
    level: { ...ref('Level'), default: 'info' },
    data: anyJson('Any JSON value; null when absent.'),
    seriesId: nonEmptyString(),
    seriesMode: { ...ref('SeriesMode'), description: 'Needs a seriesId; `keep-all` when a seriesId comes without one.' },
    seriesAccField: nonEmptyString('Only with seriesMode `accumulate`.'),
  },
  ['type'],
  {
    dependentRequired: { seriesMode: ['seriesId'] },
    dependentSchemas: { seriesAccField: { type: 'object', required: ['seriesMode'], properties: { seriesMode: { const: ACCUMULATE } } } },
  },
)

export const schemas: Record<string, JsonSchema> = {
  TaskStatus: oneOfValues(TASK_STATUSES),
  Level: oneOfValues(LEVELS),
  SeriesMode: oneOfValues(SERIES_MODES),
  PermissionScope: oneOfValues(PERMISSION_SCOPES),
  TaskError: taskError,
  BlockedRequest: blockedRequest,
  EventFilter: eventFilter,
  WebhookConfig: webhookConfig,
  CleanupRule: cleanupRule,
  TaskAuthConfig: authConfig,
  TaskAssign: closedObject(
    {
      tags: { ...arrayOf({ ...nonEmptyString(), maxLength: MAX_TAG_LENGTH }), maxItems: MAX_TAGS, description: 'A worker takes the task only when it has every one of these tags.' },
      leaseMs: {
        type: 'integer',
        minimum: MIN_LEASE_MS,
        maximum: MAX_LEASE_MS,
        default: DEFAULT_LEASE_MS,
        description: 'How long an assigned task may wait for its worker to start it before it is offered again.',
      },
    },
    [],
    { description: 'The task waits for a worker (`GET /workers/pull`).' },
  ),
  Worker: closedObject(
    {
      workerId: nonEmptyString(),
      types: arrayOf(nonEmptyString()),
      tags: arrayOf(nonEmptyString()),
      mode: { const: 'pull' },
    },
    ['workerId', 'mode'],
  ),
  Task: closedObject(taskProperties, taskRequired),
  TaskWithSubscribers: closedObject(
    { ...taskProperties, subscribers: { type: 'integer', minimum: 0, description: 'Open SSE streams of the task, on every server process.' } },
    [...taskRequired, 'subscribers'],
  ),
  TaskList: closedObject(
    {
      tasks: arrayOf(ref('Task'), 'Newest first (ties by id).'),
      nextCursor: { type: ['string', 'null'], description: 'Pass it as `cursor` for the next page; null on the last one.' },
    },
    ['tasks', 'nextCursor'],
  ),
  TaskEvent: taskEvent,
  StatusEventData: statusEventData,
  SSEEnvelope: sseEnvelope,
  TaskCreatedEnvelope: taskCreatedEnvelope,
  DoneFrame: closedObject({ reason: oneOfValues(TASK_STATUSES.filter(isTerminalStatus), 'The terminal status the task reached.') }, ['reason']),
  Error: errorObject,
  ErrorResponse: closedObject({ error: ref('Error') }, ['error'], { description: 'The body of every error answer.' }),
  Health: closedObject(
    { ok: { type: 'boolean' }, shortTerm: { type: 'boolean' }, longTerm: { type: 'boolean', description: 'Present when a long-term store is configured.' } },
    ['ok', 'shortTerm'],
  ),
  CreateTaskRequest: closedObject({
    id: nonEmptyString('1–128 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit; a ULID when absent.'),
    type: nonEmptyString(),
    params: jsonObject('Any JSON object.'),
    metadata: jsonObject('Any JSON object.'),
    ttl: taskProperties.ttl!,
    authConfig: ref('TaskAuthConfig'),
    webhooks: { ...arrayOf(ref('WebhookConfig')), description: 'Needs the `webhook:create` scope too when not empty.' },
    cleanup: taskProperties.cleanup!,
    assign: ref('TaskAssign'),
  }),
  TransitionRequest: closedObject(
    {
      status: ref('TaskStatus'),
      result: jsonObject('Only with `completed`.'),
      error: { ...ref('TaskError'), description: 'Only with `failed`, `timeout` or `cancelled`.' },
      reason: { type: 'string', minLength: 1, maxLength: MAX_REASON_BYTES, description: `At most ${MAX_REASON_BYTES} bytes of UTF-8; carried in the status event.` },
      request: { ...ref('BlockedRequest'), description: 'Only with `blocked`.' },
    },
    ['status'],
  ),
  PublishEventRequest: publishEvent,
  ResolveRequest: closedObject({ data: anyJson('The answer: any JSON value, null included.') }, ['data']),
  CancelRequest: closedObject({
    reason: { type: 'string', minLength: 1, maxLength: MAX_REASON_BYTES, description: `At most ${MAX_REASON_BYTES} bytes of UTF-8; carried in the status event.` },
  }),
}
