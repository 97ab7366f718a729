// Tasks created, transitions, events published and publish latency move by exactly what happened
// over HTTP, with task and event types capped as label values.
import { TASK_STATUSES } from '@taskcast/core'
import { producerHeaders } from '@taskcast/core/wire'
import { describe, expect, it } from 'vitest'
import { json } from '../harness.js'
import { call, runningTask, scrape, start, value } from './metrics-harness.js'

const PUBLISHED = 'taskcast_events_published_total'
const CREATED = 'taskcast_tasks_created_total'
const TRANSITIONS = 'taskcast_task_transitions_total'
const PUBLISH_COUNT = 'taskcast_publish_duration_seconds_count'

describe('event and task counters', () => {
  it('moves events published by exactly the events published, by event type', async () => {
    const { url } = await start()
    const task = await runningTask(url, { type: 'llm.chat' })
    const before = await scrape(url)

    for (const text of ['Once', ' upon', ' a time']) await call(`${url}/tasks/${task.id}/events`, 'POST', { type: 'llm.delta', data: { text } })
    await call(`${url}/tasks/${task.id}/events`, 'POST', [
      { type: 'llm.delta', data: { text: '.' } },
      { type: 'tool.call', data: { name: 'search' } },
      { type: 'tool.call', data: { name: 'fetch' } },
      { type: 'llm.delta', data: { text: '!' } },
    ])
    // A batch with one invalid item stores nothing, and counts nothing.
    const refused = await fetch(`${url}/tasks/${task.id}/events`, json([{ type: 'llm.delta' }, { type: '' }], { method: 'POST' }))
    expect(refused.status).toBe(400)

    const after = await scrape(url)
    const moved = (labels: Record<string, string>) => value(after, PUBLISHED, labels) - value(before, PUBLISHED, labels)
    expect(moved({ type: 'llm.delta' })).toBe(5)
    expect(moved({ type: 'tool.call' })).toBe(2)
    expect(moved({ type: 'taskcast:status' })).toBe(0)
    const total = (families: typeof after) => families.get(PUBLISHED)!.samples.reduce((sum, s) => sum + s.value, 0)
    expect(total(after) - total(before)).toBe(7)
    // One latency observation per publish request that stored something: four.
    expect(value(after, PUBLISH_COUNT) - value(before, PUBLISH_COUNT)).toBe(4)
  })

  it('counts a status event as an event of type taskcast:status', async () => {
    const { url } = await start()
    const task = await runningTask(url)
    await call(`${url}/tasks/${task.id}/status`, 'PATCH', { status: 'completed' })
    expect(value(await scrape(url), PUBLISHED, { type: 'taskcast:status' })).toBe(2)
  })

  it('does not count an idempotent producer’s retry again', async () => {
    const { url } = await start()
    const task = await runningTask(url)
    const before = await scrape(url)
    const stamped = (seq: number) =>
      fetch(`${url}/tasks/${task.id}/events`, json({ type: 'llm.delta', data: seq }, { method: 'POST', headers: producerHeaders({ id: 'p1', epoch: 0, seq }) }))
    expect((await stamped(0)).status).toBe(201)
    expect((await stamped(0)).status).toBe(200) // the retry, answered with what was stored
    expect((await stamped(1)).status).toBe(201)
    const after = await scrape(url)
    expect(value(after, PUBLISHED, { type: 'llm.delta' }) - value(before, PUBLISHED, { type: 'llm.delta' })).toBe(2)
  })

  it('counts tasks created by type, and transitions by the status moved to and the type', async () => {
    const { url } = await start()
    const report = await runningTask(url, { type: 'report' })
    await call(`${url}/tasks/${report.id}/status`, 'PATCH', { status: 'blocked', request: { type: 'approve' } })
    await call(`${url}/tasks/${report.id}/resolve`, 'POST', { data: { approved: true } })
    await call(`${url}/tasks/${report.id}/status`, 'PATCH', { status: 'completed' })
    const untyped = await runningTask(url)
    await call(`${url}/tasks/${untyped.id}/cancel`, 'POST', { reason: 'stop' })
    // A refused transition counts nothing.
    const refused = await fetch(`${url}/tasks/${untyped.id}/status`, json({ status: 'running' }, { method: 'PATCH' }))
    expect(refused.status).toBe(400)

    const families = await scrape(url)
    expect(families.get(CREATED)!.samples.map((s) => [s.labels.type, s.value])).toEqual([
      ['report', 1],
      ['none', 1],
    ])
    expect(families.get(TRANSITIONS)!.samples.map((s) => [s.labels.status, s.labels.type, s.value])).toEqual([
      ['running', 'report', 2],
      ['blocked', 'report', 1],
      ['completed', 'report', 1],
      ['running', 'none', 1],
      ['cancelled', 'none', 1],
    ])
    for (const sample of families.get(TRANSITIONS)!.samples) expect(TASK_STATUSES).toContain(sample.labels.status)
  })

  it('gives the first 100 task types a label of their own and counts later ones as other', async () => {
    const { url } = await start()
    for (let i = 0; i <= 100; i++) await call(`${url}/tasks`, 'POST', { type: `job.${i}` })
    await call(`${url}/tasks`, 'POST', { type: 'job.0' }) // seen before the cap: still its own
    await call(`${url}/tasks`, 'POST', { type: 'job.100' }) // seen after: other, again
    const task = await runningTask(url, { type: 'job.101' })
    // Event types have their own budget: a new one still gets its label.
    await call(`${url}/tasks/${task.id}/events`, 'POST', { type: 'step' })

    const families = await scrape(url)
    const created = families.get(CREATED)!.samples
    expect(created).toHaveLength(101)
    expect(value(families, CREATED, { type: 'job.0' })).toBe(2)
    expect(value(families, CREATED, { type: 'job.99' })).toBe(1)
    expect(value(families, CREATED, { type: 'other' })).toBe(3)
    expect(created.some((s) => s.labels.type === 'job.100' || s.labels.type === 'job.101')).toBe(false)
    expect(value(families, TRANSITIONS, { status: 'running', type: 'other' })).toBe(1)
    expect(value(families, PUBLISHED, { type: 'step' })).toBe(1)
  })

  it('takes its cap from metrics.maxTypeLabels', async () => {
    const { url } = await start({ metrics: { defaultMetrics: false, maxTypeLabels: 2 } })
    for (const type of ['a', 'b', 'c', 'a', 'd']) await call(`${url}/tasks`, 'POST', { type })
    const created = (await scrape(url)).get(CREATED)!.samples.map((s) => [s.labels.type, s.value])
    expect(created).toEqual([
      ['a', 2],
      ['b', 1],
      ['other', 2],
    ])
  })
})
