// The hooks against the real Sentry SDK, delivering over loopback to a receiver run by the test.
import * as Sentry from '@sentry/node'
import { HookRegistry } from '@taskcast/core/internal'
import type { SSEEnvelope, Task, TaskEvent } from '@taskcast/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSentryHooks } from '../src/index.js'
import { startSentryReceiver } from './sentry-receiver.js'
import type { SentryReceiver } from './sentry-receiver.js'

// An http_proxy in the environment would otherwise carry the SDK's requests off the machine.
process.env.no_proxy = [process.env.no_proxy, '127.0.0.1'].filter(Boolean).join(',')

const FLUSH_MS = 5000

function task(overrides: Partial<Task>): Task {
  return { id: 'task-1', status: 'failed', createdAt: 1_700_000_000_000, updatedAt: 1_700_000_001_000, ...overrides }
}

function event(overrides: Partial<TaskEvent> = {}): TaskEvent {
  return {
    id: '01JEVENT0000000000000000AA',
    taskId: 'task-9',
    index: 4,
    timestamp: 1_700_000_002_000,
    type: 'llm.delta',
    level: 'info',
    data: { text: 'hi' },
    ...overrides,
  }
}

let receiver: SentryReceiver

beforeEach(async () => {
  receiver = await startSentryReceiver()
})

afterEach(async () => {
  // A closed client leaves Sentry disabled, so the next test's `dsn` initialises a fresh one.
  await Sentry.close(FLUSH_MS)
  await receiver.close()
})

describe('task failures', () => {
  it('reports each failed task once, tagged with id, type and status, with its error as context', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn })
    const details = { provider: 'openai', retryAfterS: 20 }
    hooks.onTaskFailed!(
      task({ id: 'task-a', type: 'llm.chat', error: { code: 'RATE_LIMITED', message: 'Too many requests', details } }),
      { code: 'RATE_LIMITED', message: 'Too many requests', details },
    )
    hooks.onTaskFailed!(task({ id: 'task-b' }), { message: 'model refused' })
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    const events = receiver.events()
    expect(events).toHaveLength(2)
    expect(receiver.envelopes.map((items) => items.map((i) => i.header.type))).toEqual([['event'], ['event']])

    expect(events[0]).toMatchObject({
      level: 'error',
      message: 'Task task-a failed: RATE_LIMITED: Too many requests',
      tags: { 'taskcast.task_id': 'task-a', 'taskcast.task_type': 'llm.chat', 'taskcast.status': 'failed' },
      fingerprint: ['taskcast.task_failed', 'llm.chat', 'RATE_LIMITED'],
    })
    expect(events[0]!.contexts!['taskcast_task_error']).toEqual({
      code: 'RATE_LIMITED',
      message: 'Too many requests',
      details,
    })

    expect(events[1]!.message).toBe('Task task-b failed: model refused')
    expect(events[1]!.tags).toEqual({ 'taskcast.task_id': 'task-b', 'taskcast.status': 'failed' })
    expect(events[1]!.contexts!['taskcast_task_error']).toEqual({ message: 'model refused' })
    expect(events[1]!.fingerprint).toBeUndefined()
  })

  it('reports two tasks that failed identically even when the host keeps the Dedupe integration', async () => {
    Sentry.init({ dsn: receiver.dsn, defaultIntegrations: false, integrations: [Sentry.dedupeIntegration()] })
    const hooks = createSentryHooks()
    const error = { code: 'UPSTREAM_DOWN', message: 'provider unavailable' }
    hooks.onTaskFailed!(task({ id: 'task-a', type: 'llm.chat' }), error)
    hooks.onTaskFailed!(task({ id: 'task-b', type: 'llm.chat' }), error)
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    expect(receiver.events().map((e) => e.tags!['taskcast.task_id'])).toEqual(['task-a', 'task-b'])
    // Same type and code: Sentry files both under one issue.
    expect(receiver.events().map((e) => e.fingerprint)).toEqual([
      ['taskcast.task_failed', 'llm.chat', 'UPSTREAM_DOWN'],
      ['taskcast.task_failed', 'llm.chat', 'UPSTREAM_DOWN'],
    ])
  })

  it('reports no failed task when captureTaskFailures is false', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn, captureTaskFailures: false })
    expect(hooks.onTaskFailed).toBeUndefined()

    const registry = new HookRegistry()
    registry.add(hooks)
    registry.emit('onTaskFailed', task({ id: 'task-a' }), { message: 'boom' })
    // A report that is still on: proves the pipeline delivered while the failure did not.
    registry.emit('onTaskTimeout', task({ id: 'task-b', status: 'timeout' }))
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    expect(receiver.events().map((e) => [e.tags!['taskcast.task_id'], e.tags!['taskcast.status']])).toEqual([
      ['task-b', 'timeout'],
    ])
  })
})

describe('task timeouts', () => {
  it('reports a timed-out task with its TTL error as context', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn })
    const error = { code: 'TTL_EXPIRED', message: 'Task exceeded its ttl of 30s' }
    hooks.onTaskTimeout!(task({ id: 'task-t', type: 'render', status: 'timeout', error }))
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    const events = receiver.events()
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      level: 'error',
      message: 'Task task-t timed out: TTL_EXPIRED: Task exceeded its ttl of 30s',
      tags: { 'taskcast.task_id': 'task-t', 'taskcast.task_type': 'render', 'taskcast.status': 'timeout' },
      fingerprint: ['taskcast.task_timeout', 'render', 'TTL_EXPIRED'],
    })
    expect(events[0]!.contexts!['taskcast_task_error']).toEqual(error)
  })

  it('reports a timed-out task that carries no error without the error context', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn })
    hooks.onTaskTimeout!(task({ id: 'task-t', status: 'timeout' }))
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    const events = receiver.events()
    expect(events.map((e) => e.message)).toEqual(['Task task-t timed out'])
    expect(events[0]!.contexts?.['taskcast_task_error']).toBeUndefined()
  })

  it('reports no timeout when captureTaskTimeouts is false', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn, captureTaskTimeouts: false })
    expect(hooks.onTaskTimeout).toBeUndefined()

    const registry = new HookRegistry()
    registry.add(hooks)
    registry.emit('onTaskTimeout', task({ id: 'task-t', status: 'timeout' }))
    registry.emit('onTaskFailed', task({ id: 'task-f' }), { message: 'boom' })
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    expect(receiver.events().map((e) => e.tags!['taskcast.task_id'])).toEqual(['task-f'])
  })
})

describe('webhook failures', () => {
  const secretUrl = 'https://hook-user:hook-pass@hooks.example.com:8443/t/s3cr3t-path?token=s3cr3t-token'

  it('reports the delivery error tagged with the webhook host only and the event’s task', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn })
    hooks.onWebhookFailed!({ url: secretUrl, secret: 'hmac-s3cr3t' }, new Error('HTTP 503 after 4 attempts'), event())
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    const events = receiver.events()
    expect(events).toHaveLength(1)
    expect(events[0]!.tags).toEqual({
      'taskcast.task_id': 'task-9',
      'taskcast.event_type': 'llm.delta',
      'taskcast.webhook_host': 'hooks.example.com:8443',
    })
    expect(events[0]!.exception!.values.map((v) => [v.type, v.value])).toEqual([['Error', 'HTTP 503 after 4 attempts']])
    const raw = JSON.stringify(receiver.envelopes)
    for (const leak of ['s3cr3t', 'hook-pass', 'hook-user']) expect(raw).not.toContain(leak)
  })

  it('takes the task id from an SSE envelope as well as from a raw event', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn })
    const envelope: SSEEnvelope = {
      filteredIndex: 0,
      rawIndex: 4,
      eventId: '01JEVENT0000000000000000AB',
      taskId: 'task-env',
      type: 'taskcast:status',
      timestamp: 1_700_000_002_000,
      level: 'info',
      data: { status: 'completed' },
    }
    hooks.onWebhookFailed!({ url: 'not a url' }, new Error('connect ECONNREFUSED'), envelope)
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    expect(receiver.events().map((e) => e.tags)).toEqual([
      {
        'taskcast.task_id': 'task-env',
        'taskcast.event_type': 'taskcast:status',
        'taskcast.webhook_host': 'invalid-url',
      },
    ])
  })

  it('reports no webhook failure when captureWebhookFailures is false', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn, captureWebhookFailures: false })
    expect(hooks.onWebhookFailed).toBeUndefined()

    const registry = new HookRegistry()
    registry.add(hooks)
    registry.emit('onWebhookFailed', { url: secretUrl }, new Error('HTTP 503'), event())
    registry.emit('onTaskFailed', task({ id: 'task-f' }), { message: 'boom' })
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    expect(receiver.events().map((e) => e.tags!['taskcast.task_id'])).toEqual(['task-f'])
  })
})

describe('unhandled errors', () => {
  it('reports an error another hook threw, tagged with its source', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn })
    const registry = new HookRegistry()
    registry.add(hooks)
    registry.add({
      onTaskCreated() {
        throw new TypeError('audit log is read-only')
      },
    })
    registry.emit('onTaskCreated', task({ id: 'task-c', status: 'pending' }))
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    const events = receiver.events()
    expect(events).toHaveLength(1)
    expect(events[0]!.tags).toEqual({ 'taskcast.source': 'hook:onTaskCreated' })
    expect(events[0]!.exception!.values.map((v) => [v.type, v.value])).toEqual([['TypeError', 'audit log is read-only']])
  })

  it('tags the task when the engine names one', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn })
    hooks.onUnhandledError!(new Error('store unreachable'), { source: 'long-term-writer', taskId: 'task-w' })
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    expect(receiver.events().map((e) => e.tags)).toEqual([
      { 'taskcast.source': 'long-term-writer', 'taskcast.task_id': 'task-w' },
    ])
  })

  it('reports no unhandled error when captureUnhandledErrors is false', async () => {
    const hooks = createSentryHooks({ dsn: receiver.dsn, captureUnhandledErrors: false })
    expect(hooks.onUnhandledError).toBeUndefined()

    const registry = new HookRegistry()
    registry.add(hooks)
    // With no reporter left, the registry falls back to the console.
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
    const error = new Error('ttl timer failed')
    try {
      registry.reportError(error, { source: 'ttl' })
      expect(consoleError).toHaveBeenCalledWith('[taskcast] unhandled error in ttl', error)
    } finally {
      consoleError.mockRestore()
    }
    registry.emit('onTaskFailed', task({ id: 'task-f' }), { message: 'boom' })
    expect(await hooks.flush(FLUSH_MS)).toBe(true)

    expect(receiver.events().map((e) => e.tags!['taskcast.task_id'])).toEqual(['task-f'])
  })
})

describe('which Sentry client receives the reports', () => {
  it('initialises Sentry from the dsn when the process has no client', async () => {
    expect(Sentry.isEnabled()).toBe(false)
    const hooks = createSentryHooks({ dsn: receiver.dsn })
    expect(Sentry.isEnabled()).toBe(true)
    expect(Sentry.getClient()!.getDsn()).toMatchObject({ host: '127.0.0.1', projectId: '1', publicKey: 'public' })

    hooks.onTaskFailed!(task({ id: 'task-a' }), { message: 'boom' })
    expect(await hooks.flush(FLUSH_MS)).toBe(true)
    expect(receiver.paths).toEqual(['/api/1/envelope/'])
  })

  it('keeps the client the host initialised and ignores the dsn', async () => {
    const other = await startSentryReceiver()
    try {
      Sentry.init({ dsn: receiver.dsn, defaultIntegrations: false })
      const hostClient = Sentry.getClient()
      const hooks = createSentryHooks({ dsn: other.dsn })
      expect(Sentry.getClient()).toBe(hostClient)

      hooks.onTaskFailed!(task({ id: 'task-a' }), { message: 'boom' })
      expect(await hooks.flush(FLUSH_MS)).toBe(true)
      expect(receiver.events().map((e) => e.tags!['taskcast.task_id'])).toEqual(['task-a'])
      expect(other.envelopes).toEqual([])
    } finally {
      await other.close()
    }
  })

  it('reports to an injected client and leaves the global one alone', async () => {
    const global = await startSentryReceiver()
    const client = new Sentry.NodeClient({
      dsn: receiver.dsn,
      integrations: [],
      stackParser: Sentry.defaultStackParser,
      transport: Sentry.makeNodeTransport,
    })
    client.init()
    try {
      Sentry.init({ dsn: global.dsn, defaultIntegrations: false })
      const hooks = createSentryHooks({ sentry: client })

      hooks.onTaskFailed!(task({ id: 'task-a', type: 'llm.chat' }), { code: 'E', message: 'boom' })
      hooks.onUnhandledError!(new Error('ttl timer failed'), { source: 'ttl' })
      expect(await hooks.flush(FLUSH_MS)).toBe(true)
      await Sentry.flush(FLUSH_MS)

      expect(receiver.events().map((e) => e.tags)).toEqual([
        { 'taskcast.task_id': 'task-a', 'taskcast.task_type': 'llm.chat', 'taskcast.status': 'failed' },
        { 'taskcast.source': 'ttl' },
      ])
      expect(global.envelopes).toEqual([])
    } finally {
      await client.close(FLUSH_MS)
      await global.close()
    }
  })
})
