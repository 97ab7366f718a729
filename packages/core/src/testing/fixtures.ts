// Builders for tasks and drafts, so contract tests read as behaviour rather than setup.
import { monotonicFactory } from 'ulid'
import type { EventDraft } from '../storage/short-term-store.js'
import type { Task, TaskStatus } from '../types.js'
import { STATUS_EVENT_TYPE } from '../types.js'

const nextId = monotonicFactory()

export function makeTask(overrides: Partial<Task> = {}): Task {
  const now = Date.now()
  return { id: `task-${nextId()}`, status: 'pending', createdAt: now, updatedAt: now, ...overrides }
}

export function makeDraft(taskId: string, overrides: Partial<EventDraft> = {}): EventDraft {
  return { id: nextId(), taskId, timestamp: Date.now(), type: 'test.event', level: 'info', data: null, ...overrides }
}

export function statusDraft(taskId: string, status: TaskStatus, previousStatus: TaskStatus): EventDraft {
  return makeDraft(taskId, { type: STATUS_EVENT_TYPE, data: { status, previousStatus } })
}
