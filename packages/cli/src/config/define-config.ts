// Typing help for `taskcast.config.ts`: returns its argument unchanged.
import type { TaskcastConfig } from './config-types.js'

/**
 * Gives a config file's default export its type (and editor completion).
 *
 * @example
 * ```ts
 * // taskcast.config.ts
 * import { defineConfig } from '@taskcast/cli'
 *
 * export default defineConfig({
 *   port: 8080,
 *   auth: { mode: 'jwt', jwt: { secret: process.env.JWT_SECRET } },
 * })
 * ```
 */
export function defineConfig<T extends TaskcastConfig | (() => TaskcastConfig | Promise<TaskcastConfig>)>(config: T): T {
  return config
}
