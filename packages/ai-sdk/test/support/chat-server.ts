// One loopback server for a test file, as an app that embeds Taskcast serves it: the Taskcast
// router, and the app's own chat endpoint (POST /api/chat, answering `{ taskId }`), whose
// behaviour each test sets.
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine } from '@taskcast/core'
import { createTaskcastApp } from '@taskcast/server'
import { afterAll, beforeAll } from 'vitest'

export const CHAT_PATH = '/api/chat'

export interface ChatServer {
  url: string
  engine: TaskEngine
  /** What POST /api/chat does with the request body: start a task, and give its id. */
  onChat: ((body: unknown) => Promise<string>) | undefined
}

/** The file's server: started before its tests, closed after them. Read its fields inside tests. */
export function chatServerForFile(): ChatServer {
  const chat: ChatServer = { url: '', engine: undefined as unknown as TaskEngine, onChat: undefined }
  let close: (() => Promise<void>) | undefined
  beforeAll(async () => {
    const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore() })
    const app = createTaskcastApp({ engine })
    const server = serve({
      fetch: async (request: Request) => {
        if (new URL(request.url).pathname !== CHAT_PATH) return app.fetch(request)
        if (!chat.onChat) return new Response('no chat handler', { status: 500 })
        return Response.json({ taskId: await chat.onChat(await request.json()) })
      },
      port: 0,
      hostname: '127.0.0.1',
    })
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())))
    chat.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    chat.engine = engine
    close = async () => {
      await app.close()
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await engine.stop()
    }
  })
  afterAll(() => close?.())
  return chat
}
