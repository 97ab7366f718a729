// @taskcast/sentry — engine hooks that report to Sentry.
export { createSentryHooks } from './create-sentry-hooks.js'
export type { SentryClient, SentryHooks, SentryHooksOptions } from './create-sentry-hooks.js'
