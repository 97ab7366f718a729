// Connection URLs appear in logs and error messages; their passwords must not.

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`. Unparseable input is returned masked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<invalid URL>'
  }
}
