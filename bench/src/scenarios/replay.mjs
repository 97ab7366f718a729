// Late-join replay: a finished task with 10,000 keep-all events, and one with a 10,000-delta
// accumulate series, each read from the start by a late subscriber (several times; the median
// counts). The first read, and the first read of a second task once the code is warm, are shown
// apart: a server may keep what it serialized for the next late joiner. The accumulate task must replay as one snapshot: running status, the snapshot at the
// last delta's index, the completed status, then taskcast.done.
import { call } from '../http-client.mjs'
import { allEnded, SseSubscriber, sumIntegrity } from '../sse-client.mjs'
import { complete, cpuWindow, createRunningTask, mergeIntegrity, percentile, taskId } from './common.mjs'

const EVENTS = 10_000
const BATCH = 1000

async function fill(base, id, make) {
  for (let from = 0; from < EVENTS; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, EVENTS - from) }, (_, k) => make(from + k))
    await call(base, 'POST', `/tasks/${id}/events`, batch, 201, { sockets: 1 })
  }
  await complete(base, id)
}

async function timeReplays(server, id, expected, runs, inspect) {
  const times = []
  const checks = []
  const window = cpuWindow(server.pid)
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const subscriber = new SseSubscriber(server.base, `/tasks/${id}/events`, { expected, onFrameText: inspect })
    await subscriber.open()
    await allEnded([subscriber], 60_000)
    times.push(performance.now() - started)
    checks.push(subscriber)
  }
  const { cpuSeconds } = window()
  return { times, cpuMs: (cpuSeconds * 1000) / runs, integrity: sumIntegrity(checks), frames: checks[0].received }
}

export async function replayKeepAll(server, { smoke }) {
  const runs = smoke ? 3 : 9
  const make = (i) => ({ type: 'llm.delta', data: { text: 'The quick brown fox jumps over the lazy dog. ', i } })
  const id = await createRunningTask(server.base, taskId('replay'))
  await fill(server.base, id, make)
  const other = await createRunningTask(server.base, taskId('replay-other'))
  await fill(server.base, other, make)
  const expected = { from: 0, to: EVENTS + 1 }
  // The first read warms the JIT (and whatever the server caches); it is shown, not counted.
  const first = await timeReplays(server, id, expected, 1)
  // A task never read before, with warm code: what a server that caches nothing would take.
  const fresh = await timeReplays(server, other, expected, 1)
  const result = await timeReplays(server, id, expected, runs)
  return {
    integrity: mergeIntegrity(first.integrity, fresh.integrity, result.integrity),
    metrics: [
      { key: 'first_replay_ms', label: `first replay of ${EVENTS} events`, value: first.times[0], unit: 'ms', better: 'lower' },
      { key: 'fresh_replay_ms', label: 'replay of another task, read for the first time', value: fresh.times[0], unit: 'ms', better: 'lower' },
      { key: 'replay_ms', label: `replay of ${EVENTS} events (median)`, value: percentile(result.times, 50), unit: 'ms', better: 'lower' },
      { key: 'cpu_ms_per_replay', label: 'server CPU per replay', value: result.cpuMs, unit: 'ms', better: 'lower' },
    ],
  }
}

export async function replayAccumulate(server, { smoke }) {
  const runs = smoke ? 3 : 9
  const id = await createRunningTask(server.base, taskId('acc'))
  await fill(server.base, id, () => ({ type: 'llm.delta', data: { delta: 'tok ' }, seriesId: 'answer', seriesMode: 'accumulate' }))
  let snapshotOk = true
  const inspect = (text) => {
    if (!text.includes(`"rawIndex":${EVENTS},`)) return
    const expectedText = `"delta":"${'tok '.repeat(EVENTS)}"`
    if (!text.includes('"seriesSnapshot":true') || !text.includes(expectedText)) snapshotOk = false
  }
  const expected = [0, EVENTS, EVENTS + 1]
  const first = await timeReplays(server, id, expected, 1, inspect)
  const result = await timeReplays(server, id, expected, runs, inspect)
  const integrity = mergeIntegrity(first.integrity, result.integrity, { unexpected: snapshotOk ? 0 : 1 })
  return {
    integrity,
    metrics: [
      { key: 'replay_ms', label: `replay of a ${EVENTS}-delta series (median)`, value: percentile(result.times, 50), unit: 'ms', better: 'lower' },
      { key: 'frames', label: 'event frames received', value: result.frames, unit: '', better: 'lower' },
    ],
  }
}
