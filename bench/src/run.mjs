#!/usr/bin/env node
// The benchmark driver: for each scenario, starts a fresh standalone Taskcast server and a fresh
// bare node:http reference (and, with --redis, Taskcast on Redis; with --sqlite, on a SQLite file), drives each over loopback HTTP
// with the same load generator, and prints ours vs reference. Exits 1 when any run breaks
// delivery integrity (lost, duplicated, out-of-order, unexpected frames, missing done) or fails.
//
//   node bench/src/run.mjs [--smoke] [--redis] [--sqlite] [--json] [--only a,b] [--servers taskcast,reference,redis,sqlite] [--out results.json]
import { writeFileSync } from 'node:fs'
import { closeAgents } from './http-client.mjs'
import { deleteKeysWithPrefix } from './redis-cleanup.mjs'
import { buildRows, jsonLines, routesTable, table } from './report.mjs'
import { fanout } from './scenarios/fanout.mjs'
import { idleConnections } from './scenarios/idle.mjs'
import { IDLE_10K_HEARTBEAT_MS, idle10k } from './scenarios/idle-10k.mjs'
import { lifecycle } from './scenarios/lifecycle.mjs'
import { publishBatch, publishSingle } from './scenarios/publish.mjs'
import { producerVsBatch } from './scenarios/producer.mjs'
import { lateJoiners } from './scenarios/late-joiners.mjs'
import { replayAccumulate, replayKeepAll } from './scenarios/replay.mjs'
import { scaleLog } from './scenarios/scale-log.mjs'
import { scaleTasks } from './scenarios/scale-tasks.mjs'
import { globalStream, taskList } from './scenarios/watching.mjs'
import { workers } from './scenarios/workers.mjs'
import { startServer } from './servers.mjs'

const SCENARIOS = [
  { name: 'lifecycle', run: lifecycle },
  { name: 'publish-single', run: publishSingle },
  { name: 'publish-batch', run: publishBatch },
  { name: 'producer', run: producerVsBatch },
  { name: 'fanout-100', run: fanout(100, 500, 2500) },
  { name: 'fanout-1000', run: fanout(1000, 50, 500) },
  { name: 'replay-keep-all', run: replayKeepAll },
  { name: 'replay-accumulate', run: replayAccumulate },
  { name: 'late-joiners', run: lateJoiners },
  // RSS moves in whole heap pages: three fresh servers, the median counts.
  { name: 'idle-connections', run: idleConnections, repeat: 3 },
  { name: 'task-list', run: taskList },
  { name: 'global-stream', run: globalStream },
  { name: 'workers', run: workers },
  { name: 'scale-tasks', run: scaleTasks },
  { name: 'scale-log', run: scaleLog },
  // A short heartbeat, so that a 10 s window holds several pings on each connection.
  { name: 'idle-10k', run: idle10k, server: { heartbeatMs: IDLE_10K_HEARTBEAT_MS } },
]

function parseArgs(argv) {
  const args = { smoke: false, redis: false, sqlite: false, json: false, only: undefined, out: undefined, servers: undefined }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--smoke') args.smoke = true
    else if (arg === '--redis') args.redis = true
    else if (arg === '--sqlite') args.sqlite = true
    else if (arg === '--json') args.json = true
    else if (arg === '--only') args.only = argv[++i]?.split(',')
    else if (arg === '--out') args.out = argv[++i]
    else if (arg === '--servers') args.servers = argv[++i]?.split(',')
    else {
      process.stderr.write(`unknown argument ${arg}\nusage: run.mjs [--smoke] [--redis] [--sqlite] [--json] [--only a,b] [--servers taskcast,reference,redis,sqlite] [--out file]\n`)
      process.exit(2)
    }
  }
  return args
}

const args = parseArgs(process.argv.slice(2))
const redisUrl = process.env.TASKCAST_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const log = (message) => process.stderr.write(`${message}\n`)
const live = new Set()

// Bounded in time whatever happens: a stuck server or client ends the run.
const budgetMs = (args.smoke ? 5 : 60) * 60_000
const watchdog = setTimeout(() => {
  log(`benchmark exceeded its ${budgetMs / 60_000} min budget: stopping`)
  for (const server of live) process.kill(server.pid, 'SIGKILL')
  process.exit(1)
}, budgetMs)
watchdog.unref()

async function runOn(kind, scenario) {
  const name = kind === 'redis' || kind === 'sqlite' ? `taskcast (${kind})` : kind
  const server = await startServer({
    name,
    kind: kind === 'reference' ? 'reference' : 'taskcast',
    redisUrl: kind === 'redis' ? redisUrl : undefined,
    sqlite: kind === 'sqlite',
    ...scenario.server,
  })
  live.add(server)
  try {
    const started = performance.now()
    const result = await scenario.run(server, { smoke: args.smoke })
    log(`  ${name.padEnd(17)} ${((performance.now() - started) / 1000).toFixed(1)} s, integrity ${result.integrity.ok ? 'ok' : 'BROKEN'}`)
    return result
  } catch (error) {
    log(`  ${name}: failed: ${error?.stack ?? error}\n${server.output()}`)
    return { metrics: [], integrity: { ok: false, error: String(error?.message ?? error) } }
  } finally {
    closeAgents()
    await server.stop()
    live.delete(server)
    if (server.keyPrefix) await deleteKeysWithPrefix(redisUrl, server.keyPrefix).catch((e) => log(`redis cleanup: ${e.message}`))
  }
}

/** One result from repeated runs: each figure's median (a failed run leaves the figure out). */
function medianOf(runs) {
  if (runs.length === 1) return runs[0]
  const metrics = (runs.find((r) => r.metrics.length)?.metrics ?? []).map((metric) => {
    const values = runs.map((r) => r.metrics.find((m) => m.key === metric.key)?.value).filter((v) => v !== undefined)
    values.sort((a, b) => a - b)
    return { ...metric, value: values[Math.floor((values.length - 1) / 2)] }
  })
  return { metrics, integrity: { ok: runs.every((r) => r.integrity.ok) } }
}

const selected = SCENARIOS.filter((s) => !args.only || args.only.includes(s.name))
const results = new Map()
const integrityByRun = []
for (const scenario of selected) {
  log(`${scenario.name}${args.smoke ? ' (smoke)' : ''}`)
  const byServer = {}
  const kinds = args.servers ?? ['taskcast', 'reference', ...(args.redis ? ['redis'] : []), ...(args.sqlite ? ['sqlite'] : [])]
  const repeat = args.smoke ? 1 : (scenario.repeat ?? 1)
  for (const kind of kinds) {
    const runs = []
    for (let i = 0; i < repeat; i++) {
      const result = await runOn(kind, scenario)
      runs.push(result)
      integrityByRun.push({ scenario: scenario.name, server: kind, ...result.integrity })
    }
    byServer[kind] = medianOf(runs)
  }
  results.set(scenario.name, byServer)
}

const rows = buildRows(results)
/** The kinds of server that ran, from the flags or `--servers`. */
const ran = new Set(integrityByRun.map((entry) => entry.server))
const integrityOk = integrityByRun.every((entry) => entry.ok)
const targets = rows.flatMap((row) => row.targets)
const summary = { integrityOk, targetsMet: targets.filter((t) => t.met).length, targets: targets.length, smoke: args.smoke, redis: ran.has('redis'), sqlite: ran.has('sqlite') }
if (!args.json) {
  const shown = { redis: ran.has('redis'), sqlite: ran.has('sqlite') }
  process.stdout.write(`\n${table(rows, shown)}\n\n`)
  const routes = routesTable(rows, shown)
  if (routes) process.stdout.write(`new routes\n${routes}\n\n`)
  for (const entry of integrityByRun.filter((e) => !e.ok)) process.stdout.write(`INTEGRITY BROKEN: ${JSON.stringify(entry)}\n`)
  process.stdout.write(`targets met: ${summary.targetsMet}/${summary.targets}; integrity ${integrityOk ? 'ok' : 'BROKEN'}\n\n`)
}
process.stdout.write(`${jsonLines(rows, integrityByRun)}\n${JSON.stringify({ summary })}\n`)
if (args.out) writeFileSync(args.out, JSON.stringify({ rows, integrity: integrityByRun, summary }, null, 2))
process.exit(integrityOk ? 0 : 1)
