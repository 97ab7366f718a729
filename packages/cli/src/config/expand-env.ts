// `${VAR}` and `${VAR:-default}` in the string values of a YAML or JSON config.
import { configError } from './config-error.js'
import { child, isPlainObject } from './schema-kit.js'

export interface Expansion {
  /** The config with every reference replaced. */
  value: unknown
  /** Paths whose string came out of an expansion: it may stand for a number or a boolean. */
  expanded: Set<string>
  /** Paths whose value used a variable that is not set (and had no default), with those variables. */
  unset: Map<string, string[]>
}

// `$${` is an escaped, literal `${`; anything else starting with `${` must be a full reference.
const TOKEN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}|\$\{/g

/**
 * Replaces references in every string value (keys are left alone). Expansion happens after
 * parsing, so a variable's content is never read as YAML. A value that is exactly one reference
 * and expands to the empty string is removed, so `dsn: ${SENTRY_DSN}` with the variable unset
 * means "no DSN", as if the key were absent.
 *
 * @throws TaskcastError `VALIDATION_ERROR` for a `${` that does not start a valid reference.
 */
export function expandEnv(value: unknown, env: Record<string, string | undefined>, source: string): Expansion {
  const expanded = new Set<string>()
  const unset = new Map<string, string[]>()

  const expandString = (text: string, path: string): string => {
    const missing: string[] = []
    const out = text.replace(TOKEN, (token, name: string | undefined, withDefault: string | undefined, fallback: string | undefined) => {
      if (token === '$${') return '${'
      if (name === undefined) {
        throw configError(
          `${source}: ${path}`,
          'has a "${" that is not a ${VAR} or ${VAR:-default} reference (write $${ for a literal ${)',
          path,
        )
      }
      const current = env[name]
      if (withDefault !== undefined) return current === undefined || current === '' ? (fallback ?? '') : current
      if (current === undefined) missing.push(name)
      return current ?? ''
    })
    if (out !== text) expanded.add(path)
    if (missing.length > 0) unset.set(path, missing)
    return out
  }

  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === 'string') return expandString(node, path)
    if (Array.isArray(node)) return node.map((item, i) => walk(item, child(path, i)))
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {}
      for (const [key, entry] of Object.entries(node)) {
        const at = child(path, key)
        const result = walk(entry, at)
        if (result === '' && typeof entry === 'string' && isSingleReference(entry)) continue
        out[key] = result
      }
      return out
    }
    return node
  }

  return { value: walk(value, ''), expanded, unset }
}

function isSingleReference(text: string): boolean {
  return /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/.test(text)
}

/** `(${REDIS_URL} is not set)` — the words that explain an empty or missing value. */
export function unsetHint(names: readonly string[] | undefined): string | undefined {
  if (!names || names.length === 0) return undefined
  const list = names.map((n) => `\${${n}}`).join(', ')
  return names.length === 1 ? `(${list} is not set)` : `(${list} are not set)`
}
