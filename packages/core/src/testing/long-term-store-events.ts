// Archived events for the long-term store contract: a builder, and the placeholder a series row leaves.
import { monotonicFactory } from 'ulid'
import type { TaskEvent } from '../types.js'
import { makeTask } from './fixtures.js'

const nextId = monotonicFactory()

/** Events of one task (a fresh one unless given) with consecutive indexes and distinct ids. */
export function eventMaker(taskId: string = makeTask().id) {
  let next = 0
  const make = (fields: Partial<TaskEvent> = {}): TaskEvent => {
    const index = fields.index ?? next
    next = index + 1
    return {
      id: nextId(),
      taskId,
      index,
      timestamp: 1_700_000_001_000 + index,
      type: 'test.event',
      level: 'info',
      data: { n: index },
      ...fields,
    }
  }
  return { taskId, make }
}

/**
 * What the archive returns in place of `event`, a series event compacted into `row` (the
 * series' newest): its own index, type and level, the series fields and timestamp of the
 * row, no data, and the id `<taskId>:<index>`.
 */
export function placeholderOf(event: TaskEvent, row: TaskEvent): TaskEvent {
  return {
    ...row,
    id: `${row.taskId}:${event.index}`,
    index: event.index,
    type: event.type,
    level: event.level,
    data: null,
    superseded: true,
  }
}
