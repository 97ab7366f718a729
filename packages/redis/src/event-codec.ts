// Events as the scripts see them: drafts become fixed-size argument groups, stored
// events are JSON strings in a sorted set whose score is the index.
import { TaskcastError, type EventDraft, type TaskEvent } from '@taskcast/core'
import { isPlainObject } from '@taskcast/core/internal'

/**
 * The script arguments of one draft, in the order includes/append-event.lua reads them
 * (ARGV[base] .. ARGV[base + DRAFT_STRIDE - 1]). Values a draft does not use are ''.
 */
export type DraftArgs = [
  fields: string,
  data: string,
  eventId: string,
  seriesKind: '' | 'a' | 'l',
  seriesId: string,
  accField: string,
  accPre: string,
  accContent: string,
  accPost: string,
]

/**
 * Arguments per draft: the one definition of the stride. The scripts get it as the Lua
 * constant `DRAFT_STRIDE`, prepended by src/commands/index.ts; the type ties it to DraftArgs.
 */
export const DRAFT_STRIDE: DraftArgs['length'] = 9

/** The JSON of a string without its surrounding quotes: such contents concatenate like the strings. */
function jsonStringContent(text: string): string {
  return JSON.stringify(text).slice(1, -1)
}

/**
 * Splits `data`'s JSON around the value of `field`: `pre + '"' + content + '"' + post` is
 * `JSON.stringify(data)`, property order included. Serialises member by member the way
 * JSON.stringify does (properties whose value has no JSON form are left out).
 */
export function splitAroundField(
  data: Record<string, unknown>,
  field: string,
): { pre: string; content: string; post: string } {
  const before: string[] = []
  const after: string[] = []
  let seen = false
  for (const key of Object.keys(data)) {
    if (key === field) {
      seen = true
      continue
    }
    const json = JSON.stringify(data[key]) as string | undefined
    if (json !== undefined) (seen ? after : before).push(`${JSON.stringify(key)}:${json}`)
  }
  return {
    pre: `{${before.map((member) => `${member},`).join('')}${JSON.stringify(field)}:`,
    content: jsonStringContent(data[field] as string),
    post: `${after.map((member) => `,${member}`).join('')}}`,
  }
}

/** The running value of an accumulate series from its stored parts. */
export function joinAroundField(pre: string, content: string, post: string): unknown {
  return JSON.parse(`${pre}"${content}"${post}`)
}

export interface EncodedDraft {
  /** The DRAFT_STRIDE script arguments. */
  args: DraftArgs
  /** The event as the store keeps it, without its index yet. */
  event: Omit<TaskEvent, 'index'>
}

/**
 * Script arguments for one draft. Series semantics follow core's MemoryShortTermStore:
 * series state is kept only when both `seriesId` and a mode other than `keep-all` are
 * given; accumulate extends `seriesAccField ?? 'delta'`.
 * @throws TaskcastError `VALIDATION_ERROR` for an accumulate draft whose data has no string in that field
 */
export function encodeDraft(draft: EventDraft): EncodedDraft {
  const { data, index: _index, superseded: _superseded, ...fields } = draft as EventDraft & {
    index?: unknown
    superseded?: unknown
  }
  const fieldsJson = JSON.stringify(fields)
  const { seriesId, seriesMode } = draft
  const hasSeriesState = seriesId !== undefined && seriesMode !== undefined && seriesMode !== 'keep-all'

  if (hasSeriesState && seriesMode === 'accumulate') {
    const field = draft.seriesAccField ?? 'delta'
    if (!isPlainObject(data) || typeof data[field] !== 'string') {
      throw new TaskcastError('VALIDATION_ERROR', `an accumulate event needs a string data.${field}`)
    }
    const { pre, content, post } = splitAroundField(data, field)
    return {
      args: [fieldsJson, '', draft.id, 'a', seriesId, field, pre, content, post],
      event: { ...fields, data: joinAroundField(pre, content, post) },
    }
  }

  const dataJson = (data === undefined ? undefined : JSON.stringify(data)) as string | undefined
  return {
    args: [fieldsJson, dataJson ?? '', draft.id, hasSeriesState ? 'l' : '', seriesId ?? '', '', '', '', ''],
    event: { ...fields, data: dataJson === undefined ? undefined : JSON.parse(dataJson) },
  }
}

/** An event from its stored JSON. */
export function decodeEvent(json: string): TaskEvent {
  return JSON.parse(json) as TaskEvent
}
