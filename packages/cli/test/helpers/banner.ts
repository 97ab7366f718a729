// The startup lines as an operator reads them, written out once for the tests that check them.

/** The `info` line after the banner when tasks live only in memory. */
export const IN_MEMORY_NOTE =
  'tasks are kept in memory and lost on restart: to keep them, start with --storage sqlite (kept in taskcast.db, or --db <file>)'

/** The `warn` line for auth `none` outside loopback; `where` is `every interface (0.0.0.0)` or an address. */
export function exposureWarning(where: string): string {
  return `listening on ${where} with auth none: anyone who can reach it can read and write every task; turn auth on (TASKCAST_JWT_SECRET, or auth in the config file) or listen on 127.0.0.1`
}

/** The banner of a server in memory with no config file, as a text line without its timestamp. */
export function memoryBanner(url: string, host: string, auth = 'none'): string {
  const { port } = new URL(url)
  return `INFO  listening on ${url} version=0.1.0 host=${host} port=${port} broadcast=memory shortTerm=memory longTerm=none auth=${auth} sentry=off config=none dashboard=${url}/dashboard`
}
