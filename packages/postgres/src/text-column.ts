// Strings copied into text columns (types, series ids): PostgreSQL's text cannot hold NUL, and
// a lone surrogate would reach it as U+FFFD, so two series ids could become one.

/**
 * The string as stored in a text column: unchanged unless it holds a backslash, a NUL or a
 * lone surrogate, in which case it is written as the body of its JSON string literal. The
 * mapping is one-to-one (only escaped values contain a backslash), so it can key a row.
 */
export function toTextColumn(value: string): string {
  return /[\\\u0000]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)
    ? JSON.stringify(value).slice(1, -1)
    : value
}

/** The string {@link toTextColumn} stored. */
export function fromTextColumn(stored: string): string {
  return stored.includes('\\') ? (JSON.parse(`"${stored}"`) as string) : stored
}
