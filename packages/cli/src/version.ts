// The CLI's version, fixed at build time so nothing reads package.json at run time.

/** Version of `@taskcast/cli` (e.g. `0.1.0`). */
export const VERSION: string = __TASKCAST_VERSION__
