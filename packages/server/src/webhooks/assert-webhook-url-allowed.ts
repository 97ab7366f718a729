// SSRF guard for webhooks supplied by API callers (SPEC §10): the URL's host, after DNS resolution,
// must be a public address unless the operator allows private networks or lists the host.
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { TaskcastError } from '@taskcast/core'
import { classifyIp } from './ip-ranges.js'
import type { WebhookOptions } from './webhook-types.js'

function refuse(message: string, details: Record<string, unknown>): never {
  throw new TaskcastError('VALIDATION_ERROR', message, { details: { field: 'url', ...details } })
}

/** Lower case, no brackets around IPv6, no trailing root dot: the form allowlists are compared in. */
function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
}

async function systemLookup(hostname: string): Promise<string[]> {
  const records = await lookup(hostname, { all: true, verbatim: true })
  return records.map((record) => record.address)
}

/**
 * Refuses a per-task webhook URL whose host is, or resolves to, any non-public address
 * (loopback, unspecified, link-local, private, CGNAT, unique-local, multicast, broadcast, reserved,
 * or an IPv6 form embedding one of those). Numeric IPv4 spellings such as `http://2130706433/` or
 * `http://0x7f.1/` are normalised by the WHATWG URL parser before the check.
 *
 * Passes without resolving when `options.allowPrivateNetworks` is set or the host is in
 * `options.allowedHosts` (exact, case-insensitive host match; ports are not part of it).
 * The message names the host and the kind of address, never the resolved IPs.
 *
 * @throws TaskcastError `VALIDATION_ERROR`
 * @example
 * ```ts
 * for (const hook of input.webhooks ?? []) await assertWebhookUrlAllowed(hook.url, options.webhooks ?? {})
 * ```
 */
export async function assertWebhookUrlAllowed(url: string, options: WebhookOptions): Promise<void> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    refuse('webhook url must be an absolute URL', { reason: 'invalid' })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    refuse('webhook url must use http or https', { reason: 'protocol' })
  }
  if (options.allowPrivateNetworks === true) return
  const host = normalizeHost(parsed.hostname)
  if (options.allowedHosts?.some((allowed) => normalizeHost(allowed) === host)) return

  let addresses: string[]
  if (isIP(host) !== 0) {
    addresses = [host]
  } else {
    try {
      addresses = await (options.lookup ?? systemLookup)(host)
    } catch (cause) {
      throw new TaskcastError('VALIDATION_ERROR', `webhook host "${host}" cannot be resolved`, {
        cause,
        details: { field: 'url', reason: 'unresolvable' },
      })
    }
    if (addresses.length === 0) refuse(`webhook host "${host}" cannot be resolved`, { reason: 'unresolvable' })
  }
  for (const address of addresses) {
    const cls = classifyIp(address) ?? 'reserved'
    if (cls === 'public') continue
    const what = isIP(host) !== 0 ? `is a ${cls} address` : `resolves to a ${cls} address`
    refuse(
      `webhook host "${host}" ${what}; per-task webhooks may only target public addresses ` +
        '(the server operator can set webhook.allowPrivateNetworks or webhook.allowedHosts)',
      { reason: cls },
    )
  }
}
