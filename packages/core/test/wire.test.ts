// The wire rules every package reads from one place: status per code, the code of a foreign
// status, which failures are worth a retry, and errors rebuilt from answers and frames.
import { describe, expect, it } from 'vitest'
import { TASKCAST_ERROR_CODES, TaskcastError } from '../src/errors.js'
import {
  codeOfHttpStatus,
  HTTP_STATUS_BY_CODE,
  httpStatusOf,
  isRetryableStatus,
  networkError,
  taskcastErrorFromResponse,
  taskcastErrorFromWire,
} from '../src/wire/index.js'

describe('the wire rules', () => {
  it('gives every code a status, and reads each status of the table back as a code of that status', () => {
    expect(Object.keys(HTTP_STATUS_BY_CODE).sort()).toEqual([...TASKCAST_ERROR_CODES].sort())
    for (const code of TASKCAST_ERROR_CODES) expect(httpStatusOf(codeOfHttpStatus(httpStatusOf(code)))).toBe(httpStatusOf(code))
    expect([502, 503, 504].map(codeOfHttpStatus)).toEqual(['STORE_UNAVAILABLE', 'STORE_UNAVAILABLE', 'STORE_UNAVAILABLE'])
    expect([404, 405, 422, 418].map(codeOfHttpStatus)).toEqual(['ROUTE_NOT_FOUND', 'VALIDATION_ERROR', 'VALIDATION_ERROR', 'VALIDATION_ERROR'])
  })

  it('retries timeouts, rate limits and server failures, never other client errors', () => {
    const statuses = [400, 401, 403, 404, 408, 409, 413, 429, 500, 502, 503, 504]
    expect(statuses.filter(isRetryableStatus)).toEqual([408, 429, 500, 502, 503, 504])
  })

  it('marks an error retryable by its code unless told otherwise', () => {
    const retryable = TASKCAST_ERROR_CODES.filter((code) => new TaskcastError(code, 'm').retryable)
    expect(retryable).toEqual(['STORE_UNAVAILABLE', 'INTERNAL'])
    expect(new TaskcastError('INTERNAL', 'm', { retryable: false }).retryable).toBe(false)
    expect(networkError(new Error('ECONNREFUSED'))).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true, details: { network: true } })
  })

  it("rebuilds the server's error from an answer, with its status, and a foreign answer from its status", async () => {
    const ours = await taskcastErrorFromResponse(
      Response.json({ error: { code: 'TASK_NOT_FOUND', message: 'task x not found' } }, { status: 404 }),
    )
    expect([ours.code, ours.message, ours.details, ours.retryable]).toEqual(['TASK_NOT_FOUND', 'task x not found', { httpStatus: 404 }, false])
    const gateway = await taskcastErrorFromResponse(new Response('<html>Bad Gateway</html>', { status: 502 }))
    expect([gateway.code, gateway.retryable]).toEqual(['STORE_UNAVAILABLE', true])
    const limited = await taskcastErrorFromResponse(new Response('slow down', { status: 429 }))
    expect([limited.code, limited.retryable]).toEqual(['VALIDATION_ERROR', true])
  })

  it('reads the data of a taskcast.error frame like an error body', () => {
    const error = taskcastErrorFromWire(
      { code: 'TASK_NOT_FOUND', message: 'task t was deleted', details: { reason: 'deleted' } },
      { code: 'INTERNAL', message: 'fallback', retryable: false },
    )
    expect([error.code, error.message, error.details, error.retryable]).toEqual(['TASK_NOT_FOUND', 'task t was deleted', { reason: 'deleted' }, false])
    expect(taskcastErrorFromWire({ code: 'NO_SUCH_CODE' }, { code: 'INTERNAL', message: 'fallback' }).code).toBe('INTERNAL')
  })
})
