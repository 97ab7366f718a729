// Bundles src/app.jsx (React, @ai-sdk/react, @taskcast/ai-sdk) into dist/app.js for the browser.
//   node build.mjs
import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const outfile = fileURLToPath(new URL('./dist/app.js', import.meta.url))

await build({
  entryPoints: [fileURLToPath(new URL('./src/app.jsx', import.meta.url))],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  minify: true,
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
})

const { size } = await stat(outfile)
console.log(`built dist/app.js (${Math.round(size / 1024)} KB)`)
