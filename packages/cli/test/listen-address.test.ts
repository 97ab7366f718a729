// Which addresses count as this machine only, and how a bound address is written as a URL.
import { describe, expect, it } from 'vitest'
import { isLoopback, isWildcard, listenUrl } from '../src/listen-address.js'

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])(
    '%s is loopback',
    (host) => expect(isLoopback(host)).toBe(true),
  )

  it.each(['0.0.0.0', '::', '[::]', '192.168.1.5', '10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1', 'fe80::1%eth0', '::2', 'example.com', 'localhost.example.com'])(
    '%s is not',
    (host) => expect(isLoopback(host)).toBe(false),
  )
})

describe('isWildcard', () => {
  it('is true for 0.0.0.0 and :: in any spelling, and false for any single address', () => {
    expect(['0.0.0.0', '::', '0:0:0:0:0:0:0:0'].map(isWildcard)).toEqual([true, true, true])
    expect(['127.0.0.1', '::1', '192.168.1.5', 'localhost'].map(isWildcard)).toEqual([false, false, false, false])
  })
})

describe('listenUrl', () => {
  it('names the bound address, in brackets for IPv6', () => {
    expect(listenUrl('127.0.0.1', 3721)).toBe('http://127.0.0.1:3721')
    expect(listenUrl('0.0.0.0', 3721)).toBe('http://0.0.0.0:3721')
    expect(listenUrl('::', 8080)).toBe('http://[::]:8080')
    expect(listenUrl('::1', 8080)).toBe('http://[::1]:8080')
  })
})
