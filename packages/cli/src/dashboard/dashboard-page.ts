// The dashboard's HTML: a shell that loads the bundle from the same server. Relative URLs, so
// that the page also works behind a proxy that serves the server under a path prefix.

/** No inline script or style, nothing from another origin, no framing. */
export const DASHBOARD_CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The tab's icon: a broadcast mark, so the page needs no request that could fail. */
export const DASHBOARD_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d5bb8"/><circle cx="16" cy="16" r="4" fill="#fff"/><path d="M9 9a10 10 0 0 0 0 14M23 9a10 10 0 0 1 0 14" stroke="#fff" stroke-width="2.5" fill="none" stroke-linecap="round"/></svg>`

export function dashboardPage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Taskcast dashboard</title>
<link rel="icon" href="dashboard/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="dashboard/app.css?v=${version}">
<script type="module" src="dashboard/app.js?v=${version}"></script>
</head>
<body>
<div id="root"></div>
<noscript>The Taskcast dashboard needs JavaScript.</noscript>
</body>
</html>
`
}
