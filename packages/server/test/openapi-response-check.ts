// Checks real responses of Taskcast apps against the OpenAPI document: the route and its status
// must be documented, the media type and required headers must be the documented ones, and a
// JSON body must validate against its schema. Streams are checked by their headers only.
import { expect } from 'vitest'
import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { openApiDocument } from '../src/openapi/document.js'
import type { Operation, Response as DocumentedResponse } from '../src/openapi/openapi-types.js'
import type { TaskcastEnv, TaskcastHono } from '../src/route-context.js'
import { schemaProblems } from './openapi-validator.js'

/** One answer, as the checker sees it. */
export interface Exchange {
  method: string
  /** The route as the document writes it (`/tasks/{id}`), or undefined when no route matched. */
  template: string | undefined
  status: number
  headers: Headers
  /** The body's text; read only for JSON. */
  body: () => Promise<string>
}

const violations: string[] = []
const pending = new Set<Promise<void>>()
let checked = 0

/** How many answers have been checked so far: proof that the checker sits in front of the routes. */
export function checkedCount(): number {
  return checked
}

/** Waits for the checks of the answers given so far. */
export async function settleChecks(): Promise<void> {
  while (pending.size > 0) await Promise.all(pending)
}

/** The violations found since the last call, which are forgotten. */
export function takeViolations(): string[] {
  return violations.splice(0)
}

/**
 * Middleware for a Taskcast app, registered before its routes: checks every answer of the app's
 * own routes (mounted in another app too); answers of the host's routes are left alone.
 */
export function checkResponses(app: TaskcastHono): MiddlewareHandler<TaskcastEnv> {
  return async (c, next) => {
    const lastJson = captureJson(c)
    await next()
    const template = ownRoute(c, app)
    if (template === 'foreign') return
    const { res } = c
    const { method } = c.req
    const where = `${expect.getState().currentTestName ?? '(outside a test)'}: ${method} ${new URL(c.req.url).pathname} → ${res.status}`
    // Checked once the answer is on its way: reading a light response's headers turns them into a
    // `Headers`, which @hono/node-server writes by another code path than the one it would take.
    later(async () => {
      const exchange: Exchange = { method, template, status: res.status, headers: res.headers, body: async () => lastJson() ?? (await res.clone().text()) }
      // A fault of the checker (a schema that does not compile) is reported like a violation.
      const problems = await exchangeProblems(exchange).catch((error: unknown) => [`the check failed: ${String(error)}`])
      checked++
      violations.push(...problems.map((problem) => `${where}: ${problem}`))
    })
  }
}

/** The real one, even in a test that fakes timers after this module loaded. */
const realSetTimeout = globalThis.setTimeout

function later(check: () => Promise<void>): void {
  const done = new Promise((resolve) => realSetTimeout(resolve, 0)).then(check)
  pending.add(done)
  void done.finally(() => pending.delete(done))
}

/**
 * The text of the last `c.json` of this request. Reading it there leaves the response as it is:
 * cloning it would turn @hono/node-server's light response into a full one, another code path.
 */
function captureJson(c: Context): () => string | undefined {
  let text: string | undefined
  const json = c.json.bind(c)
  c.json = ((object: unknown, ...rest: unknown[]) => {
    text = JSON.stringify(object)
    return (json as (...args: unknown[]) => globalThis.Response)(object, ...rest)
  }) as typeof c.json
  return () => text
}

/**
 * The app's own route that answered, in the document's form (`/tasks/{id}`): undefined when no
 * route matched, `foreign` when a route of a host app did.
 */
function ownRoute(c: Context, app: TaskcastHono): string | undefined | 'foreign' {
  const method = c.req.method === 'HEAD' ? 'GET' : c.req.method
  const own = new Set(app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method} ${route.path}`))
  let foreign = false
  for (const route of matchedRoutes(c)) {
    if (route.method !== method) continue
    const path = route.basePath === '/' ? route.path : route.path.slice(route.basePath.length) || '/'
    if (own.has(`${method} ${path}`)) return path.replace(/:([A-Za-z_]\w*)/g, '{$1}')
    foreign = true
  }
  return foreign ? 'foreign' : undefined
}

/** What is wrong with `exchange` by the document; nothing when it is right. */
export async function exchangeProblems(exchange: Exchange): Promise<string[]> {
  const { method, template, status, headers } = exchange
  const contentType = headers.get('content-type')
  if (template === undefined) {
    // No route: the app's not-found answer, or a host's (not JSON) for a mounted app.
    if (!contentType?.startsWith('application/json')) return []
    return schemaProblems(JSON.parse(await exchange.body()), 'components', 'schemas', 'ErrorResponse')
  }
  const operationMethod = (method === 'HEAD' ? 'GET' : method).toLowerCase()
  const operation = (openApiDocument.paths[template] as Record<string, Operation> | undefined)?.[operationMethod]
  if (!operation) return [`${operationMethod.toUpperCase()} ${template} is not in the document`]
  const documented: DocumentedResponse | undefined = operation.responses[String(status)]
  if (!documented) return [`status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`]
  const at = ['paths', template, operationMethod, 'responses', String(status)]
  const problems = headerProblems(documented, headers, at)
  if (!documented.content) {
    const text = method === 'HEAD' ? '' : await exchange.body()
    if (text.length > 0) problems.push(`a body (${contentType}) where the document has none: ${text.slice(0, 200)}`)
    return problems
  }
  const mediaType = Object.keys(documented.content).find((key) => mediaTypeMatches(key, contentType))
  if (mediaType === undefined) return [...problems, `content type ${contentType} is not one of ${Object.keys(documented.content).join(', ')}`]
  if (mediaType !== 'application/json' || method === 'HEAD') return problems
  const text = await exchange.body()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return [...problems, `the body is not JSON: ${text.slice(0, 200)}`]
  }
  const found = schemaProblems(body, ...at, 'content', mediaType, 'schema')
  return [...problems, ...found.map((problem) => `body ${problem}; body: ${text.slice(0, 500)}`)]
}

/** Documented headers: present when required, and valid (as strings) when present. */
function headerProblems(documented: DocumentedResponse, headers: Headers, at: string[]): string[] {
  const problems: string[] = []
  for (const [name, header] of Object.entries(documented.headers ?? {})) {
    const value = headers.get(name)
    if (value === null) {
      if (header.required) problems.push(`header ${name} is missing`)
      continue
    }
    problems.push(...schemaProblems(value, ...at, 'headers', name, 'schema').map((problem) => `header ${name}: ${problem}`))
  }
  return problems
}

/** Whether `actual` is the documented media type: same type, and every documented parameter. */
export function mediaTypeMatches(documented: string, actual: string | null): boolean {
  if (actual === null) return false
  const [wantType, wantParams] = parseMediaType(documented)
  const [gotType, gotParams] = parseMediaType(actual)
  return wantType === gotType && [...wantParams].every(([name, value]) => gotParams.get(name) === value)
}

function parseMediaType(text: string): [string, Map<string, string>] {
  const [type = '', ...params] = text.split(';').map((part) => part.trim().toLowerCase())
  return [type, new Map(params.map((param) => param.split('=', 2).map((side) => side.trim()) as [string, string]))]
}
