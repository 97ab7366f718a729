// Runs fuzz cases against a server and judges every answer: no 5xx, no reset or hang, the one
// error body with a code of the closed set and its status, and what each case's expectation says.
import { TASKCAST_ERROR_CODES, type TaskcastErrorCode } from '@taskcast/core'
import { HTTP_STATUS_BY_CODE } from '@taskcast/core/wire'
import type { Category, FuzzCase } from './fuzz-cases.js'
import type { FuzzClient, Outcome } from './fuzz-client.js'

/** The status of each code: a 4xx must carry the code of its status (the table itself is pinned by the server's tests). */
const STATUS_OF = HTTP_STATUS_BY_CODE

export interface Finding {
  fuzzCase: FuzzCase
  outcome: Outcome
  problem: string
}

export interface FuzzReport {
  cases: FuzzCase[]
  outcomes: Outcome[]
  ms: number
  /** Status code (or `no response`) → count. */
  byStatus: Map<string, number>
  byCategory: Map<Category, number>
  serverErrors: Finding[]
  noResponse: Finding[]
  badErrorBody: Finding[]
  unexpected: Finding[]
}

/** Sends the cases, `concurrency` at a time, in index order of start. */
export async function runCases(client: FuzzClient, cases: readonly FuzzCase[], concurrency = 12): Promise<FuzzReport> {
  const started = performance.now()
  const outcomes: Outcome[] = new Array(cases.length)
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const i = next++
        outcomes[i] = await client.send(cases[i]!.request)
      }
    }),
  )
  return judge([...cases], outcomes, performance.now() - started)
}

function judge(cases: FuzzCase[], outcomes: Outcome[], ms: number): FuzzReport {
  const report: FuzzReport = {
    cases,
    outcomes,
    ms,
    byStatus: new Map(),
    byCategory: new Map(),
    serverErrors: [],
    noResponse: [],
    badErrorBody: [],
    unexpected: [],
  }
  cases.forEach((fuzzCase, i) => {
    const outcome = outcomes[i]!
    const key = outcome.status === undefined ? 'no response' : String(outcome.status)
    report.byStatus.set(key, (report.byStatus.get(key) ?? 0) + 1)
    report.byCategory.set(fuzzCase.category, (report.byCategory.get(fuzzCase.category) ?? 0) + 1)
    const finding = (problem: string): Finding => ({ fuzzCase, outcome, problem })
    const { status } = outcome
    if (status === undefined) {
      report.noResponse.push(finding(outcome.error ?? 'no response'))
      return
    }
    if (outcome.error) report.noResponse.push(finding(outcome.error))
    if (status >= 500) {
      report.serverErrors.push(finding(`${status} ${errorCode(outcome) ?? ''}`.trim()))
      return
    }
    const head = fuzzCase.request.method === 'HEAD'
    const { expect } = fuzzCase
    if (expect.kind === 'transport') {
      if (status < 400) report.unexpected.push(finding(`${status}: Node's parser should have refused it`))
      return
    }
    if (status >= 400 && !head) {
      const problem = errorBodyProblem(outcome)
      if (problem) report.badErrorBody.push(finding(problem))
    }
    const code = errorCode(outcome)
    if (expect.kind === 'reject') {
      if (status < 400) report.unexpected.push(finding(`accepted (${status}) a request the contract refuses`))
      else if (expect.codes && !head && (code === undefined || !expect.codes.includes(code as TaskcastErrorCode))) {
        report.unexpected.push(finding(`${status} ${code}, expected one of ${expect.codes.join(', ')}`))
      }
    }
    if (expect.kind === 'success' && (status < 200 || status > 299)) report.unexpected.push(finding(`${status} ${code ?? ''}, expected 2xx`))
    if (fuzzCase.request.sse && status === 200 && !head) {
      const type = String(outcome.headers['content-type'] ?? '')
      if (!type.startsWith('text/event-stream')) report.unexpected.push(finding(`SSE 200 with Content-Type ${type}`))
      else if (!outcome.body.startsWith('retry:')) report.unexpected.push(finding(`SSE stream starts with ${JSON.stringify(outcome.body.slice(0, 60))}`))
    }
  })
  return report
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

function errorCode(outcome: Outcome): string | undefined {
  const body = parse(outcome.body) as { error?: { code?: unknown } } | undefined
  return typeof body?.error?.code === 'string' ? body.error.code : undefined
}

/** What is wrong with a 4xx body, or undefined when it is `{ error: { code, message, details? } }` with the code of its status. */
function errorBodyProblem(outcome: Outcome): string | undefined {
  const type = String(outcome.headers['content-type'] ?? '')
  if (!type.startsWith('application/json')) return `Content-Type ${JSON.stringify(type)}, body ${JSON.stringify(outcome.body.slice(0, 80))}`
  const body = parse(outcome.body)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return `body is not an object: ${outcome.body.slice(0, 80)}`
  const keys = Object.keys(body)
  if (keys.length !== 1 || keys[0] !== 'error') return `top-level keys ${keys.join(',')}`
  const error = (body as { error: unknown }).error
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return 'error is not an object'
  const { code, message, details, ...rest } = error as Record<string, unknown>
  if (Object.keys(rest).length > 0) return `unknown keys in error: ${Object.keys(rest).join(',')}`
  if (typeof code !== 'string' || !(TASKCAST_ERROR_CODES as readonly string[]).includes(code)) return `code ${JSON.stringify(code)} is not in the closed set`
  if (typeof message !== 'string' || message.length === 0) return 'message is not a non-empty string'
  if (details !== undefined && (typeof details !== 'object' || details === null || Array.isArray(details))) return 'details is not an object'
  if (STATUS_OF[code as TaskcastErrorCode] !== outcome.status) return `code ${code} with status ${outcome.status}`
  return undefined
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`
}

/** One line per finding, enough to reproduce it: seed and index, then the request and the answer. */
export function describeFinding({ fuzzCase, outcome, problem }: Finding): string {
  const { request } = fuzzCase
  const body = request.body === undefined ? '<no body>' : JSON.stringify(shorten(String(request.body), 160))
  const headers = request.headers && Object.keys(request.headers).length > 0 ? ` headers=${shorten(JSON.stringify(request.headers), 160)}` : ''
  const flags = [request.chunked && `chunked(${request.chunked})`, request.sse && 'sse', request.fresh && 'fresh'].filter(Boolean).join(',')
  return (
    `FUZZ_SEED=${fuzzCase.seed} FUZZ_CASE=${fuzzCase.index} [${fuzzCase.category}] ${request.method} ${shorten(request.path, 200)}` +
    `${headers}${flags ? ` (${flags})` : ''} body=${body} → ${outcome.status ?? outcome.error} ${errorCode(outcome) ?? ''}: ${problem}`
  )
}

/** Findings as one message, the first `max` in full. */
export function listFindings(findings: readonly Finding[], max = 40): string {
  const lines = findings.slice(0, max).map(describeFinding)
  if (findings.length > max) lines.push(`… and ${findings.length - max} more`)
  return `${findings.length} finding(s):\n${lines.join('\n')}`
}

/** `fuzz memory: 3000 requests in 21.3 s: 200×310 201×95 400×2212 …` */
export function statusLine(store: string, report: FuzzReport): string {
  const counts = [...report.byStatus].sort(([a], [b]) => (Number(a) || 1e9) - (Number(b) || 1e9)).map(([status, n]) => `${status}×${n}`)
  return `fuzz ${store}: ${report.cases.length} requests in ${(report.ms / 1000).toFixed(1)} s: ${counts.join(' ')}`
}

export function categoryLine(store: string, report: FuzzReport): string {
  const counts = [...report.byCategory].sort(([, a], [, b]) => b - a).map(([category, n]) => `${category}×${n}`)
  return `fuzz ${store} categories: ${counts.join(' ')}`
}
