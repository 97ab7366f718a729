// The worker routes (SPEC §18): the long-poll that hands out pending tasks, and who waits.
import type { PathItem } from './openapi-types.js'
import { workerPullParameters } from './parameters.js'
import { API_FAULTS, errorResponses, jsonResponse, noContent } from './responses.js'
import { arrayOf, closedObject, ref } from './schema-helpers.js'
import { needsScope } from './security.js'

const TAGS = ['workers']

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
  '/workers': {
    get: {
      operationId: 'listWorkers',
      summary: 'The workers waiting on this server process',
      tags: TAGS,
      responses: {
        '200': jsonResponse('The workers.', closedObject({ workers: arrayOf(ref('Worker')) }, ['workers'])),
        ...errorResponses(API_FAULTS),
      },
      ...needsScope('task:manage'),
    },
  },
}
