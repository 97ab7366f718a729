// `taskcast start`: load the config, start the server, and stop it cleanly on SIGINT/SIGTERM.
import { loadConfig } from '../config/load-config.js'
import type { ConfigFlags } from '../config/flags-config.js'
import { createLogger, type Logger } from '../logger.js'
import { startServer, type RunningServer } from '../server.js'

export interface StartCommandOptions extends ConfigFlags {
  /** `-c, --config <file>` */
  config?: string
}

/** After a signal, the process is gone by then whatever happens (SPEC §12: exit within 10 s). */
const FORCED_EXIT_MS = 9800

/**
 * Runs the server until SIGINT or SIGTERM, then exits 0 once it is closed. A second signal
 * exits at once with code 1.
 * @throws TaskcastError when the config is bad or a store is unreachable (nothing is left running).
 */
export async function startCommand(options: StartCommandOptions): Promise<void> {
  // Handlers go in first: a signal that arrives while starting (or just after the banner) must
  // not kill the process with the default action, which skips the clean shutdown.
  const signals = new SignalLatch()
  const config = await loadConfig({
    ...(options.config !== undefined && { configFile: options.config }),
    flags: options,
  })
  const logger = createLogger({ level: config.logLevel, format: config.logFormat })
  const server = await startServer(config, { logger })
  signals.stopWith(server, logger)
}

class SignalLatch {
  private received: NodeJS.Signals | undefined
  private stop: ((signal: NodeJS.Signals) => void) | undefined

  constructor() {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stop) return this.stop(signal)
      // Still starting: exiting now leaves nothing behind, since nothing listens yet.
      if (this.received) process.exit(1)
      this.received = signal
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }

  /** From now on a signal closes `server`; a signal that came during startup does so at once. */
  stopWith(server: RunningServer, logger: Logger): void {
    let stopping = false
    this.stop = (signal) => {
      if (stopping) {
        logger.warn(`received ${signal} again: exiting without waiting`)
        process.exit(1)
      }
      stopping = true
      logger.info(`received ${signal}: shutting down`)
      const forced = setTimeout(() => {
        logger.error('shutdown did not finish in time: exiting')
        process.exit(1)
      }, FORCED_EXIT_MS)
      server.close().then(
        () => {
          clearTimeout(forced)
          process.exit(0)
        },
        (error: unknown) => {
          logger.error('shutdown failed', { error: error instanceof Error ? error.message : String(error) })
          process.exit(1)
        },
      )
    }
    if (this.received) this.stop(this.received)
  }
}
