// @taskcast/cli — the standalone server, usable from code as well as from the `taskcast` binary.
export { startServer } from './server.js'
export type { RunningServer, StartServerOptions } from './server.js'
export { loadConfig, loadConfigLayers } from './config/load-config.js'
export type { LoadConfigOptions, ConfigLayers } from './config/load-config.js'
export { resolveConfig, DEFAULT_PORT, DEFAULT_HOST } from './config/resolve-config.js'
export { defineConfig } from './config/define-config.js'
export { CONFIG_FILE_NAMES } from './config/config-file.js'
export { ENV_VARIABLES } from './config/env-config.js'
export type { ConfigFlags } from './config/flags-config.js'
export type {
  TaskcastConfig,
  ResolvedConfig,
  AuthConfig,
  AuthMode,
  JwtConfig,
  AdaptersConfig,
  BroadcastAdapterConfig,
  ShortTermAdapterConfig,
  LongTermAdapterConfig,
  MetricsConfig,
  SentryConfig,
  WebhookSectionConfig,
  WebhookEndpointConfig,
  LogLevel,
  LogFormat,
} from './config/config-types.js'
export { createLogger } from './logger.js'
export type { Logger, LoggerOptions, LogFields } from './logger.js'
export { VERSION } from './version.js'
