// GET /metrics is the Prometheus text format, strictly, and says what the app's registry holds.
import { describe, expect, it } from 'vitest'
import { parsePrometheusText } from './prometheus-text.js'
import { call, runningTask, scrape, start } from './metrics-harness.js'

/** Every family the app registers, with its type. Worker counts are not among them: workers have not landed. */
const TASKCAST_FAMILIES = {
  taskcast_tasks_created_total: 'counter',
  taskcast_task_transitions_total: 'counter',
  taskcast_events_published_total: 'counter',
  taskcast_publish_duration_seconds: 'histogram',
  taskcast_sse_connections: 'gauge',
  taskcast_sse_deliveries_total: 'counter',
  taskcast_webhook_deliveries_total: 'counter',
  taskcast_store_errors_total: 'counter',
  taskcast_workers_waiting: 'gauge',
  taskcast_workers_connected: 'gauge',
  taskcast_tasks_waiting: 'gauge',
  taskcast_assignment_wait_seconds: 'histogram',
}

/** No per-task label (an id would make a series per task): these are all the label names there are. */
const LABEL_NAMES = new Set(['type', 'status', 'phase', 'outcome', 'store', 'le'])

describe('GET /metrics exposition', () => {
  it('serves every Taskcast family and the process metrics in the Prometheus text format', async () => {
    const { url } = await start({ metrics: {} })
    const task = await runningTask(url, { type: 'llm.chat' })
    await call(`${url}/tasks/${task.id}/events`, 'POST', [{ type: 'llm.delta', data: 'a' }, { type: 'llm.delta', data: 'b' }])

    const families = await scrape(url)
    const ours = Object.fromEntries([...families.values()].filter((f) => f.name.startsWith('taskcast_')).map((f) => [f.name, f.type]))
    expect(ours).toEqual(TASKCAST_FAMILIES)
    for (const family of families.values()) {
      if (!family.name.startsWith('taskcast_')) continue
      expect(family.help, family.name).toMatch(/\w/)
      for (const sample of family.samples) for (const label of Object.keys(sample.labels)) expect(LABEL_NAMES, label).toContain(label)
    }
    // prom-client's default metrics, under their usual names so that stock dashboards work.
    expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter')
    expect(families.get('process_resident_memory_bytes')?.type).toBe('gauge')
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge')
  })

  it('serves exactly what the registry holds', async () => {
    const { url, app } = await start()
    const task = await runningTask(url, { type: 'report' })
    await call(`${url}/tasks/${task.id}/events`, 'POST', { type: 'progress', data: 0.5 })

    const families = await scrape(url)
    const held = await app.metricsRegistry!.getMetricsAsJSON()
    expect(held.map((metric) => metric.name).sort()).toEqual([...families.keys()].sort())
    for (const metric of held) {
      const served = families.get(metric.name)!.samples.map((s) => ({ name: s.name, labels: s.labels, value: s.value }))
      const expected = metric.values.map((v) => ({
        name: (v as { metricName?: string }).metricName ?? metric.name,
        labels: Object.fromEntries(Object.entries(v.labels).map(([k, l]) => [k, String(l === Infinity ? '+Inf' : l)])),
        value: v.value,
      }))
      expect(served, metric.name).toEqual(expected)
    }
  })

  it('escapes a task type that holds quotes, backslashes and a line feed', async () => {
    const { url } = await start()
    const type = 'say "hi"\\\nthen go'
    await call(`${url}/tasks`, 'POST', { type })
    const created = (await scrape(url)).get('taskcast_tasks_created_total')!
    expect(created.samples).toEqual([{ name: 'taskcast_tasks_created_total', labels: { type }, value: 1 }])
  })
})

describe('the test parser', () => {
  const family = '# HELP a_total A.\n# TYPE a_total counter\n'
  const histogram = '# TYPE h histogram\n'

  it('reads a well-formed exposition', () => {
    const parsed = parsePrometheusText(
      `${family}a_total{x="1",y="q\\"\\\\"} 2\n\n${histogram}h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 3\nh_sum 4.5\nh_count 3\n`,
    )
    expect(parsed.get('a_total')!.samples).toEqual([{ name: 'a_total', labels: { x: '1', y: 'q"\\' }, value: 2 }])
    expect(parsed.get('h')!.samples.map((s) => s.value)).toEqual([1, 3, 4.5, 3])
  })

  it.each([
    ['no final line feed', `${family}a_total 1`],
    ['a sample without TYPE', 'b 1\n'],
    ['a bad metric name', '# TYPE 1a counter\n1a 1\n'],
    ['a bad label name', `${family}a_total{1x="1"} 1\n`],
    ['an unterminated label value', `${family}a_total{x="1} 1\n`],
    ['a bad escape', `${family}a_total{x="\\t"} 1\n`],
    ['a bad value', `${family}a_total 1,5\n`],
    ['a series twice', `${family}a_total 1\na_total 2\n`],
    ['a label twice', `${family}a_total{x="1",x="2"} 1\n`],
    ['a second TYPE', `${family}# TYPE a_total gauge\n`],
    ['a family split in two', `${family}a_total{x="1"} 1\n# TYPE g gauge\ng 1\na_total{x="2"} 1\n`],
    ['a histogram without +Inf', `${histogram}h_bucket{le="1"} 1\nh_count 1\n`],
    ['buckets that do not accumulate', `${histogram}h_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n`],
    ['a count other than +Inf', `${histogram}h_bucket{le="+Inf"} 2\nh_count 1\n`],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow()
  })
})
