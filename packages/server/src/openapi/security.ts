// How callers authenticate (SPEC §9) and which scope each route needs.
import { PERMISSION_SCOPES, type PermissionScope } from '@taskcast/core'
import type { Operation } from './openapi-types.js'

export const BEARER = 'bearerAuth'
export const METRICS_TOKEN = 'metricsToken'

export const securitySchemes = {
  [BEARER]: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'Only when the server runs with auth (`jwt` or `custom`); with auth mode `none`, the default, no credentials are needed. ' +
      `A JWT's payload is \`{ sub?, taskIds: string[] | "*", scope: PermissionScope[] }\`; scopes: ${PERMISSION_SCOPES.map((s) => `\`${s}\``).join(', ')}. ` +
      'A route needs one of the scopes in its `x-taskcast-scope` (its `security` lists them as alternatives) and, for a task route, the task id in `taskIds`; per-task `authConfig` rules may add constraints.',
  },
  [METRICS_TOKEN]: {
    type: 'http',
    scheme: 'bearer',
    description: 'The `metrics.token` of the server, when it has one; otherwise `/metrics` is open.',
  },
} as const

/** What an operation behind the API's auth declares: any one of `scopes` suffices. */
export function needsScope(...scopes: PermissionScope[]): Pick<Operation, 'security' | 'x-taskcast-scope'> {
  return { security: scopes.map((scope) => ({ [BEARER]: [scope] })), 'x-taskcast-scope': scopes }
}

/** A route outside the API's auth that needs no credentials. */
export const OPEN: Pick<Operation, 'security'> = { security: [] }
