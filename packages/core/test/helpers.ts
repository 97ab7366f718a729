// Shared set-up for engine tests: a memory engine on a manual clock, and subscription collectors.
import { expect } from 'vitest'
import { TaskEngine, type TaskEngineOptions } from '../src/engine/task-engine.js'
import type { GoneReason, SubscriptionOptions } from '../src/engine/subscription.js'
import { TaskcastError } from '../src/errors.js'
import { MemoryBroadcastProvider } from '../src/memory/memory-broadcast-provider.js'
import { MemoryShortTermStore } from '../src/memory/memory-short-term-store.js'
import { ManualClock } from '../src/testing/manual-clock.js'
import type { SSEEnvelope, SubscribeFilter, TaskStatus } from '../src/types.js'

export function memoryEngine(options: Partial<TaskEngineOptions> = {}) {
  const clock = new ManualClock()
  const broadcast = new MemoryBroadcastProvider()
  const store = new MemoryShortTermStore({ clock })
  const engine = new TaskEngine({ broadcast, shortTermStore: store, clock, ...options })
  return { engine, broadcast, store, clock }
}

export async function runningTask(engine: TaskEngine, input: Parameters<TaskEngine['createTask']>[0] = {}) {
  const task = await engine.createTask(input)
  await engine.transitionTask(task.id, 'running')
  return task
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<TaskcastError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(TaskcastError.isInstance(error), `expected TaskcastError ${code}, got ${String(error)}`).toBe(true)
  expect((error as TaskcastError).code).toBe(code)
  return error as TaskcastError
}

export interface Collected {
  envelopes: SSEEnvelope[]
  /** Resolves with how the subscription ended. */
  ended: Promise<{ done?: TaskStatus; limit?: true; error?: unknown; gone?: GoneReason }>
  unsubscribe: () => void
  /** Resolves once history is replayed and live events flow. */
  live: Promise<void>
}

export function collect(
  engine: TaskEngine,
  taskId: string,
  filter: SubscribeFilter = {},
  options: SubscriptionOptions = {},
): Collected {
  const envelopes: SSEEnvelope[] = []
  let wentLive!: () => void
  const live = new Promise<void>((resolve) => (wentLive = resolve))
  let settle!: (value: { done?: TaskStatus; limit?: true; error?: unknown; gone?: GoneReason }) => void
  const ended = new Promise<{ done?: TaskStatus; limit?: true; error?: unknown; gone?: GoneReason }>((resolve) => (settle = resolve))
  const unsubscribe = engine.subscribe(
    taskId,
    filter,
    {
      onEnvelope: (envelope) => envelopes.push(envelope),
      onLive: () => wentLive(),
      onDone: (done) => settle({ done }),
      onLimit: () => settle({ limit: true }),
      onError: (error) => settle({ error }),
      onGone: (gone) => settle({ gone }),
    },
    options,
  )
  return { envelopes, ended, unsubscribe, live }
}

/** A small seeded PRNG so randomised tests are reproducible from the printed seed. */
export function prng(seed: number) {
  let state = seed >>> 0 || 1
  const next = () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 0x1_0000_0000
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  }
}
