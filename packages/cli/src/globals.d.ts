// Build-time constants injected by tsup (`define` in tsup.base.ts).

/** The package version, replaced with a string literal when the package is built. */
declare const __TASKCAST_VERSION__: string
