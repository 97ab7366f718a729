// What the WebSocket mode of a worker (SPEC §18) needs of a WebSocket implementation, and how it
// opens one: the standard API (`globalThis.WebSocket` of Node 22+, browsers, Deno, Bun), or one
// the caller passes (the `ws` package on Node 20, which has no stable global WebSocket).

/** The part of the standard WebSocket API the worker uses. */
export interface WorkerWebSocket {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open', listener: () => void): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'error', listener: (event: { error?: unknown; message?: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void
}

/** A WebSocket class: `globalThis.WebSocket`, or the `ws` package's default export. */
export type WebSocketConstructor = new (url: string, options?: never) => WorkerWebSocket

/** The `readyState` of an open socket (the same in every implementation). */
export const OPEN = 1

/** The runtime's own WebSocket, if it has one (not Node 20). */
export function defaultWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
}

/**
 * Whether `new WebSocket(url, { headers })` sends the headers: the `ws` package's class (and
 * Bun's, which copies it) does, and tells itself apart by `terminate()`; the standard API has no
 * way to set a header, so its token goes in the hello instead.
 */
export function acceptsHeaders(WebSocket: WebSocketConstructor): boolean {
  return typeof (WebSocket.prototype as { terminate?: unknown }).terminate === 'function'
}

/** `GET /workers/ws` of the server at `baseUrl`: `http:` becomes `ws:`, `https:` becomes `wss:`. */
export function workerSocketUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '').replace(/^http(s?):/i, 'ws$1:')}/workers/ws`
}

/** Opens a socket, with the `Authorization` header when `bearer` is given (and the implementation sends headers). */
export function openSocket(WebSocket: WebSocketConstructor, url: string, bearer: string | undefined): WorkerWebSocket {
  if (bearer === undefined) return new WebSocket(url)
  const Headed = WebSocket as unknown as new (url: string, options: { headers: Record<string, string> }) => WorkerWebSocket
  return new Headed(url, { headers: { authorization: `Bearer ${bearer}` } })
}
