// One real Taskcast server on loopback for a test file, and an SDK client of it: started
// before the file's tests, closed after them.
import { afterAll, beforeAll } from 'vitest'
import { TaskcastServerClient } from '../../src/index.js'
import { startTaskcastServer, type TestServer } from '../../../client/test/support/taskcast-server.js'

export type { TestServer }

/** Calls `started` with the server and a client of it once the server listens. */
export function serverForFile(started: (server: TestServer, sdk: TaskcastServerClient) => void): void {
  let server: TestServer | undefined
  beforeAll(async () => {
    server = await startTaskcastServer()
    started(server, new TaskcastServerClient({ baseUrl: server.url }))
  })
  afterAll(() => server?.close())
}
