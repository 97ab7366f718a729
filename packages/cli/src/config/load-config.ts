// The CLI's configuration: defaults < config file < environment < flags, resolved and checked.
import { relative, resolve } from 'node:path'
import { TaskcastError } from '@taskcast/core'
import { configErrorKey } from './config-error.js'
import { discoverConfigFile, loadConfigFile } from './config-file.js'
import type { ResolvedConfig, TaskcastConfig } from './config-types.js'
import { configFromEnv } from './env-config.js'
import { unsetHint } from './expand-env.js'
import { configFromFlags, type ConfigFlags } from './flags-config.js'
import { mergeLayers } from './merge-layers.js'
import { resolveConfig } from './resolve-config.js'

export interface LoadConfigOptions {
  /** Where to look for `taskcast.config.*`, and what `configFile` is relative to. @defaultValue process.cwd() */
  cwd?: string
  /** An explicit config file (`-c`); no discovery then. */
  configFile?: string
  /** @defaultValue process.env */
  env?: Record<string, string | undefined>
  /** Command-line flags, the highest layer. */
  flags?: ConfigFlags
}

/**
 * Loads the config the way `taskcast start` does.
 *
 * @throws TaskcastError `VALIDATION_ERROR` with a one-line message naming the file, key,
 * variable or flag at fault.
 * @example
 * ```ts
 * const config = await loadConfig({ flags: { port: '8080' } })
 * const server = await startServer(config)
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const { config, configFile, unset } = await loadConfigLayers(options, configFromFlags(options.flags ?? {}))
  try {
    return await resolveConfig(config, configFile)
  } catch (error) {
    // A key left empty by an unset ${VAR} in the file: say which variable.
    const key = configErrorKey(error)
    const hint = key === undefined ? undefined : unsetHint(unset.get(key))
    if (hint && TaskcastError.isInstance(error)) {
      throw new TaskcastError(error.code, `${error.message} ${hint}`, { cause: error, details: error.details ?? {} })
    }
    throw error
  }
}

export interface ConfigLayers {
  /** File, environment and `upper` merged; each layer validated, cross-key rules not yet checked. */
  config: TaskcastConfig
  /** The config file used, relative to the working directory. */
  configFile?: string
  /** Keys of the file left empty by unset `${VAR}`s, with those variables. */
  unset: Map<string, string[]>
}

/** Discovers and reads the config file, then merges file < environment < `upper`. */
export async function loadConfigLayers(options: LoadConfigOptions, upper: TaskcastConfig = {}): Promise<ConfigLayers> {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const path = options.configFile !== undefined ? resolve(cwd, options.configFile) : await discoverConfigFile(cwd)
  if (path === undefined) return { config: mergeLayers(configFromEnv(env), upper), unset: new Map() }
  const label = relative(cwd, path) || path
  const file = await loadConfigFile(path, env, label)
  return { config: mergeLayers(file.config, configFromEnv(env), upper), configFile: label, unset: file.unset }
}
