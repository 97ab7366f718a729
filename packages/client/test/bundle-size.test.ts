// What @taskcast/client costs an application: bundled for the browser, minified, gzipped.
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { bundleClient } from './support/bundle-client.js'

const BUDGET_BYTES = 5 * 1024

describe('client bundle', () => {
  it(`bundles for the browser with no Node built-ins and stays under ${BUDGET_BYTES} bytes min+gz`, async () => {
    const { code, inputs } = await bundleClient({ minify: true })
    const gzipped = gzipSync(code, { level: 9 }).length
    console.info(`@taskcast/client: ${Buffer.byteLength(code)} bytes minified, ${gzipped} bytes min+gz (everything exported)`)
    expect(inputs.some((input) => input.startsWith('node:'))).toBe(false)
    expect(gzipped).toBeLessThan(BUDGET_BYTES)
  })
})
