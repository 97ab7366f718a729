// Starts taskcast-server-worker.mjs and drives its engine: the test server for a realm whose
// fetch globals are not Node's (see that file).
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { TaskEngine } from '@taskcast/core'

type Engine = Pick<TaskEngine, 'createTask' | 'getTask' | 'transitionTask' | 'resolveTask' | 'publishEvent' | 'getEvents'>

/** The engine's methods, called in the worker: same arguments, same results (as structured clones). */
export type RemoteEngine = { [K in keyof Engine]: (...args: Parameters<Engine[K]>) => ReturnType<Engine[K]> }

export interface WorkerServer {
  url: string
  engine: RemoteEngine
  close(): Promise<void>
}

export async function startTaskcastServerInWorker(): Promise<WorkerServer> {
  // A path, not a URL: the realm's URL class may not be Node's.
  const worker = new Worker(join(dirname(fileURLToPath(import.meta.url)), 'taskcast-server-worker.mjs'))
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', (message: { url: string }) => resolve(message.url))
    worker.once('error', reject)
  })
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  worker.on('message', (message: { id?: number; result?: unknown; error?: { code: string; message: string } }) => {
    const call = message.id === undefined ? undefined : pending.get(message.id)
    if (!call) return
    pending.delete(message.id!)
    if (message.error) call.reject(Object.assign(new Error(message.error.message), { code: message.error.code }))
    else call.resolve(message.result)
  })
  let next = 0
  const call = (method: string, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = next++
      pending.set(id, { resolve, reject })
      worker.postMessage({ id, method, args })
    })
  const engine = new Proxy({} as RemoteEngine, {
    get: (_target, method: string) => (...args: unknown[]) => call(method, args),
  })
  return {
    url,
    engine,
    async close() {
      await call('close', [])
      await worker.terminate()
    },
  }
}
