// Browsers on another origin: preflight and CORS headers, only when the option is given.
import { describe, expect, it } from 'vitest'
import { createTaskcastApp } from '../src/index.js'
import { makeEngine } from './harness.js'

describe('cors option', () => {
  it('answers a preflight for an allowed origin, allowing the Authorization header', async () => {
    const app = createTaskcastApp({ engine: makeEngine().engine, cors: { origin: ['https://app.example'] } })
    const res = await app.request('/tasks/t1/events', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
    await app.close()
  })

  it('adds the allow-origin header to responses, errors included', async () => {
    const app = createTaskcastApp({ engine: makeEngine().engine, cors: { origin: '*' } })
    const res = await app.request('/tasks/missing', { headers: { Origin: 'https://other.example' } })
    expect(res.status).toBe(404)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    await app.close()
  })

  it('sends no CORS headers without the option', async () => {
    const app = createTaskcastApp({ engine: makeEngine().engine })
    const res = await app.request('/health', { headers: { Origin: 'https://app.example' } })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    await app.close()
  })
})
