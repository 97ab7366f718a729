// Command-line flags → the config layer with the highest precedence.
import { validateConfigLayer } from './config-schema.js'
import type { TaskcastConfig } from './config-types.js'

/** Flags as commander hands them over: strings, absent when not given. */
export interface ConfigFlags {
  port?: string | number
  host?: string
  logLevel?: string
  logFormat?: string
}

const FLAG_BY_KEY: Record<string, string> = {
  port: '--port',
  host: '--host',
  logLevel: '--log-level',
  logFormat: '--log-format',
}

/** @throws TaskcastError `VALIDATION_ERROR` naming the flag. */
export function configFromFlags(flags: ConfigFlags): TaskcastConfig {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(FLAG_BY_KEY)) {
    const value = flags[key as keyof ConfigFlags]
    if (value !== undefined) raw[key] = value
  }
  return validateConfigLayer(raw, {
    describe: (path) => FLAG_BY_KEY[path] ?? path,
    coerce: () => true,
    hint: () => undefined,
  })
}
