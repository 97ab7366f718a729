// The SSE frame text and the code → status table, as pure functions.
import { TASKCAST_ERROR_CODES, TaskcastError, type SSEEnvelope } from '@taskcast/core'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import { doneFrame, eventFrame, HTTP_STATUS_BY_CODE, httpStatusOf, PING_FRAME, toErrorBody, toTaskcastError } from '../src/index.js'

const envelope: SSEEnvelope = {
  filteredIndex: 3,
  rawIndex: 7,
  eventId: '01J0000000000000000000000A',
  taskId: 't',
  type: 'llm.delta',
  timestamp: 1700000000000,
  level: 'info',
  data: { text: 'a\nb' },
  seriesId: 's',
  seriesMode: 'accumulate',
}

describe('SSE frames', () => {
  it('writes an event frame as event, id, one data line of envelope JSON, blank line', () => {
    expect(eventFrame(envelope, true)).toBe(`event: taskcast.event\nid: ${envelope.eventId}\ndata: ${JSON.stringify(envelope)}\n\n`)
    expect(eventFrame(envelope, true).split('\n')).toHaveLength(5)
  })

  it('writes bare data without wrap: strings as text split per line, other values as JSON', () => {
    expect(eventFrame({ ...envelope, data: 'one\r\ntwo\nthree' }, false)).toBe(
      `event: taskcast.event\nid: ${envelope.eventId}\ndata: one\ndata: two\ndata: three\n\n`,
    )
    expect(eventFrame({ ...envelope, data: '' }, false)).toBe(`event: taskcast.event\nid: ${envelope.eventId}\ndata: \n\n`)
    expect(eventFrame({ ...envelope, data: [1, 'x'] }, false)).toBe(`event: taskcast.event\nid: ${envelope.eventId}\ndata: [1,"x"]\n\n`)
    expect(eventFrame({ ...envelope, data: null }, false)).toBe(`event: taskcast.event\nid: ${envelope.eventId}\ndata: null\n\n`)
  })

  it('writes the done frame with the terminal status as reason, and the ping comment', () => {
    expect(doneFrame('completed')).toBe('event: taskcast.done\ndata: {"reason":"completed"}\n\n')
    expect(doneFrame('timeout')).toBe('event: taskcast.done\ndata: {"reason":"timeout"}\n\n')
    expect(PING_FRAME).toBe(': ping\n\n')
  })
})

describe('error table', () => {
  it('maps every code to the status of SPEC §7 and §19', () => {
    expect(Object.keys(HTTP_STATUS_BY_CODE).sort()).toEqual([...TASKCAST_ERROR_CODES].sort())
    expect(TASKCAST_ERROR_CODES.map((code) => [code, httpStatusOf(code)])).toEqual([
      ['TASK_NOT_FOUND', 404],
      ['ROUTE_NOT_FOUND', 404],
      ['DUPLICATE_TASK', 409],
      ['INVALID_TRANSITION', 400],
      ['CONFLICT', 409],
      ['STALE_PRODUCER', 409],
      ['SEQUENCE_GAP', 409],
      ['TASK_NOT_RUNNING', 400],
      ['VALIDATION_ERROR', 400],
      ['UNAUTHORIZED', 401],
      ['FORBIDDEN', 403],
      ['PAYLOAD_TOO_LARGE', 413],
      ['STORE_UNAVAILABLE', 503],
      ['INTERNAL', 500],
    ])
  })

  it("classifies Hono's HTTPException by status", () => {
    const cases: [number, string][] = [
      [400, 'VALIDATION_ERROR'],
      [401, 'UNAUTHORIZED'],
      [403, 'FORBIDDEN'],
      [404, 'ROUTE_NOT_FOUND'],
      [409, 'CONFLICT'],
      [413, 'PAYLOAD_TOO_LARGE'],
      [415, 'VALIDATION_ERROR'],
      [503, 'STORE_UNAVAILABLE'],
      // A gateway error means "could not be served now", as the clients read it too.
      [502, 'STORE_UNAVAILABLE'],
      [504, 'STORE_UNAVAILABLE'],
      [500, 'INTERNAL'],
    ]
    for (const [status, code] of cases) {
      expect([status, toTaskcastError(new HTTPException(status as 400, { message: 'm' })).code]).toEqual([status, code])
    }
  })

  it('hides the message of unexpected errors and keeps details of Taskcast errors', () => {
    expect(toErrorBody(toTaskcastError(new Error('password=hunter2')))).toEqual({ error: { code: 'INTERNAL', message: 'internal server error' } })
    expect(toErrorBody(new TaskcastError('VALIDATION_ERROR', 'bad url', { details: { field: 'url' } }))).toEqual({
      error: { code: 'VALIDATION_ERROR', message: 'bad url', details: { field: 'url' } },
    })
  })
})
