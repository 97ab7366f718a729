// Finding and reading the config file: code (.ts through jiti, .js/.mjs natively), YAML or JSON.
import { access, readFile } from 'node:fs/promises'
import { extname, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse as parseYaml, YAMLParseError } from 'yaml'
import { configError } from './config-error.js'
import { validateConfigLayer } from './config-schema.js'
import type { TaskcastConfig } from './config-types.js'
import { expandEnv, unsetHint } from './expand-env.js'
import { describeValue, isPlainObject } from './schema-kit.js'

/** Searched in the working directory, in this order; the first one found is used. */
export const CONFIG_FILE_NAMES = [
  'taskcast.config.ts',
  'taskcast.config.js',
  'taskcast.config.mjs',
  'taskcast.config.yaml',
  'taskcast.config.yml',
  'taskcast.config.json',
] as const

type Format = 'typescript' | 'javascript' | 'yaml' | 'json'

const FORMAT_BY_EXTENSION: Record<string, Format> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.json': 'json',
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

/** The first of {@link CONFIG_FILE_NAMES} present in `cwd`, as an absolute path. */
export async function discoverConfigFile(cwd: string): Promise<string | undefined> {
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolve(cwd, name)
    if (await exists(path)) return path
  }
  return undefined
}

export interface LoadedConfigFile {
  config: TaskcastConfig
  /** Paths whose value used an unset variable, for hints in later errors. */
  unset: Map<string, string[]>
}

/**
 * Reads, expands (YAML/JSON) and validates a config file.
 * @param label how messages name the file (usually the path relative to the working directory)
 * @throws TaskcastError `VALIDATION_ERROR` naming the file and, when it is about a key, the key.
 */
export async function loadConfigFile(
  path: string,
  env: Record<string, string | undefined>,
  label = relative(process.cwd(), path) || path,
): Promise<LoadedConfigFile> {
  const format = FORMAT_BY_EXTENSION[extname(path).toLowerCase()]
  if (!format) {
    throw configError(`${label}:`, 'unknown config format: use .ts, .js, .mjs, .yaml, .yml or .json')
  }
  if (!(await exists(path))) throw configError(`${label}:`, 'config file not found')

  let raw: unknown
  let unset = new Map<string, string[]>()
  let expanded = new Set<string>()
  if (format === 'yaml' || format === 'json') {
    const text = await readFile(path, 'utf8')
    const parsed = format === 'yaml' ? parseYamlText(text, label) : parseJsonText(text, label)
    // An empty YAML file is an empty config.
    const expansion = expandEnv(parsed ?? {}, env, label)
    ;({ value: raw, unset, expanded } = expansion)
  } else {
    raw = await importConfigModule(path, format, label)
  }
  if (!isPlainObject(raw)) {
    throw configError(`${label}:`, `must hold a mapping of config keys at the top level (got ${describeValue(raw)})`)
  }
  const config = validateConfigLayer(raw, {
    describe: (key) => `${label}: ${key}`,
    coerce: (key) => expanded.has(key),
    hint: (key) => unsetHint(unset.get(key)),
  })
  return { config, unset }
}

function parseYamlText(text: string, label: string): unknown {
  try {
    return parseYaml(text, { prettyErrors: true })
  } catch (error) {
    if (error instanceof YAMLParseError) {
      // The first line of yaml's message; the code frame after it does not fit in one line.
      const where = error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : ''
      const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
      throw configError(`${label}:`, `invalid YAML${where}: ${reason}`)
    }
    throw error
  }
}

function parseJsonText(text: string, label: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw configError(`${label}:`, `invalid JSON: ${(error as Error).message}`)
  }
}

async function importConfigModule(path: string, format: 'typescript' | 'javascript', label: string): Promise<unknown> {
  let exported: unknown
  try {
    if (format === 'typescript') {
      // Node 18/20 cannot run TypeScript: jiti transpiles the file (and what it imports) in memory.
      const { createJiti } = await import('jiti')
      const jiti = createJiti(import.meta.url, { fsCache: false, moduleCache: false })
      exported = await jiti.import(path, { default: true })
    } else {
      const module = (await import(pathToFileURL(path).href)) as { default?: unknown }
      exported = module.default ?? module
    }
  } catch (error) {
    throw configError(`${label}:`, `cannot load: ${firstLine(error)}`)
  }
  // `export default defineConfig(async () => ({ … }))` is allowed too.
  if (typeof exported === 'function') {
    try {
      exported = await (exported as () => unknown)()
    } catch (error) {
      throw configError(`${label}:`, `the exported config function failed: ${firstLine(error)}`)
    }
  }
  return exported
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] ?? ''
}
