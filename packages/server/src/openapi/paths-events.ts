// The event routes (SPEC §7, §8, §19, §21): publish, a task's stream and history, and the stream
// of every task's events.
import { DONE_FRAME, ERROR_FRAME, EVENT_FRAME } from '@taskcast/core/wire'
import { DEFAULT_LIMITS } from '../options.js'
import type { PathItem } from './openapi-types.js'
import { globalEventParameters, historyParameters, producerHeaderParameters, subscribeParameters, taskIdParameter } from './parameters.js'
import { jsonBody } from './request-body.js'
import { API_FAULTS, errorResponses, jsonResponse, noContent, sseResponse } from './responses.js'
import { arrayOf, ref } from './schema-helpers.js'
import { needsScope } from './security.js'

const TAGS = ['events']

const oneOrBatch = (name: string) => ({ oneOf: [ref(name), { ...arrayOf(ref(name)), minItems: 1 }] })

export const eventPaths: Record<string, PathItem> = {
  '/tasks/{id}/events': {
    post: {
      operationId: 'publishEvents',
      summary: 'Publish one event, or a batch',
      description:
        'Only while the task is running (else 400 TASK_NOT_RUNNING). A batch is atomic: one invalid item stores nothing; its events take consecutive indexes. ' +
        `At most \`limits.maxBatchSize\` events (default ${DEFAULT_LIMITS.maxBatchSize}, else 413). ` +
        'With the producer headers (SPEC §19) publishing is exactly-once: a retry of an accepted request is answered 200 with the events as first stored.',
      tags: TAGS,
      parameters: [taskIdParameter, ...producerHeaderParameters],
      requestBody: jsonBody('One event, or an array of them.', oneOrBatch('PublishEventRequest')),
      responses: {
        '200': jsonResponse('A producer’s retry: the events as they were stored (same ids and indexes); nothing appended.', oneOrBatch('TaskEvent')),
        '201': jsonResponse('The event (for one) or the events (for an array), as stored.', oneOrBatch('TaskEvent')),
        ...errorResponses(['VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE', 'TASK_NOT_FOUND', 'TASK_NOT_RUNNING', 'STALE_PRODUCER', 'SEQUENCE_GAP', ...API_FAULTS]),
      },
      ...needsScope('event:publish'),
    },
    get: {
      operationId: 'subscribeTaskEvents',
      summary: 'Stream a task’s events (SSE)',
      description:
        'Pending: held open, streamed once running. Running or suspended: history, then live events. Terminal: history, then `taskcast.done`, then the end. ' +
        'Errors found before the stream starts (bad query, unknown since.id, missing task) are JSON answers.',
      tags: TAGS,
      parameters: [taskIdParameter, ...subscribeParameters],
      responses: {
        '200': sseResponse('The stream.', {
          [EVENT_FRAME]: { ...ref('SSEEnvelope'), description: 'With `wrap=false`: the event’s bare data instead (a string as it is, anything else as JSON).' },
          [DONE_FRAME]: ref('DoneFrame'),
          [ERROR_FRAME]: { ...ref('Error'), description: 'The task went away (deleted, or no longer stored): do not reconnect.' },
        }),
        '204': noContent('A reconnect (`Last-Event-ID`) to a finished task with nothing after that event: an EventSource stops for good.'),
        ...errorResponses(['VALIDATION_ERROR', 'TASK_NOT_FOUND', ...API_FAULTS]),
      },
      ...needsScope('event:subscribe'),
    },
  },
  '/tasks/{id}/events/history': {
    get: {
      operationId: 'getTaskEventHistory',
      summary: 'Read a task’s events',
      description: 'The stored events that pass the filter, in index order; series are never collapsed.',
      tags: TAGS,
      parameters: [taskIdParameter, ...historyParameters],
      responses: {
        '200': jsonResponse('The events.', arrayOf(ref('TaskEvent'))),
        ...errorResponses(['VALIDATION_ERROR', 'TASK_NOT_FOUND', ...API_FAULTS]),
      },
      ...needsScope('event:history'),
    },
  },
  '/events': {
    get: {
      operationId: 'subscribeAllEvents',
      summary: 'Stream every task’s events (SSE)',
      description: 'Live only, on every server process. A token with a `taskIds` list gets only those tasks.',
      tags: TAGS,
      parameters: globalEventParameters,
      responses: {
        '200': sseResponse('The stream.', { [EVENT_FRAME]: { oneOf: [ref('SSEEnvelope'), ref('TaskCreatedEnvelope')] } }),
        ...errorResponses(['VALIDATION_ERROR', ...API_FAULTS]),
      },
      ...needsScope('event:subscribe'),
    },
  },
}
