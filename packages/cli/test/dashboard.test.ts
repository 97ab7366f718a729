// The dashboard's routes: the page with its Content-Security-Policy, the built script and
// styles with their caching, every other request passed to the API unchanged; and in the
// binary, dashboard.enabled (file and environment), outside auth, and the banner's URL.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { loadDashboardAssets } from '../src/dashboard/dashboard-assets.js'
import { DASHBOARD_CSP } from '../src/dashboard/dashboard-page.js'
import { withDashboard } from '../src/dashboard/dashboard-route.js'
import { api } from './helpers/http.js'
import { PACKAGE_DIR } from './helpers/paths.js'
import { runTaskcast, spawnTaskcast, tempProject } from './helpers/taskcast-process.js'

const LOOPBACK = ['-p', '0', '--host', '127.0.0.1']
const BUILT = pathToFileURL(join(PACKAGE_DIR, 'dist', 'dashboard', '/'))
const ORIGIN = 'http://127.0.0.1:3721'

interface BadStart {
  name: string
  files?: Record<string, string>
  env?: Record<string, string>
  stderr: string
}

/** The dashboard in front of an API that answers every request it gets with its method and path. */
async function dashboard() {
  const assets = await loadDashboardAssets(BUILT)
  const passed: string[] = []
  const handler = withDashboard((request) => {
    passed.push(`${request.method} ${new URL(request.url).pathname}`)
    return new Response('from the API', { status: 418 })
  }, assets)
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    Promise.resolve(handler(new Request(`${ORIGIN}${path}`, { method, headers }), undefined))
  return { assets, passed, get }
}

describe('the dashboard routes', () => {
  it('GET /dashboard answers the page: HTML, a strict CSP, no inline script, the versioned bundle', async () => {
    const { assets, get } = await dashboard()
    const response = await get('/dashboard')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    expect(response.headers.get('content-security-policy')).toBe(DASHBOARD_CSP)
    expect(response.headers.get('cache-control')).toBe('no-cache')
    const html = await response.text()
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/)
    expect([...html.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag)).toEqual([
      `<script type="module" src="dashboard/app.js?v=${assets.version}">`,
    ])
    expect(html).toContain(`<link rel="stylesheet" href="dashboard/app.css?v=${assets.version}">`)
    expect(html).not.toMatch(/<style|\sstyle=|https?:\/\//i)
  })

  it('GET /dashboard/app.js answers the built bundle as JavaScript, cached for good under its version', async () => {
    const { assets, get } = await dashboard()
    const built = await readFile(new URL('app.js', BUILT))
    const plain = await get('/dashboard/app.js')
    expect(plain.status).toBe(200)
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(plain.headers.get('cache-control')).toBe('no-cache')
    expect(Buffer.from(await plain.arrayBuffer()).equals(built)).toBe(true)

    const versioned = await get(`/dashboard/app.js?v=${assets.version}`, { 'accept-encoding': 'gzip, deflate, br' })
    expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(versioned.headers.get('content-encoding')).toBe('gzip')
    expect(versioned.headers.get('vary')).toBe('accept-encoding')
    expect(gunzipSync(Buffer.from(await versioned.arrayBuffer())).equals(built)).toBe(true)

    const etag = plain.headers.get('etag')!
    expect(etag).toBe(assets.script.etag)
    const revalidated = await get('/dashboard/app.js', { 'if-none-match': etag })
    expect(revalidated.status).toBe(304)
    expect(await revalidated.text()).toBe('')
  })

  it('keeps the bundle under 90 KB gzipped, React included (the README gives its size)', async () => {
    const { assets } = await dashboard()
    expect(assets.script.gzipped.length).toBeLessThan(90 * 1024)
    expect(assets.styles.gzipped.length).toBeLessThan(4 * 1024)
  })

  it('answers the styles as CSS, HEAD without a body, and /dashboard/ with a redirect to /dashboard', async () => {
    const { get } = await dashboard()
    const styles = await get('/dashboard/app.css')
    expect(styles.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(await styles.text()).toBe(await readFile(new URL('app.css', BUILT), 'utf8'))
    const head = await get('/dashboard', {}, 'HEAD')
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([200, 'text/html; charset=utf-8', ''])
    const slash = await get('/dashboard/')
    expect([slash.status, slash.headers.get('location')]).toEqual([308, '../dashboard'])
  })

  it('passes every other request to the API unchanged', async () => {
    const { passed, get } = await dashboard()
    for (const [path, method] of [['/tasks', 'GET'], ['/dashboard', 'POST'], ['/dashboard/other.js', 'GET'], ['/tasks/dashboard', 'GET']] as const) {
      expect((await get(path, {}, method)).status).toBe(418)
    }
    expect(passed).toEqual(['GET /tasks', 'POST /dashboard', 'GET /dashboard/other.js', 'GET /tasks/dashboard'])
  })

  it('refuses to start without a built dashboard, naming the missing file', async () => {
    await expect(loadDashboardAssets(pathToFileURL(join(PACKAGE_DIR, 'no-such-dir', '/')))).rejects.toMatchObject({
      code: 'INTERNAL',
      message: `the dashboard is not built: ${join(PACKAGE_DIR, 'no-such-dir', 'app.js')} is missing (build @taskcast/cli, or set dashboard.enabled: false)`,
    })
  })
})

describe('the dashboard in the standalone server', () => {
  it('is served by default, outside auth, and the banner names its URL', async () => {
    const proc = spawnTaskcast({ args: LOOPBACK, env: { TASKCAST_JWT_SECRET: 'a-secret-of-at-least-32-bytes-length!' } })
    const url = await proc.listening
    expect(proc.stdout()).toContain(` config=none dashboard=${url}/dashboard\n`)
    const page = await fetch(`${url}/dashboard`)
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8'])
    const script = await fetch(`${url}/dashboard/app.js`)
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8'])
    // The API it calls keeps its auth.
    expect((await api(url, 'GET', '/tasks')).status).toBe(401)
    expect((await proc.stop()).code).toBe(0)
  })

  it('is a 404 like any unknown route with dashboard.enabled: false, and not in the banner', async () => {
    const dir = await tempProject({ 'taskcast.config.yaml': 'dashboard:\n  enabled: false\n' })
    const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK })
    const url = await proc.listening
    for (const path of ['/dashboard', '/dashboard/app.js']) {
      expect(await api(url, 'GET', path)).toEqual({
        status: 404,
        body: { error: { code: 'ROUTE_NOT_FOUND', message: `no route for GET ${path}` } },
      })
    }
    expect(proc.stdout()).not.toContain('dashboard=')
    expect((await proc.stop()).code).toBe(0)
  })

  it('lets TASKCAST_DASHBOARD_ENABLED override the file', async () => {
    const dir = await tempProject({ 'taskcast.config.yaml': 'dashboard:\n  enabled: true\n' })
    const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK, env: { TASKCAST_DASHBOARD_ENABLED: 'false' } })
    const url = await proc.listening
    expect((await api(url, 'GET', '/dashboard')).status).toBe(404)
    expect((await proc.stop()).code).toBe(0)
  })

  it.each<BadStart>([
    {
      name: 'a dashboard.enabled that is no boolean',
      files: { 'taskcast.config.yaml': 'dashboard:\n  enabled: often\n' },
      stderr: 'taskcast.config.yaml: dashboard.enabled must be true or false (got "often")',
    },
    {
      name: 'an unknown dashboard key',
      files: { 'taskcast.config.yaml': 'dashboard:\n  path: /ui\n' },
      stderr: 'taskcast.config.yaml: dashboard.path is not a known key (known here: enabled)',
    },
    {
      name: 'a bad TASKCAST_DASHBOARD_ENABLED',
      env: { TASKCAST_DASHBOARD_ENABLED: 'on' },
      stderr: 'TASKCAST_DASHBOARD_ENABLED must be true or false (got "on")',
    },
  ])('exits 1 with one line for $name', async ({ files, env = {}, stderr }) => {
    const dir = await tempProject(files)
    const result = await runTaskcast({ cwd: dir, args: LOOPBACK, env })
    expect(result.stderr).toBe(`taskcast: ${stderr}\n`)
    expect(result.code).toBe(1)
  })
})
