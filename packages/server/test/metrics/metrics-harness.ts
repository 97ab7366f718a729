// Apps with metrics on a real loopback server, and scrapes of their /metrics parsed strictly.
import type { TaskEngineOptions, TaskcastHooks } from '@taskcast/core'
import { MemoryShortTermStore } from '@taskcast/core'
import { afterEach, expect } from 'vitest'
import { createTaskcastApp, type TaskcastApp, type TaskcastAppOptions } from '../../src/index.js'
import { json, makeEngine, startServer, type TestEngine } from '../harness.js'
import { parsePrometheusText, valueOf, type Family } from './prometheus-text.js'

export interface Running extends TestEngine {
  app: TaskcastApp
  url: string
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Runs `cleanup` after the current test, in reverse order of registration. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup)
}

/**
 * An app over an in-memory engine, served on loopback. Metrics are on, without prom-client's
 * default process metrics (they cost a collector per app), unless `options.metrics` says otherwise.
 */
export async function start(
  options: Partial<TaskcastAppOptions> = {},
  engine: { store?: MemoryShortTermStore; hooks?: TaskcastHooks; engine?: Partial<TaskEngineOptions> } = {},
): Promise<Running> {
  const harness = makeEngine(engine)
  // A test that builds its own engine (failing stores) passes it in `options`.
  const used = options.engine ?? harness.engine
  const app = createTaskcastApp({ engine: used, metrics: { defaultMetrics: false }, ...options })
  const server = await startServer(app.fetch)
  onCleanup(async () => {
    await app.close()
    await server.close()
    await used.stop()
  })
  return { ...harness, engine: used, app, url: server.url }
}

/** GET /metrics, checked to be a 200 in the Prometheus text format, parsed. */
export async function scrape(url: string, token?: string): Promise<Map<string, Family>> {
  const response = await fetch(`${url}/metrics`, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } })
  const text = await response.text()
  expect(response.status, text).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return parsePrometheusText(text)
}

/** A series' value, 0 when the series does not exist (yet). */
export function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  return valueOf(families, name, labels) ?? 0
}

/** Sends a JSON request and returns the body of its 2xx answer. */
export async function call<T = unknown>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, body === undefined ? { method } : json(body, { method }))
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${url} → ${response.status} ${text}`)
  return (text === '' ? undefined : JSON.parse(text)) as T
}

/** A task created over HTTP and moved to running. */
export async function runningTask(url: string, input: Record<string, unknown> = {}): Promise<{ id: string }> {
  const task = await call<{ id: string }>(`${url}/tasks`, 'POST', input)
  await call(`${url}/tasks/${task.id}/status`, 'PATCH', { status: 'running' })
  return task
}
