// The worker routes (SPEC §18): the long-poll that hands out pending tasks, the WebSocket that
// offers them, and who is connected.
import type { PathItem } from './openapi-types.js'
import { workerPullParameters } from './parameters.js'
import { API_FAULTS, errorResponses, jsonResponse, noContent } from './responses.js'
import { arrayOf, closedObject, nonEmptyString, ref } from './schema-helpers.js'
import { needsScope } from './security.js'

const TAGS = ['workers']

const count = (description: string) => ({ type: 'integer', minimum: 0, description })

/** A WebSocket worker as `GET /workers` lists it (a pull worker is `Worker`). */
const wsWorker = closedObject(
  {
    workerId: nonEmptyString(),
    types: arrayOf(nonEmptyString()),
    tags: arrayOf(nonEmptyString()),
    mode: { const: 'ws' },
    capacity: { type: 'integer', minimum: 1, maximum: 100 },
    assigned: count('Tasks assigned to it and not started.'),
    running: count('Tasks it started and that have not ended.'),
    connectedAt: { type: 'integer', description: 'When its socket opened (ms since epoch).' },
  },
  ['workerId', 'mode', 'capacity', 'assigned', 'running', 'connectedAt'],
)

export const workerPaths: Record<string, PathItem> = {
  '/workers/pull': {
    get: {
      operationId: 'pullTask',
      summary: 'Wait for a pending task to work on',
      description:
        'Held until a pending task created with `assign` matches the worker (oldest first), which is then assigned to it (`pending → assigned`, exactly one worker across processes), or until the timeout. ' +
        'The worker moves it to `running` within the task’s `leaseMs`, or it goes back to `pending`; `PATCH` to `pending` gives it back.',
      tags: TAGS,
      parameters: workerPullParameters,
      responses: {
        '200': jsonResponse('The task, assigned to this worker.', ref('Task')),
        '204': noContent('No task for this worker before the timeout.'),
        ...errorResponses(['VALIDATION_ERROR', ...API_FAULTS]),
      },
      ...needsScope('worker:pull'),
    },
  },
  '/workers/ws': {
    get: {
      operationId: 'workerSocket',
      summary: 'A WebSocket on which the server offers pending tasks to a worker',
      description:
        'Served when the app was given `upgradeWebSocket`. The worker says `{ type: "hello", workerId, types?, tags?, capacity?, token? }`; ' +
        'the server sends `{ type: "offer", task }` while the worker holds fewer than `capacity` tasks; the worker answers `{ type: "accept", taskId }` ' +
        'or `{ type: "decline", taskId }`; the first accept wins (`{ type: "assigned", task }`), the others get `{ type: "taken", taskId }`. ' +
        'Bad messages get `{ type: "error", code, message }`; a protocol violation closes the socket with 1008, a frame over 64 KiB with 1009. ' +
        'Without credentials on the upgrade, the hello must carry a token with `worker:pull`. See docs/workers.md.',
      tags: TAGS,
      responses: {
        '101': noContent('Switching Protocols: the socket is open.'),
        '200': noContent('The app accepted the upgrade; on Node (@hono/node-ws) the adapter then switches protocols itself.'),
        ...errorResponses(['VALIDATION_ERROR', 'ROUTE_NOT_FOUND', ...API_FAULTS]),
      },
      ...needsScope('worker:pull'),
    },
  },
  '/workers': {
    get: {
      operationId: 'listWorkers',
      summary: 'The workers waiting on, or connected to, every server process sharing the broadcast',
      tags: TAGS,
      responses: {
        '200': jsonResponse('The workers.', closedObject({ workers: arrayOf({ oneOf: [ref('Worker'), wsWorker] }) }, ['workers'])),
        ...errorResponses(API_FAULTS),
      },
      ...needsScope('task:manage'),
    },
  },
}
