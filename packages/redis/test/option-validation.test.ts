// The adapters check their own options as they are built, before any connection is opened, and
// name the option in `details.field` so that a config reader (the CLI) can name its own key.
import { TaskcastError } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { RedisBroadcastProvider, RedisShortTermStore } from '../src/index.js'

// Nothing listens here: a constructor that tried to connect before checking would not fail this way.
const NOWHERE = 'redis://127.0.0.1:1'

function refusal(build: () => unknown): TaskcastError {
  try {
    build()
  } catch (error) {
    if (TaskcastError.isInstance(error)) return error
    throw error
  }
  throw new Error('the options were accepted')
}

describe.each([
  ['RedisShortTermStore', (keyPrefix: string) => new RedisShortTermStore({ url: NOWHERE, keyPrefix })],
  ['RedisBroadcastProvider', (keyPrefix: string) => new RedisBroadcastProvider({ url: NOWHERE, keyPrefix })],
])('%s', (_, build) => {
  it.each(['app{1}:', '{app}', 'a}b'])('refuses the key prefix %j, naming the keyPrefix option', (keyPrefix) => {
    const error = refusal(() => build(keyPrefix))
    expect(error.code).toBe('VALIDATION_ERROR')
    expect(error.details).toEqual({ field: 'keyPrefix' })
    expect(error.message).toBe(`keyPrefix must not contain braces: ${JSON.stringify(keyPrefix)}`)
  })
})
