// GET /openapi.json: the OpenAPI 3.1 document of the app's routes (SPEC §21), outside auth.
import { openApiDocument } from '../openapi/document.js'
import { OPENAPI_PATH } from '../openapi/paths-service.js'
import type { TaskcastHono } from '../route-context.js'

export function registerOpenApiRoute(app: TaskcastHono): void {
  app.get(OPENAPI_PATH, (c) => c.json(openApiDocument, 200))
}
