// SSRF guard for webhooks supplied by API callers (SPEC §10): the URL's host, after DNS resolution,
// must be a public address unless the operator allows private networks or lists the host. At send
// time the addresses checked are the ones connected to (see send-attempt.ts): no second lookup.
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
  await checkWebhookUrl(url, options, { resolveAllowed: false })
}

/**
 * The check of {@link assertWebhookUrlAllowed}, giving back the addresses it resolved (and
 * checked), so that the connection goes to them and to nothing a second resolution could answer.
 * Undefined when nothing was resolved (an allowed host, unless `resolveAllowed`).
 *
 * With `resolveAllowed`, a host that needs no check is resolved all the same (with
 * `options.lookup`), so that the connection still uses the one answer; a failure to resolve it
 * is thrown as the resolver threw it, not as a refusal.
 *
 * @throws TaskcastError `VALIDATION_ERROR` when the URL is refused
 */
export async function checkWebhookUrl(
  url: string,
  options: WebhookOptions,
  { resolveAllowed }: { resolveAllowed: boolean },
): Promise<string[] | undefined> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    refuse('webhook url must be an absolute URL', { reason: 'invalid' })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    refuse('webhook url must use http or https', { reason: 'protocol' })
  }
  const host = normalizeHost(parsed.hostname)
  const literal = isIP(host) !== 0
  const resolve = options.lookup ?? systemLookup
  if (options.allowPrivateNetworks === true || options.allowedHosts?.some((allowed) => normalizeHost(allowed) === host)) {
    if (!resolveAllowed) return undefined
    return literal ? [host] : await resolve(host)
  }

  let addresses: string[]
  if (literal) {
    addresses = [host]
  } else {
    try {
      addresses = await resolve(host)
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
    const what = literal ? `is a ${cls} address` : `resolves to a ${cls} address`
    refuse(
      `webhook host "${host}" ${what}; per-task webhooks may only target public addresses ` +
        '(the server operator can set webhook.allowPrivateNetworks or webhook.allowedHosts)',
      { reason: cls },
    )
  }
  return addresses
}
