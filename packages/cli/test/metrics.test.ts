// The binary serves Prometheus metrics at /metrics by default, honours metrics.enabled and
// metrics.token from the config file and the environment, and refuses bad values in one line.
import { describe, expect, it } from 'vitest'
import { api, roundTrip } from './helpers/http.js'
import { runTaskcast, spawnTaskcast, tempProject } from './helpers/taskcast-process.js'

const LOOPBACK = ['-p', '0', '--host', '127.0.0.1']
const TOKEN = 'prom-scrape-token-1'

interface BadStart {
  name: string
  files?: Record<string, string>
  env?: Record<string, string>
  stderr: string
}

/** The samples of the `taskcast_*` families, as `name{labels} value` lines. */
async function taskcastSamples(url: string, headers: Record<string, string> = {}): Promise<string[]> {
  const response = await fetch(`${url}/metrics`, { headers })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return (await response.text()).split('\n').filter((line) => line.startsWith('taskcast_'))
}

describe('metrics in the standalone server', () => {
  it('serves /metrics by default, counting what the round trip did', async () => {
    const proc = spawnTaskcast({ args: LOOPBACK })
    const url = await proc.listening
    await roundTrip(url)
    const samples = await taskcastSamples(url)
    expect(samples).toEqual(
      expect.arrayContaining([
        'taskcast_tasks_created_total{type="llm.chat"} 1',
        'taskcast_task_transitions_total{status="running",type="llm.chat"} 1',
        'taskcast_task_transitions_total{status="completed",type="llm.chat"} 1',
        'taskcast_events_published_total{type="taskcast:status"} 2',
        'taskcast_events_published_total{type="llm.delta"} 2',
        'taskcast_publish_duration_seconds_count 1',
        'taskcast_store_errors_total{store="unknown"} 0',
      ]),
    )
    // The process metrics come along.
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m)
    expect((await proc.stop()).code).toBe(0)
  })

  it('has no /metrics with metrics.enabled: false', async () => {
    const dir = await tempProject({ 'taskcast.config.yaml': 'metrics:\n  enabled: false\n' })
    const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK })
    const url = await proc.listening
    expect(await api(url, 'GET', '/metrics')).toEqual({
      status: 404,
      body: { error: { code: 'ROUTE_NOT_FOUND', message: 'no route for GET /metrics' } },
    })
    expect((await proc.stop()).code).toBe(0)
  })

  it('lets TASKCAST_METRICS_ENABLED override the file', async () => {
    const dir = await tempProject({ 'taskcast.config.yaml': 'metrics:\n  enabled: true\n' })
    const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK, env: { TASKCAST_METRICS_ENABLED: 'false' } })
    const url = await proc.listening
    expect((await api(url, 'GET', '/metrics')).status).toBe(404)
    expect((await proc.stop()).code).toBe(0)
  })

  it('asks for TASKCAST_METRICS_TOKEN when it is set, with auth none or jwt alike', async () => {
    const proc = spawnTaskcast({ args: LOOPBACK, env: { TASKCAST_METRICS_TOKEN: TOKEN, TASKCAST_JWT_SECRET: 'a-secret-of-at-least-32-bytes-length!' } })
    const url = await proc.listening
    expect(await api(url, 'GET', '/metrics')).toEqual({
      status: 401,
      body: { error: { code: 'UNAUTHORIZED', message: 'missing Authorization header' } },
    })
    expect((await api(url, 'GET', '/metrics', undefined, { Authorization: 'Bearer not-it' })).status).toBe(401)
    expect(await taskcastSamples(url, { Authorization: `Bearer ${TOKEN}` })).toContain('taskcast_sse_connections 0')
    expect((await proc.stop()).code).toBe(0)
  })

  it('warns that a token is unused when metrics are off', async () => {
    const dir = await tempProject({ 'taskcast.config.yaml': `metrics:\n  enabled: false\n  token: ${TOKEN}\n` })
    const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK })
    await proc.listening
    expect(proc.stdout()).toMatch(/WARN {2}metrics\.token is set but metrics\.enabled is false: \/metrics is not served\n/)
    expect((await proc.stop()).code).toBe(0)
  })

  it.each<BadStart>([
    {
      name: 'a metrics.enabled that is no boolean',
      files: { 'taskcast.config.yaml': 'metrics:\n  enabled: sometimes\n' },
      stderr: 'taskcast.config.yaml: metrics.enabled must be true or false (got "sometimes")',
    },
    {
      name: 'an unknown metrics key',
      files: { 'taskcast.config.yaml': 'metrics:\n  path: /prom\n' },
      stderr: 'taskcast.config.yaml: metrics.path is not a known key (known here: enabled, token)',
    },
    {
      name: 'a metrics.token no scraper could send',
      files: { 'taskcast.config.yaml': 'metrics:\n  token: "two words"\n' },
      stderr: 'taskcast.config.yaml: metrics.token must be a bearer token: letters, digits and -._~+/, optionally ending in =',
    },
    {
      name: 'a bad TASKCAST_METRICS_ENABLED',
      env: { TASKCAST_METRICS_ENABLED: 'yes' },
      stderr: 'TASKCAST_METRICS_ENABLED must be true or false (got "yes")',
    },
    {
      name: 'a bad TASKCAST_METRICS_TOKEN',
      env: { TASKCAST_METRICS_TOKEN: 'semi;colon' },
      stderr: 'TASKCAST_METRICS_TOKEN must be a bearer token: letters, digits and -._~+/, optionally ending in =',
    },
  ])('exits 1 with one line for $name', async ({ files, env = {}, stderr }) => {
    const dir = await tempProject(files)
    const result = await runTaskcast({ cwd: dir, args: LOOPBACK, env })
    expect(result.stderr).toBe(`taskcast: ${stderr}\n`)
    expect(result.code).toBe(1)
  })
})
