// Serves the dashboard (SPEC §21) in front of the Taskcast app: `GET /dashboard` and its files,
// outside the API's auth (the page is public; the API calls it makes carry the token it asks
// for). Every other request goes to the app unchanged.
import type { DashboardAsset, DashboardAssets } from './dashboard-assets.js'
import { DASHBOARD_CSP, DASHBOARD_ICON, dashboardPage } from './dashboard-page.js'

export type FetchHandler = (request: Request, env: unknown) => Response | Promise<Response>

/** A year: a URL that names the version of a file never changes content. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': DASHBOARD_CSP,
  'cache-control': 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
}

function respond(request: Request, body: string | Uint8Array<ArrayBuffer> | null, status: number, headers: Record<string, string>): Response {
  return new Response(request.method === 'HEAD' ? null : body, { status, headers })
}

function serveAsset(request: Request, asset: DashboardAsset, version: string): Response {
  const url = new URL(request.url)
  const headers: Record<string, string> = {
    'content-type': asset.contentType,
    'cache-control': url.searchParams.get('v') === version ? IMMUTABLE : 'no-cache',
    etag: asset.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  }
  if (request.headers.get('if-none-match') === asset.etag) return respond(request, null, 304, headers)
  if (/\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')) {
    return respond(request, asset.gzipped, 200, { ...headers, 'content-encoding': 'gzip' })
  }
  return respond(request, asset.body, 200, headers)
}

/**
 * `handler` with the dashboard's routes in front of it.
 * @example
 * createAdaptorServer({ fetch: withDashboard(app.fetch, await loadDashboardAssets(dir)) })
 */
export function withDashboard(handler: FetchHandler, assets: DashboardAssets): FetchHandler {
  const page = dashboardPage(assets.version)
  const routes = new Map<string, (request: Request) => Response>([
    ['/dashboard', (request) => respond(request, page, 200, PAGE_HEADERS)],
    // The page's URLs are relative to `/dashboard`: from `/dashboard/` they would miss.
    ['/dashboard/', (request) => respond(request, null, 308, { location: '../dashboard' })],
    ['/dashboard/app.js', (request) => serveAsset(request, assets.script, assets.version)],
    ['/dashboard/app.css', (request) => serveAsset(request, assets.styles, assets.version)],
    ['/dashboard/icon.svg', (request) => respond(request, DASHBOARD_ICON, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' })],
  ])
  return (request, env) => {
    // Most requests are the API's: only a URL that may be the dashboard's is parsed.
    if ((request.method === 'GET' || request.method === 'HEAD') && request.url.includes('/dashboard')) {
      const route = routes.get(new URL(request.url).pathname)
      if (route) return route(request)
    }
    return handler(request, env)
  }
}
