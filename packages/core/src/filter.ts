// Event filters (SPEC §5): type wildcards, levels and status events.
import type { EventFilter, Level, TaskEvent } from './types.js'
import { LEVELS, STATUS_EVENT_TYPE } from './types.js'

/** `*` matches everything, `llm.*` matches `llm.delta` and `llm.a.b` but not `llm`, anything else is exact. */
export function matchesType(patterns: readonly string[] | undefined, type: string): boolean {
  if (patterns === undefined) return true
  for (const pattern of patterns) {
    if (pattern === '*' || pattern === type) return true
    if (pattern.endsWith('.*') && type.length > pattern.length - 1 && type.startsWith(pattern.slice(0, -1))) return true
  }
  return false
}

export type EventPredicate = (event: Pick<TaskEvent, 'type' | 'level'>) => boolean

/** Status events pass `types` and `levels` regardless; only `includeStatus` governs them. */
export function compileFilter(filter: EventFilter = {}): EventPredicate {
  const includeStatus = filter.includeStatus !== false
  const { types } = filter
  const levels: ReadonlySet<Level> | undefined = filter.levels ? new Set(filter.levels) : undefined
  return (event) => {
    if (event.type === STATUS_EVENT_TYPE) return includeStatus
    if (levels && !levels.has(event.level)) return false
    return matchesType(types, event.type)
  }
}

/** Whether `filter` lets every event through (no types but `*`, every level, status events). */
export function selectsEveryEvent(filter: EventFilter = {}): boolean {
  const { types, levels } = filter
  return (
    filter.includeStatus !== false &&
    (types === undefined || types.includes('*')) &&
    (levels === undefined || LEVELS.every((level) => levels.includes(level)))
  )
}

export function matchesFilter(filter: EventFilter, event: Pick<TaskEvent, 'type' | 'level'>): boolean {
  return compileFilter(filter)(event)
}
