// Who may read /metrics, when it exists, and whose registry it serves.
import { TaskcastError } from '@taskcast/core'
import { Hono } from 'hono'
import { SignJWT } from 'jose'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createTaskcastApp } from '../../src/index.js'
import { makeEngine, startServer } from '../harness.js'
import { onCleanup, scrape, start, value } from './metrics-harness.js'
import { parsePrometheusText } from './prometheus-text.js'

const TOKEN = 'scrape-7f3a.b9~c/d+e=='
const CREATED = 'taskcast_tasks_created_total'

async function metricsAnswer(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/metrics`, { headers })
  return { status: response.status, body: await response.json() }
}

describe('GET /metrics access', () => {
  it('asks for the bearer token when metrics.token is set', async () => {
    const { url } = await start({ metrics: { token: TOKEN, defaultMetrics: false } })
    expect(await metricsAnswer(url)).toEqual({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'missing Authorization header' } } })
    expect(await metricsAnswer(url, { Authorization: 'Bearer wrong' })).toEqual({
      status: 401,
      body: { error: { code: 'UNAUTHORIZED', message: 'wrong metrics token' } },
    })
    expect((await metricsAnswer(url, { Authorization: `Bearer ${TOKEN}x` })).status).toBe(401)
    expect((await metricsAnswer(url, { Authorization: `Basic ${TOKEN}` })).status).toBe(401)
    expect(value(await scrape(url, TOKEN), CREATED)).toBe(0)
  })

  it('is outside the API’s JWT auth: the scraper needs no JWT, and a JWT is no metrics token', async () => {
    const secret = 'a-secret-of-at-least-32-bytes-length!'
    const { url } = await start({ auth: { mode: 'jwt', jwt: { secret } }, metrics: { token: TOKEN, defaultMetrics: false } })
    const jwt = await new SignJWT({ taskIds: '*', scope: ['*'] }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))
    expect((await fetch(`${url}/tasks`, { method: 'POST', headers: { Authorization: `Bearer ${jwt}` } })).status).toBe(201)
    expect((await metricsAnswer(url, { Authorization: `Bearer ${jwt}` })).status).toBe(401)
    expect(value(await scrape(url, TOKEN), CREATED, { type: 'none' })).toBe(1)
  })

  it('is open without a token, even with JWT auth on', async () => {
    const { url } = await start({ auth: { mode: 'jwt', jwt: { secret: 'a-secret-of-at-least-32-bytes-length!' } } })
    expect(value(await scrape(url), CREATED)).toBe(0)
    expect((await fetch(`${url}/tasks`, { method: 'POST' })).status).toBe(401)
  })

  it('does not exist when metrics are off, or not asked for', async () => {
    const notFound = { status: 404, body: { error: { code: 'ROUTE_NOT_FOUND', message: 'no route for GET /metrics' } } }
    for (const metrics of [{ enabled: false }, undefined]) {
      const { url, app } = await start({ metrics })
      expect(await metricsAnswer(url)).toEqual(notFound)
      expect(app.metricsRegistry).toBeUndefined()
    }
  })

  it('refuses a token no client could send', () => {
    const { engine } = makeEngine()
    for (const token of ['', 'has space', 'semi;colon', 'a=b']) {
      expect(() => createTaskcastApp({ engine, metrics: { token } }), token).toThrow(
        new TaskcastError('VALIDATION_ERROR', 'metrics.token must be a bearer token: letters, digits and -._~+/, optionally ending in ='),
      )
    }
    expect(() => createTaskcastApp({ engine, metrics: { maxTypeLabels: 0 } })).toThrow('metrics.maxTypeLabels must be a positive integer')
  })
})

describe('the metrics registry', () => {
  it('is the app’s own: two apps in one process count apart', async () => {
    const one = await start()
    const other = await start()
    await fetch(`${one.url}/tasks`, { method: 'POST' })
    expect(value(await scrape(one.url), CREATED, { type: 'none' })).toBe(1)
    expect(value(await scrape(other.url), CREATED, { type: 'none' })).toBe(0)
    expect(one.app.metricsRegistry).not.toBe(other.app.metricsRegistry)
  })

  it('can be the embedder’s, served by the embedder’s own route', async () => {
    const registry = new Registry()
    const { engine } = makeEngine()
    const taskcast = createTaskcastApp({ engine, metrics: { registry, route: false } })
    expect(taskcast.metricsRegistry).toBe(registry)
    const host = new Hono()
      .route('/taskcast', taskcast)
      .get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType }))
    const server = await startServer(host.fetch)
    onCleanup(async () => {
      await taskcast.close()
      await server.close()
      await engine.stop()
    })
    expect((await fetch(`${server.url}/taskcast/metrics`)).status).toBe(404)
    expect((await fetch(`${server.url}/taskcast/tasks`, { method: 'POST' })).status).toBe(201)
    const families = await scrape(server.url)
    expect(value(families, CREATED, { type: 'none' })).toBe(1)
    expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter')
  })

  it('keeps the default metrics an embedder’s registry already has, and refuses a second app', async () => {
    const registry = new Registry()
    const { collectDefaultMetrics } = await import('prom-client')
    collectDefaultMetrics({ register: registry })
    const { engine } = makeEngine()
    const first = createTaskcastApp({ engine, metrics: { registry } })
    onCleanup(() => first.close())
    expect(parsePrometheusText(await registry.metrics()).get(CREATED)?.type).toBe('counter')
    expect(() => createTaskcastApp({ engine, metrics: { registry } })).toThrow(
      'metrics.registry already holds the Taskcast metrics of another app: give each app its own registry',
    )
  })
})
