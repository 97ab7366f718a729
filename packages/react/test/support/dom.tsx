// Rendering with the real react-dom into happy-dom, and a Taskcast server on the page's origin.
import type { ReactNode } from 'react'
import { flushSync } from 'react-dom'
import { createRoot, type Root } from 'react-dom/client'
import { afterAll, beforeAll } from 'vitest'
// Shared with @taskcast/client's tests rather than copied (see README, "Tests").
import { startTaskcastServer, type TestServer } from '../../../client/test/support/taskcast-server.js'

export { runningTask } from '../../../client/test/support/taskcast-server.js'
export type { TestServer } from '../../../client/test/support/taskcast-server.js'

/**
 * One server for the file, and the page moved onto its origin: happy-dom's fetch applies
 * the same-origin policy like a browser, and the server sends no CORS headers.
 */
export function useServer(): { readonly current: TestServer } {
  const ref = {} as { current: TestServer }
  beforeAll(async () => {
    ref.current = await startTaskcastServer()
    ;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${ref.current.url}/app`)
  })
  afterAll(() => ref.current.close())
  return ref
}

export interface Mounted {
  container: HTMLElement
  render(element: ReactNode): void
  unmount(): void
}

/** Renders synchronously, so each step of a test starts from a committed tree. */
export function mount(element: ReactNode): Mounted {
  const container = document.createElement('div')
  document.body.append(container)
  const root: Root = createRoot(container)
  const render = (next: ReactNode): void => flushSync(() => root.render(next))
  render(element)
  return {
    container,
    render,
    unmount: () => {
      flushSync(() => root.unmount())
      container.remove()
    },
  }
}
