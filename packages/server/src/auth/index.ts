// Authentication and authorisation of the Taskcast HTTP API.
export { createAuthMiddleware } from './create-auth-middleware.js'
export { requireScope, assertAccess, hasScope, canAccessTask } from './require-scope.js'
export { assertTaskRules, taskRulesAllow } from './task-rules.js'
export { getAuth, AUTH_VARIABLE } from './auth-context.js'
export type { AuthVariables } from './auth-context.js'
export type { AuthContext, AuthOptions, JwtAuthOptions, JwtAlgorithm } from './auth-types.js'
