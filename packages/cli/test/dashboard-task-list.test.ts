// The dashboard's task list model: pages of GET /tasks, creation notices and status events of
// GET /events, merged so that the newest state of each task wins, in the list's order, within
// the filter and the pages read.
import type { SSEEnvelope, StatusEventData, Task, TaskStatus } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { TaskListModel, type ListFilter } from '../dashboard/task-list-model.js'

const ANY: ListFilter = { statuses: [], types: [] }

function task(id: string, createdAt: number, fields: Partial<Task> = {}): Task {
  return { id, status: 'pending', createdAt, updatedAt: createdAt, ...fields }
}

function created(id: string, createdAt: number, type?: string): SSEEnvelope {
  return {
    filteredIndex: -1,
    rawIndex: -1,
    eventId: `e-${id}`,
    taskId: id,
    type: 'taskcast:created',
    timestamp: createdAt,
    level: 'info',
    data: { status: 'pending', createdAt, ...(type !== undefined && { type }) },
  }
}

function moved(id: string, at: number, previousStatus: TaskStatus, status: TaskStatus, more: Partial<StatusEventData> = {}): SSEEnvelope {
  return {
    filteredIndex: 0,
    rawIndex: 0,
    eventId: `e-${id}-${at}`,
    taskId: id,
    type: 'taskcast:status',
    timestamp: at,
    level: 'info',
    data: { status, previousStatus, ...more },
  }
}

const listed = (model: TaskListModel): string[] => model.snapshot().tasks.map((each) => `${each.id}:${each.status}`)

describe('TaskListModel', () => {
  it('lists a page and the tasks announced after it newest first, ties by the greater id', () => {
    const model = new TaskListModel(ANY)
    expect(model.snapshot()).toMatchObject({ tasks: [], loaded: false, hasMore: false })
    model.addPage({ tasks: [task('b', 20), task('a', 10)], nextCursor: null }, { first: true })
    model.takeEnvelope(created('c', 30, 'llm.chat'))
    model.takeEnvelope(created('d', 30))
    expect(listed(model)).toEqual(['d:pending', 'c:pending', 'b:pending', 'a:pending'])
    expect(model.snapshot().tasks[1]).toEqual({ id: 'c', type: 'llm.chat', status: 'pending', createdAt: 30, updatedAt: 30 })
    expect(model.snapshot()).toMatchObject({ loaded: true, hasMore: false, counts: [['pending', 4]] })
  })

  it('applies status events newer than what it holds, with what they carry', () => {
    const model = new TaskListModel(ANY)
    model.addPage({ tasks: [task('a', 10, { status: 'running', updatedAt: 15 })], nextCursor: null }, { first: true })
    const request = { type: 'approval', data: { tool: 'deploy' } }
    model.takeEnvelope(moved('a', 20, 'running', 'blocked', { request }))
    expect(model.snapshot().tasks[0]).toMatchObject({ status: 'blocked', updatedAt: 20, blockedRequest: request })
    model.takeEnvelope(moved('a', 30, 'blocked', 'running', { resolution: { approved: true } }))
    model.takeEnvelope(moved('a', 40, 'running', 'completed', { result: { ok: true } }))
    expect(model.snapshot().tasks[0]).toEqual({
      id: 'a',
      status: 'completed',
      createdAt: 10,
      updatedAt: 40,
      completedAt: 40,
      resolution: { approved: true },
      result: { ok: true },
    })
    expect(model.snapshot().counts).toEqual([['completed', 1]])
  })

  it('keeps the newer state whichever comes second: a page read before an event, or an event before the page', () => {
    const model = new TaskListModel(ANY)
    model.takeEnvelope(created('a', 10))
    model.takeEnvelope(moved('a', 20, 'pending', 'running'))
    // A page read before that event answers after it: the task stays running.
    model.addPage({ tasks: [task('a', 10)], nextCursor: null }, { first: true })
    expect(listed(model)).toEqual(['a:running'])
    // An event the page already holds (the same move) changes nothing; a later one does.
    model.put(task('a', 10, { status: 'blocked', updatedAt: 30, metadata: { user: 'ada' } }))
    model.takeEnvelope(moved('a', 30, 'running', 'blocked'))
    expect(model.snapshot().tasks[0]).toMatchObject({ status: 'blocked', metadata: { user: 'ada' } })
    // In the same millisecond, only a move from the status held is newer.
    model.takeEnvelope(moved('a', 30, 'blocked', 'cancelled'))
    expect(listed(model)).toEqual(['a:cancelled'])
    model.takeEnvelope(moved('a', 30, 'running', 'blocked'))
    expect(listed(model)).toEqual(['a:cancelled'])
  })

  it('lists only the statuses and types asked for; a task that moves into them unread is to be read', () => {
    const model = new TaskListModel({ statuses: ['running', 'blocked'], types: ['llm.*'] })
    model.addPage({ tasks: [task('a', 10, { type: 'llm.chat', status: 'running' })], nextCursor: null }, { first: true })
    model.takeEnvelope(created('b', 20, 'llm.chat'))
    expect(listed(model)).toEqual(['a:running'])
    // b is known from its notice: its move brings it in, no read needed.
    expect(model.takeEnvelope(moved('b', 25, 'pending', 'running'))).toBeUndefined()
    expect(listed(model)).toEqual(['b:running', 'a:running'])
    model.takeEnvelope(moved('a', 30, 'running', 'completed'))
    expect(listed(model)).toEqual(['b:running'])
    // A task never met: read it when its move is into the statuses, not otherwise.
    expect(model.takeEnvelope(moved('z', 40, 'pending', 'cancelled'))).toBeUndefined()
    expect(model.takeEnvelope(moved('z', 41, 'paused', 'running'))).toBe('z')
    model.put(task('z', 5, { type: 'llm.summary', status: 'running', updatedAt: 41 }))
    expect(listed(model)).toEqual(['b:running', 'z:running'])
  })

  it('holds tasks older than the pages read until the next page; a first page read again keeps the place', () => {
    const model = new TaskListModel(ANY)
    model.addPage({ tasks: [task('d', 40), task('c', 30)], nextCursor: 'c1' }, { first: true })
    // Older than the last task read: it will come with the next page.
    model.put(task('a', 10))
    expect(listed(model)).toEqual(['d:pending', 'c:pending'])
    expect(model.snapshot()).toMatchObject({ hasMore: true, nextCursor: 'c1' })
    // After a reconnect the first page is read again: its tasks refresh, paging stays where it was.
    model.addPage({ tasks: [task('e', 50), task('d', 40, { status: 'running', updatedAt: 45 })], nextCursor: 'c0' }, { first: true })
    expect(listed(model)).toEqual(['e:pending', 'd:running', 'c:pending'])
    expect(model.snapshot().nextCursor).toBe('c1')
    model.addPage({ tasks: [task('b', 20), task('a', 10)], nextCursor: null }, { first: false })
    expect(listed(model)).toEqual(['e:pending', 'd:running', 'c:pending', 'b:pending', 'a:pending'])
    expect(model.snapshot()).toMatchObject({ hasMore: false, nextCursor: null, counts: [['pending', 4], ['running', 1]] })
  })

  it('returns the same snapshot until something changes', () => {
    const model = new TaskListModel(ANY)
    model.addPage({ tasks: [task('a', 10)], nextCursor: null }, { first: true })
    const first = model.snapshot()
    expect(model.snapshot()).toBe(first)
    model.takeEnvelope({ ...moved('a', 20, 'pending', 'running'), type: 'llm.delta' })
    expect(model.snapshot()).toBe(first)
    model.takeEnvelope(moved('a', 20, 'pending', 'running'))
    expect(model.snapshot()).not.toBe(first)
  })
})
