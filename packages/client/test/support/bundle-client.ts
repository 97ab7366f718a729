// Bundles the built package (dist/, what ships) into one ES module, the way an app's bundler
// would: for the browser test page and the size budget. esbuild comes with tsup.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

// esbuild is tsup's dependency, not ours, so its types do not resolve here: what we use of it.
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{
    outputFiles: { text: string }[]
    metafile: { inputs: Record<string, unknown> }
  }>
}

export interface ClientBundle {
  code: string
  /** Every file that went into the bundle, relative to the package. */
  inputs: string[]
}

export async function bundleClient(options: { minify: boolean }): Promise<ClientBundle> {
  const entry = join(packageDir, 'dist', 'index.js')
  if (!existsSync(entry) || statSync(entry).mtimeMs < newestMtime(join(packageDir, 'src'))) {
    throw new Error('packages/client/dist is missing or older than src/: run `npx tsup` in packages/client first')
  }
  const requireFromTsup = createRequire(realpathSync(createRequire(import.meta.url).resolve('tsup')))
  const esbuild = requireFromTsup('esbuild') as Esbuild
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    // The browser platform refuses Node built-ins, so bundling at all proves there are none.
    platform: 'browser',
    target: 'es2022',
    minify: options.minify,
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) }
}
