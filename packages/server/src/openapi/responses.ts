// Responses of the routes: JSON bodies, SSE streams, and the errors each route can answer, under
// the status core's one table gives their codes.
import type { TaskcastErrorCode } from '@taskcast/core'
import { EVENT_FRAME, httpStatusOf } from '@taskcast/core/wire'
import type { JsonSchema, MediaType, Response } from './openapi-types.js'
import { ref } from './schema-helpers.js'

export const JSON_MEDIA_TYPE = 'application/json'
export const SSE_MEDIA_TYPE = 'text/event-stream'

export function jsonResponse(description: string, schema: JsonSchema): Response {
  return { description, content: { [JSON_MEDIA_TYPE]: { schema } } }
}

export function noContent(description: string): Response {
  return { description }
}

/**
 * A stream of SSE frames. OpenAPI 3.1 cannot describe the frames themselves: `x-taskcast-frames`
 * gives the schema of each frame's `data` by the frame's `event:` name.
 */
export function sseResponse(description: string, frames: Record<string, JsonSchema>): Response {
  const media: MediaType = {
    schema: { type: 'string', description: `Frames \`event: <name>\`, \`id: <event id>\` (${EVENT_FRAME} only), \`data: <JSON>\`; a \`retry:\` field first; \`: ping\` comments.` },
    'x-taskcast-frames': frames,
  }
  return {
    description,
    headers: {
      'Cache-Control': { description: 'no-cache', required: true, schema: { type: 'string', const: 'no-cache' } },
      'X-Accel-Buffering': { description: 'Tells nginx not to buffer the stream.', required: true, schema: { type: 'string', const: 'no' } },
    },
    content: { [SSE_MEDIA_TYPE]: media },
  }
}

/** Codes every route may answer: a fault of the server's. */
const SERVER_FAULTS: readonly TaskcastErrorCode[] = ['INTERNAL']
/** Codes of every route behind the API's auth that reads a store. */
export const API_FAULTS: readonly TaskcastErrorCode[] = ['UNAUTHORIZED', 'FORBIDDEN', 'STORE_UNAVAILABLE']

/**
 * The error responses of a route that answers `codes`, one per status. Each narrows the error
 * schema's `code` to the codes it is answered for.
 */
export function errorResponses(codes: readonly TaskcastErrorCode[]): Record<string, Response> {
  const byStatus = new Map<number, TaskcastErrorCode[]>()
  for (const code of new Set([...codes, ...SERVER_FAULTS])) {
    const status = httpStatusOf(code)
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const responses: Record<string, Response> = {}
  for (const [status, answered] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = jsonResponse(answered.join(' or '), errorOf(answered))
  }
  return responses
}

function errorOf(codes: readonly TaskcastErrorCode[]): JsonSchema {
  return {
    allOf: [ref('ErrorResponse')],
    type: 'object',
    properties: { error: { type: 'object', properties: { code: { enum: [...codes] } } } },
  }
}
