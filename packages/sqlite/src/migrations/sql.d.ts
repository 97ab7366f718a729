// Migration SQL is inlined as text at build time: tsup/esbuild `loader: { '.sql': 'text' }`
// (esbuild drops the `?raw` suffix when resolving), and Vite's own `?raw` under vitest.
declare module '*.sql?raw' {
  const source: string
  export default source
}
