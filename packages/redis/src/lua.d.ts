// Lua scripts are inlined as text at build time (tsup/esbuild `loader: { '.lua': 'text' }`,
// and a matching transform in vitest.config.ts).
declare module '*.lua' {
  const source: string
  export default source
}
