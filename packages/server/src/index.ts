// @taskcast/server — the Hono app of Taskcast: REST, SSE, auth and webhooks.
export { createTaskcastApp } from './app.js'
export type { TaskcastApp } from './app.js'
export { DEFAULT_LIMITS, DEFAULT_METRICS, DEFAULT_SSE } from './options.js'
export type { TaskcastAppOptions, LimitOptions, SseOptions, CorsOptions, MetricsOptions, MetricsRegistry } from './options.js'
export { WORKER_WS_MAX_MESSAGE_BYTES, WORKER_WS_MAX_CAPACITY } from './workers/ws-messages.js'
export { HTTP_STATUS_BY_CODE, httpStatusOf, toErrorBody, toTaskcastError } from './http-status.js'
export type { ErrorBody } from './http-status.js'
export type { TaskcastEnv } from './route-context.js'
export { PING_FRAME, eventFrame, doneFrame, goneFrame, retryFrame } from './sse/frames.js'
export {
  createAuthMiddleware,
  requireScope,
  assertAccess,
  hasScope,
  canAccessTask,
  assertTaskRules,
  getAuth,
  AUTH_VARIABLE,
} from './auth/index.js'
export { JWT_ALGORITHMS } from './auth/auth-types.js'
export { isBearerToken } from './auth/bearer-token.js'
export type { AuthContext, AuthOptions, AuthVariables, JwtAuthOptions, JwtAlgorithm } from './auth/index.js'
export { createWebhookDispatcher, assertWebhookUrlAllowed, signBody, SIGNATURE_HEADER, WEBHOOK_OUTCOMES } from './webhooks/index.js'
export type { WebhookDispatcher, WebhookDispatcherOptions, WebhookOptions, WebhookOutcome } from './webhooks/index.js'
export { MAX_WEBHOOK_RETRIES } from './webhooks/retry-policy.js'
