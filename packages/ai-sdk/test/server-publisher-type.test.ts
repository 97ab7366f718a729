// The server SDK's client is what `publishUIMessageStream` takes as a server publisher: checked
// by the compiler (this package describes it instead of depending on @taskcast/server-sdk).
import { TaskcastServerClient } from '@taskcast/server-sdk'
import { describe, expectTypeOf, it } from 'vitest'
import type { TaskcastServerPublisher, UIMessageStreamPublisher } from '../src/index.js'

describe('TaskcastServerPublisher', () => {
  it('is satisfied by TaskcastServerClient', () => {
    expectTypeOf<TaskcastServerClient>().toMatchTypeOf<TaskcastServerPublisher>()
    expectTypeOf<TaskcastServerClient>().toMatchTypeOf<UIMessageStreamPublisher>()
  })
})
