// Options of createTaskcastApp, with their defaults in one place.
import type { TaskcastHooks, TaskEngine } from '@taskcast/core'
import type { AuthOptions } from './auth/auth-types.js'
import type { WebhookOptions } from './webhooks/webhook-types.js'

export interface LimitOptions {
  /** Largest accepted request body. @defaultValue 1_048_576 (1 MiB) */
  maxBodyBytes?: number
  /** Most events in one publish request. @defaultValue 1000 */
  maxBatchSize?: number
}

export interface SseOptions {
  /** Interval of the `: ping` comment. @defaultValue 15_000 */
  heartbeatMs?: number
  /** Bytes a connection may have queued unread before it is cut (the client can resume). @defaultValue 1_048_576 */
  maxBufferedBytes?: number
  /**
   * Sent as `retry:` at the start of every stream: how long a plain `EventSource` waits before
   * reconnecting after a drop (browsers default to about 3 s). @defaultValue 1000
   */
  retryMs?: number
}

/** Cross-origin access for browsers on other origins (Hono's `cors` middleware). */
export interface CorsOptions {
  /** Allowed origins: one, a list, or `'*'`. */
  origin: string | string[]
  /** Send `Access-Control-Allow-Credentials`. @defaultValue false */
  credentials?: boolean
  /** Preflight cache lifetime in seconds. @defaultValue 600 */
  maxAge?: number
}

export interface TaskcastAppOptions {
  engine: TaskEngine
  /** @defaultValue { mode: 'none' } */
  auth?: AuthOptions
  webhooks?: WebhookOptions
  limits?: LimitOptions
  sse?: SseOptions
  /** Off unless given: answer preflights and add CORS headers for these origins. */
  cors?: CorsOptions
  /** Extra hooks, added to the engine's (SSE connect/disconnect, webhook failures…). */
  hooks?: TaskcastHooks
}

export const DEFAULT_LIMITS: Required<LimitOptions> = { maxBodyBytes: 1_048_576, maxBatchSize: 1000 }
export const DEFAULT_SSE: Required<SseOptions> = { heartbeatMs: 15_000, maxBufferedBytes: 1_048_576, retryMs: 1000 }
