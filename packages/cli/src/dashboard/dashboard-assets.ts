// The dashboard's built files (dist/dashboard/app.js and app.css, from tsup.config.ts), read
// once at start, each with its gzip form and an ETag, and one version for the page to ask for.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { TaskcastError } from '@taskcast/core'

export interface DashboardAsset {
  body: Uint8Array<ArrayBuffer>
  gzipped: Uint8Array<ArrayBuffer>
  contentType: string
  etag: string
}

export interface DashboardAssets {
  script: DashboardAsset
  styles: DashboardAsset
  /** Changes with either file: the page asks for `app.js?v=<version>`, which may be cached for good. */
  version: string
}

async function readAsset(dir: URL, name: string, contentType: string): Promise<DashboardAsset> {
  const url = new URL(name, dir)
  let body: Uint8Array<ArrayBuffer>
  try {
    body = await readFile(url)
  } catch (cause) {
    throw new TaskcastError(
      'INTERNAL',
      `the dashboard is not built: ${fileURLToPath(url)} is missing (build @taskcast/cli, or set dashboard.enabled: false)`,
      { cause },
    )
  }
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22)
  return { body, gzipped: gzipSync(body, { level: 9 }), contentType, etag: `"${hash}"` }
}

/**
 * @throws TaskcastError `INTERNAL` when a file is missing (a tree whose dashboard was not built).
 */
export async function loadDashboardAssets(dir: URL): Promise<DashboardAssets> {
  // One after the other, so that the error of a tree without a build names the same file each time.
  const script = await readAsset(dir, 'app.js', 'text/javascript; charset=utf-8')
  const styles = await readAsset(dir, 'app.css', 'text/css; charset=utf-8')
  const version = createHash('sha256').update(script.etag).update(styles.etag).digest('hex').slice(0, 16)
  return { script, styles, version }
}
