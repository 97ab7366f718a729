// The parts of an OpenAPI 3.1 document this server writes, typed just enough to catch a
// misspelt field here; the tests validate the whole document against the official schema.
import type { PermissionScope } from '@taskcast/core'

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1). */
export type JsonSchema = { [keyword: string]: unknown }

export interface MediaType {
  schema: JsonSchema
  /** Not OpenAPI's own: for `text/event-stream`, the schema of each frame's `data`, by frame name. */
  'x-taskcast-frames'?: Record<string, JsonSchema>
}

export interface Header {
  description: string
  required?: boolean
  schema: JsonSchema
}

export interface Response {
  description: string
  headers?: Record<string, Header>
  content?: Record<string, MediaType>
}

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  description: string
  required?: boolean
  schema: JsonSchema
  /** `form` with `explode: false` is a comma-separated list (`?status=running,blocked`). */
  style?: 'form' | 'simple'
  explode?: boolean
}

export interface RequestBody {
  description: string
  required: boolean
  content: Record<string, MediaType>
}

export type SecurityRequirement = Record<string, string[]>

export interface Operation {
  operationId: string
  summary: string
  description?: string
  tags: string[]
  parameters?: Parameter[]
  requestBody?: RequestBody
  responses: Record<string, Response>
  /** Alternatives: any one of them suffices. `[]` is a route that needs no credentials. */
  security: SecurityRequirement[]
  /** The scopes of which the caller needs one (SPEC §9); absent on routes outside the API's auth. */
  'x-taskcast-scope'?: PermissionScope[]
}

export type PathItem = Partial<Record<'get' | 'post' | 'patch' | 'delete', Operation>>
