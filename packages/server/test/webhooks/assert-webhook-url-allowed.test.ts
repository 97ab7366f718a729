import { describe, expect, it } from 'vitest'
import { TaskcastError } from '@taskcast/core'
import { assertWebhookUrlAllowed, type WebhookOptions } from '../../src/webhooks/index.js'

// A resolver with fixed answers, standing in for public DNS which the test machine may not reach.
const zone: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'split.example.com': ['93.184.216.34', '10.0.0.7'],
  'rebind.example.com': ['::ffff:169.254.169.254'],
  'internal.example.com': ['192.168.10.20'],
}
const lookup = async (host: string) => {
  const answer = zone[host]
  if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
  return answer
}

async function outcome(url: string, options: WebhookOptions = {}): Promise<string> {
  try {
    await assertWebhookUrlAllowed(url, { lookup, ...options })
    return 'allowed'
  } catch (error) {
    if (!TaskcastError.isInstance(error)) throw error
    expect(error.code).toBe('VALIDATION_ERROR')
    return String(error.details?.reason)
  }
}

const refusedUrls: [string, string][] = [
  ['http://127.0.0.1/hook', 'loopback'],
  ['http://127.0.0.1:8080/hook', 'loopback'],
  ['http://169.254.169.254/latest/meta-data/', 'link-local'],
  ['http://[::1]/', 'loopback'],
  ['http://[::ffff:127.0.0.1]/', 'loopback'],
  ['http://[::ffff:7f00:1]/', 'loopback'],
  ['http://[0:0:0:0:0:ffff:a9fe:a9fe]/', 'link-local'],
  ['http://10.1.2.3/', 'private'],
  ['http://172.20.0.1/', 'private'],
  ['https://192.168.0.10/', 'private'],
  ['http://100.64.1.1/', 'private'],
  ['http://[fd00::1]/', 'unique-local'],
  ['http://[fe80::1]/', 'link-local'],
  ['http://0.0.0.0:3721/', 'unspecified'],
  ['http://[::]/', 'unspecified'],
  ['http://224.0.0.1/', 'multicast'],
  ['http://255.255.255.255/', 'broadcast'],
  // numeric spellings the WHATWG parser normalises to 127.0.0.1
  ['http://2130706433/', 'loopback'],
  ['http://0x7f.1/', 'loopback'],
  ['http://0x7f000001/', 'loopback'],
  ['http://017700000001/', 'loopback'],
  ['http://127.1/', 'loopback'],
  ['http://0177.0.0.1/', 'loopback'],
  ['http://LOCALHOST./', 'loopback'],
  // names resolving to refused addresses, even when only one of several is
  ['http://internal.example.com/', 'private'],
  ['http://split.example.com/', 'private'],
  ['http://rebind.example.com/', 'link-local'],
  ['http://nowhere.example.com/', 'unresolvable'],
  // not an http(s) URL at all
  ['ftp://hooks.example.com/', 'protocol'],
  ['file:///etc/passwd', 'protocol'],
  ['not a url', 'invalid'],
]

describe('assertWebhookUrlAllowed', () => {
  it.each(refusedUrls)('refuses %s (%s)', async (url, reason) => {
    // localhost goes through the system resolver: it must come back as loopback without any fixture.
    const options = url.includes('LOCALHOST') ? { lookup: undefined } : {}
    expect(await outcome(url, options)).toBe(reason)
  })

  it('refuses localhost through the real system resolver', async () => {
    expect(await outcome('http://localhost:3000/hook', { lookup: undefined })).toBe('loopback')
  })

  it('allows public addresses and names that resolve only to public addresses', async () => {
    expect(await outcome('https://hooks.example.com/taskcast')).toBe('allowed')
    expect(await outcome('http://93.184.216.34/')).toBe('allowed')
    expect(await outcome('http://[2606:4700:4700::1111]/')).toBe('allowed')
  })

  it('allows everything private with allowPrivateNetworks, without resolving', async () => {
    const options = { allowPrivateNetworks: true, lookup: () => Promise.reject(new Error('must not resolve')) }
    const results = []
    const urls = ['http://127.0.0.1/', 'http://[::1]/', 'http://169.254.169.254/', 'http://localhost/', 'http://2130706433/']
    for (const url of urls) {
      results.push(await outcome(url, options))
    }
    expect(results).toEqual(Array(5).fill('allowed'))
    expect(await outcome('ftp://127.0.0.1/', options)).toBe('protocol')
  })

  it('allows exactly the hosts on the allowlist, case-insensitively and whatever the port', async () => {
    const options = { allowedHosts: ['Internal.Example.com', '127.0.0.1', '[::1]'] }
    expect([
      await outcome('http://internal.example.com:8443/x', options),
      await outcome('http://127.0.0.1:9000/', options),
      await outcome('http://[::1]/', options),
      await outcome('http://2130706433/', options), // the parser makes it 127.0.0.1, which is listed
      await outcome('http://127.0.0.2/', options),
      await outcome('http://sub.internal.example.com/', options),
      await outcome('http://localhost/', { ...options, lookup: undefined }),
    ]).toEqual(['allowed', 'allowed', 'allowed', 'allowed', 'loopback', 'unresolvable', 'loopback'])
  })

  it('names the host and the kind of address, not the resolved IPs', async () => {
    const error = await assertWebhookUrlAllowed('http://split.example.com/', { lookup }).catch((e: unknown) => e)
    expect(TaskcastError.isInstance(error) && error.message).toMatch(/split\.example\.com.*private address/)
    expect((error as Error).message).not.toContain('10.0.0.7')
  })
})
