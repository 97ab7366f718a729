// Seeded fuzzing over loopback HTTP: a real `taskcast` process (in memory, then on Redis) gets
// thousands of malformed and hostile requests on every route. None may be answered 5xx, left
// unanswered or crash the process; every 4xx carries the one error body with a code of the closed
// set; what the contract refuses is refused; and the known tasks set up first read back
// byte-identical afterwards (task, history, SSE replay). A finding prints FUZZ_SEED and FUZZ_CASE,
// which rebuild exactly that request: `FUZZ_SEED=… FUZZ_CASE=… npx vitest run e2e/test/fuzz-http.test.ts`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { generateCase, type FuzzCase } from './support/fuzz-cases.js'
import { categoryLine, describeFinding, listFindings, runCases, statusLine, type FuzzReport } from './support/fuzz-check.js'
import { FuzzClient } from './support/fuzz-client.js'
import { buildWorld, differences, snapshot, type World } from './support/fuzz-world.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { TaskcastServer, type TaskcastConfig } from './support/taskcast-process.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_201)
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000)
/** Only this case (with the same setup and checks), to reproduce a finding. */
const ONLY = process.env.FUZZ_CASE === undefined ? undefined : Number(process.env.FUZZ_CASE)

function fuzzSuite(store: string, config: () => TaskcastConfig, cleanUp: () => Promise<void> = async () => {}): void {
  describe(`fuzz over loopback HTTP, ${store}`, () => {
    let server: TaskcastServer
    let client: FuzzClient
    let world: World
    let before: Map<string, string>
    let report: FuzzReport

    beforeAll(async () => {
      server = await TaskcastServer.start(`fuzz-${store}`, config())
      client = new FuzzClient(server.url)
      world = await buildWorld(client)
      before = await snapshot(client)
      const indexes = ONLY === undefined ? Array.from({ length: COUNT }, (_, i) => i) : [ONLY]
      const cases: FuzzCase[] = indexes.map((index) => generateCase(SEED, index, world))
      report = await runCases(client, cases)
      console.log(`${statusLine(store, report)}\n${categoryLine(store, report)}`)
    }, 180_000)

    afterAll(async () => {
      client?.close()
      await server?.kill()
      await cleanUp()
    })

    it('answers no request with a 5xx', () => {
      expect(report.serverErrors.map(describeFinding), listFindings(report.serverErrors)).toEqual([])
    })

    it('answers every request: no reset, no cut response, no hang', () => {
      expect(report.noResponse.map(describeFinding), listFindings(report.noResponse)).toEqual([])
    })

    it('gives every 4xx the error body, with a code of the closed set and the status of that code', () => {
      expect(report.badErrorBody.map(describeFinding), listFindings(report.badErrorBody)).toEqual([])
    })

    it('refuses what the contract refuses, with the code it names, and serves what must be served', () => {
      expect(report.unexpected.map(describeFinding), listFindings(report.unexpected)).toEqual([])
    })

    it('creates nothing from a refused create', async () => {
      const named = report.cases.filter((fuzzCase) => fuzzCase.mustNotExist !== undefined)
      const found: string[] = []
      for (const fuzzCase of named) {
        const outcome = await client.send({ method: 'GET', path: `/tasks/${fuzzCase.mustNotExist}` })
        if (outcome.status !== 404) found.push(`FUZZ_CASE=${fuzzCase.index} [${fuzzCase.category}] created ${fuzzCase.mustNotExist} (GET → ${outcome.status})`)
      }
      expect(found).toEqual([])
    })

    it('leaves the known tasks byte-identical: task, history, SSE replay', async () => {
      expect(differences(before, await snapshot(client))).toEqual([])
    })

    it('still answers /health, and exits 0 on SIGTERM', async () => {
      expect(server.alive, server.log.slice(-4000)).toBe(true)
      const health = await client.send({ method: 'GET', path: '/health' })
      expect(health.status).toBe(200)
      client.close()
      expect(await server.stop(), server.log.slice(-4000)).toEqual({ code: 0, signal: null })
    })
  })
}

// No adapters: the CLI's default, everything in memory.
fuzzSuite('memory', () => ({}) as TaskcastConfig)

if (await servicesAvailable('fuzz over loopback HTTP on Redis', ['redis'])) {
  const keyPrefix = keyPrefixFor('fuzz-http')
  fuzzSuite('redis', () => sharedConfig({ redisUrl: REDIS_URL, keyPrefix }), () => deleteKeysUnder(keyPrefix))
}
