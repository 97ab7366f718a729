// A value's identity by content: users pass inline filter objects, a new one every render, and
// a resubscription must happen only when the filter really changed.

function sortKeys(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** JSON with object keys sorted; `undefined` properties are dropped, array order counts. */
export function stableKey(value: unknown): string {
  return JSON.stringify(value, sortKeys) ?? 'undefined'
}
