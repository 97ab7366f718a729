// The store and runMigrations check schema and tablePrefix before any connection is made, and
// name the option in `details.field` so that a config reader (the CLI) can name its own key.
import { TaskcastError } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { PostgresLongTermStore, runMigrations } from '../src/index.js'

// Nothing listens here: a check that needed the server would fail with STORE_UNAVAILABLE instead.
const NOWHERE = 'postgres://postgres@127.0.0.1:1/test'

const refused = [
  { options: { schema: 'x;drop' }, field: 'schema', message: 'schema must match /^[a-z_][a-z0-9_]*$/ and be at most 63 characters' },
  { options: { schema: 'a'.repeat(64) }, field: 'schema', message: 'schema must match /^[a-z_][a-z0-9_]*$/ and be at most 63 characters' },
  {
    options: { tablePrefix: 'Taskcast_' },
    field: 'tablePrefix',
    message: 'tablePrefix must match /^[a-z_][a-z0-9_]*$/ and be at most 46 characters',
  },
  {
    options: { tablePrefix: 'x'.repeat(47) },
    field: 'tablePrefix',
    message: 'tablePrefix must match /^[a-z_][a-z0-9_]*$/ and be at most 46 characters',
  },
]

function asTaskcastError(error: unknown): TaskcastError {
  if (!TaskcastError.isInstance(error)) throw error
  return error
}

describe.each(refused)('$options', ({ options, field, message }) => {
  const value = Object.values(options)[0]

  it('the store refuses it, naming the option', () => {
    let thrown: unknown
    try {
      new PostgresLongTermStore({ url: NOWHERE, ...options })
    } catch (error) {
      thrown = error
    }
    const error = asTaskcastError(thrown)
    expect({ code: error.code, message: error.message, details: error.details }).toEqual({
      code: 'VALIDATION_ERROR',
      message,
      details: { field, value },
    })
  })

  it('runMigrations refuses it, naming the option', async () => {
    const error = asTaskcastError(await runMigrations(NOWHERE, options).then(() => undefined, (e: unknown) => e))
    expect({ code: error.code, details: error.details }).toEqual({ code: 'VALIDATION_ERROR', details: { field, value } })
  })
})
