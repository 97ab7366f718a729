// A levelled line logger: human-readable text, or one JSON object per line for log collectors.

/** The logger's levels, least severe first (the CLI's own: not core's event `LEVELS`). */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export const LOG_FORMATS = ['text', 'json'] as const

export type LogLevel = (typeof LOG_LEVELS)[number]
export type LogFormat = (typeof LOG_FORMATS)[number]

export type LogFields = Record<string, unknown>

export interface Logger {
  readonly level: LogLevel
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  isEnabled(level: LogLevel): boolean
}

export interface LoggerOptions {
  /** @defaultValue 'info' */
  level?: LogLevel
  /** @defaultValue 'text' */
  format?: LogFormat
  /** Receives each finished line (without the newline). @defaultValue a write to stdout */
  write?: (line: string) => void
  /** @defaultValue () => new Date() */
  now?: () => Date
}


/**
 * Creates a logger. Text lines read `2025-01-01T12:00:00.000Z INFO  message key=value`;
 * JSON lines are `{"time":"…","level":"info","msg":"message","key":"value"}`.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'debug', format: 'json' })
 * log.info('listening', { url: 'http://127.0.0.1:3721' })
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info'
  const format = options.format ?? 'text'
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const now = options.now ?? (() => new Date())
  const threshold = LOG_LEVELS.indexOf(level)

  const log = (at: LogLevel, message: string, fields: LogFields = {}): void => {
    if (LOG_LEVELS.indexOf(at) < threshold) return
    const time = now().toISOString()
    if (format === 'json') {
      write(JSON.stringify({ time, level: at, msg: message, ...serialisable(fields) }))
      return
    }
    const pairs = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${textValue(value)}`)
    write([time, at.toUpperCase().padEnd(5), message, ...pairs].join(' '))
  }

  return {
    level,
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
    isEnabled: (at) => LOG_LEVELS.indexOf(at) >= threshold,
  }
}

/** Errors do not survive JSON.stringify on their own: keep their message and code. */
function serialisable(fields: LogFields): LogFields {
  const out: LogFields = {}
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? errorFields(value) : value
  }
  return out
}

function errorFields(error: Error): LogFields {
  const code = (error as { code?: unknown }).code
  return { message: error.message, ...(code !== undefined && { code }), ...(error.stack && { stack: error.stack }) }
}

function textValue(value: unknown): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code
    return JSON.stringify(code === undefined ? value.message : `${String(code)}: ${value.message}`)
  }
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value) ?? String(value)
}
