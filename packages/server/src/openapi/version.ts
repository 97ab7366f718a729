// The package's version, fixed at build time (tsup's `define`; vitest.config.ts for the tests).
declare const __TASKCAST_VERSION__: string

/** Version of `@taskcast/server`, which is the version of the API it serves. */
export const SERVER_VERSION: string = __TASKCAST_VERSION__
