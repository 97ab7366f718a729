// The OpenAPI 3.1 document of every route of createTaskcastApp (SPEC §21), written by hand from
// core's constants; the tests check it against the official schema and every real response.
import type { PathItem } from './openapi-types.js'
import { eventPaths } from './paths-events.js'
import { servicePaths } from './paths-service.js'
import { taskPaths } from './paths-tasks.js'
import { workerPaths } from './paths-workers.js'
import { schemas } from './schemas.js'
import { securitySchemes } from './security.js'
import { SERVER_VERSION } from './version.js'

export interface OpenApiDocument {
  openapi: string
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } }
  servers: { url: string; description: string }[]
  tags: { name: string; description: string }[]
  paths: Record<string, PathItem>
  components: { schemas: typeof schemas; securitySchemes: typeof securitySchemes }
}

export const openApiDocument: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Taskcast',
    version: SERVER_VERSION,
    license: { name: 'MIT', identifier: 'MIT' },
    description:
      'Long-running tasks and their event streams over HTTP and SSE. JSON in and out, camelCase; every error is `{ "error": { "code", "message", "details"? } }` with the status of its code.',
  },
  // Relative to where this document is served, which is where the app is mounted: the same
  // document is right for a standalone server and for an app under a prefix of another.
  servers: [{ url: '.', description: 'Where this document is served from: the app’s mount point.' }],
  tags: [
    { name: 'tasks', description: 'Create, read, list and move tasks.' },
    { name: 'events', description: 'Publish events and read them: history and SSE streams.' },
    { name: 'workers', description: 'Pending tasks handed to workers.' },
    { name: 'service', description: 'Health, metrics and this document, outside the API’s auth.' },
  ],
  paths: { ...taskPaths, ...eventPaths, ...workerPaths, ...servicePaths },
  components: { schemas, securitySchemes },
}
