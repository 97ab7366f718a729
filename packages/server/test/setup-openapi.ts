// Every response of every Taskcast app the server's tests create is checked against the OpenAPI
// document (SPEC §21: "kept true by tests that check real responses against it"). The app
// registers GET /openapi.json before its other routes; here that registration also installs the
// checking middleware, so no seam is needed in the app itself. A test whose app answered
// something the document does not allow fails after it, with the list.
import { afterEach, vi } from 'vitest'
import { settleChecks, takeViolations } from './openapi-response-check.js'

vi.mock('../src/routes/openapi.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/routes/openapi.js')>()
  const { checkResponses } = await import('./openapi-response-check.js')
  return {
    ...original,
    registerOpenApiRoute: (app: Parameters<typeof original.registerOpenApiRoute>[0]) => {
      app.use('*', checkResponses(app))
      original.registerOpenApiRoute(app)
    },
  }
})

afterEach(async () => {
  await settleChecks()
  const found = takeViolations()
  if (found.length > 0) throw new Error(`responses that do not match /openapi.json:\n${found.join('\n')}`)
})
