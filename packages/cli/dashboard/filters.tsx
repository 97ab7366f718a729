// The list's filters: any number of statuses (applied at once) and task types with wildcards
// (applied with Enter or the Apply button), both sent to the server as `GET /tasks` asks them.
import { TASK_STATUSES, type TaskStatus } from '@taskcast/core'
import { useState, type FormEvent } from 'react'
import type { ListFilter } from './task-list-model.js'

export const NO_FILTER: ListFilter = { statuses: [], types: [] }

/** `llm.*, tool.run` → `['llm.*', 'tool.run']`. */
function parseTypes(text: string): string[] {
  return text
    .split(',')
    .map((type) => type.trim())
    .filter((type) => type.length > 0)
}

export function Filters({ filter, onChange }: { filter: ListFilter; onChange: (filter: ListFilter) => void }) {
  const [typeText, setTypeText] = useState(filter.types.join(', '))

  const toggle = (status: TaskStatus, on: boolean): void => {
    const chosen = new Set(filter.statuses)
    if (on) chosen.add(status)
    else chosen.delete(status)
    onChange({ ...filter, statuses: TASK_STATUSES.filter((each) => chosen.has(each)) })
  }
  const applyTypes = (event: FormEvent): void => {
    event.preventDefault()
    onChange({ ...filter, types: parseTypes(typeText) })
  }
  const clear = (): void => {
    setTypeText('')
    onChange(NO_FILTER)
  }
  const filtering = filter.statuses.length > 0 || filter.types.length > 0

  return (
    <form className="filters" onSubmit={applyTypes} aria-label="Filters">
      <fieldset className="status-filter">
        <legend>Status</legend>
        {TASK_STATUSES.map((status) => (
          <label key={status} className="status-option" data-status={status}>
            <input
              type="checkbox"
              name="status"
              value={status}
              checked={filter.statuses.includes(status)}
              onChange={(event) => toggle(status, event.target.checked)}
            />
            {status}
          </label>
        ))}
      </fieldset>
      <div className="type-filter">
        <label htmlFor="type-filter">Type</label>
        <div className="type-row">
          <input
            id="type-filter"
            name="type"
            type="text"
            value={typeText}
            placeholder="llm.*"
            autoComplete="off"
            spellCheck={false}
            aria-describedby="type-filter-hint"
            onChange={(event) => setTypeText(event.target.value)}
          />
          <button type="submit">Apply</button>
          {filtering && (
            <button type="button" className="quiet" onClick={clear}>
              Clear filters
            </button>
          )}
        </div>
        <p id="type-filter-hint" className="hint">
          One type or several, comma-separated; <code>llm.*</code> matches <code>llm.chat</code> and <code>llm.a.b</code>.
        </p>
      </div>
    </form>
  )
}
