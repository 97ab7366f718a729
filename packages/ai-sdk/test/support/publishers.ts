// The two kinds of publisher every behaviour test runs with: the engine of the embedding app,
// and a server SDK client of the same server over loopback.
import { TaskcastServerClient } from '@taskcast/server-sdk'
import type { Task, TaskEngine } from '@taskcast/core'
import type { UIMessageStreamPublisher } from '../../src/index.js'
import type { ChatServer } from './chat-server.js'

export interface PublisherKind {
  name: string
  /** The publisher, and how it creates the task of an answer. */
  of(server: ChatServer, fetch?: typeof globalThis.fetch): UIMessageStreamPublisher & { createTask(input: { type: string }): Promise<Task> }
}

export const PUBLISHERS: PublisherKind[] = [
  { name: 'engine', of: (server): TaskEngine => server.engine },
  { name: 'server SDK', of: (server, fetch) => new TaskcastServerClient({ baseUrl: server.url, ...(fetch && { fetch }) }) },
]
