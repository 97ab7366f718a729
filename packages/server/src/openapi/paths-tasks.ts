// The task routes (SPEC §7, §16, §17, §21): create, list, read, transition, resolve, cancel, delete.
import type { TaskcastErrorCode } from '@taskcast/core'
import type { PathItem } from './openapi-types.js'
import { taskIdParameter, taskListParameters } from './parameters.js'
import { jsonBody } from './request-body.js'
import { API_FAULTS, errorResponses, jsonResponse, noContent } from './responses.js'
import { ref } from './schema-helpers.js'
import { needsScope } from './security.js'

const TAGS = ['tasks']

/** Codes of a route that reads a JSON body. */
const BODY: readonly TaskcastErrorCode[] = ['VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE']
/** Codes of a route that moves a task. */
const MOVE: readonly TaskcastErrorCode[] = [...BODY, 'INVALID_TRANSITION', 'TASK_NOT_FOUND', 'CONFLICT']

const taskResponse = (description: string) => jsonResponse(description, ref('Task'))

export const taskPaths: Record<string, PathItem> = {
  '/tasks': {
    post: {
      operationId: 'createTask',
      summary: 'Create a task',
      description: 'Creation appends no event. Per-task webhooks need the `webhook:create` scope too, and their URLs are checked before anything is stored.',
      tags: TAGS,
      requestBody: jsonBody('The task; no body at all is `{}`.', ref('CreateTaskRequest'), false),
      responses: {
        '201': taskResponse('The task, pending.'),
        ...errorResponses([...BODY, 'DUPLICATE_TASK', ...API_FAULTS]),
      },
      ...needsScope('task:create'),
    },
    get: {
      operationId: 'listTasks',
      summary: 'List and search tasks',
      description: 'Newest first (ties by id). A token with a `taskIds` list sees only those tasks.',
      tags: TAGS,
      parameters: taskListParameters,
      responses: {
        '200': jsonResponse('One page.', ref('TaskList')),
        ...errorResponses(['VALIDATION_ERROR', ...API_FAULTS]),
      },
      ...needsScope('task:list'),
    },
  },
  '/tasks/{id}': {
    get: {
      operationId: 'getTask',
      summary: 'Read a task',
      tags: TAGS,
      parameters: [taskIdParameter],
      responses: {
        '200': jsonResponse('The task, with how many streams watch it.', ref('TaskWithSubscribers')),
        ...errorResponses(['TASK_NOT_FOUND', ...API_FAULTS]),
      },
      ...needsScope('event:subscribe', 'task:manage'),
    },
    delete: {
      operationId: 'deleteTask',
      summary: 'Delete a task and its events',
      description: 'Open streams of the task end with a `taskcast.error` frame.',
      tags: TAGS,
      parameters: [taskIdParameter],
      responses: {
        '204': noContent('Deleted.'),
        ...errorResponses(['TASK_NOT_FOUND', ...API_FAULTS]),
      },
      ...needsScope('task:manage'),
    },
  },
  '/tasks/{id}/status': {
    patch: {
      operationId: 'transitionTask',
      summary: 'Move a task to another status',
      description: 'Appends a `taskcast:status` event. A move the state machine does not allow is 400 INVALID_TRANSITION; a concurrent move that won is 409 CONFLICT.',
      tags: TAGS,
      parameters: [taskIdParameter],
      requestBody: jsonBody('The new status and its payload.', ref('TransitionRequest')),
      responses: {
        '200': taskResponse('The task after the move.'),
        ...errorResponses([...MOVE, ...API_FAULTS]),
      },
      ...needsScope('task:manage'),
    },
  },
  '/tasks/{id}/resolve': {
    post: {
      operationId: 'resolveTask',
      summary: 'Answer a blocked task',
      description: 'Moves blocked → running and stores the answer as `resolution` (SPEC §16). A task that is not blocked is 400 INVALID_TRANSITION.',
      tags: TAGS,
      parameters: [taskIdParameter],
      requestBody: jsonBody('The answer.', ref('ResolveRequest')),
      responses: {
        '200': taskResponse('The task, running again.'),
        ...errorResponses([...MOVE, ...API_FAULTS]),
      },
      ...needsScope('task:resolve', 'task:manage'),
    },
  },
  '/tasks/{id}/cancel': {
    post: {
      operationId: 'cancelTask',
      summary: 'Cancel a task',
      description: 'Moves any task that has not ended to cancelled (SPEC §17); one that ended is 400 INVALID_TRANSITION.',
      tags: TAGS,
      parameters: [taskIdParameter],
      requestBody: jsonBody('Why; no body at all is a cancel without a reason.', ref('CancelRequest'), false),
      responses: {
        '200': taskResponse('The task, cancelled.'),
        ...errorResponses([...MOVE, ...API_FAULTS]),
      },
      ...needsScope('task:cancel', 'task:manage'),
    },
  },
}
