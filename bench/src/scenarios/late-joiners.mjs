// Late joiners that do not read: 1,000 subscribers connect at once to a finished task whose log
// holds 10 MiB of events and then read nothing for a while. What the server grows by while they
// sit there (RSS and JS heap between two forced GCs) is what a crowd of slow or stuck browsers
// costs; a server that writes each reader the whole log at once grows by a copy per reader.
// Then every subscriber reads its stream to the end: each must get the whole log exactly once.
import { allEnded, openAll, SseSubscriber, sumIntegrity } from '../sse-client.mjs'
import { call } from '../http-client.mjs'
import { complete, createRunningTask, mergeIntegrity, sleep, taskId } from './common.mjs'

const EVENT_BYTES = 1024
const LOG_BYTES = 10 * 1024 * 1024

export async function lateJoiners(server, { smoke }) {
  const count = smoke ? 100 : 1000
  const events = (smoke ? 1 : 10) * (LOG_BYTES / 10 / EVENT_BYTES)
  const id = await createRunningTask(server.base, taskId('joiners'))
  const pad = 'x'.repeat(EVENT_BYTES - 40)
  for (let from = 0; from < events; from += 500) {
    const batch = Array.from({ length: Math.min(500, events - from) }, (_, i) => ({ type: 'chunk', data: { i: from + i, pad } }))
    await call(server.base, 'POST', `/tasks/${id}/events`, batch, 201)
  }
  await complete(server.base, id)
  // status running, the events, status completed
  const expected = Array.from({ length: events + 2 }, (_, i) => i)

  const before = await server.gc()
  const subscribers = await openAll(count, () => new SseSubscriber(server.base, `/tasks/${id}/events`, { expected }))
  for (const subscriber of subscribers) subscriber.socket.pause()
  // Long enough for every connection to get as far as the server lets it go unread.
  await sleep(2000)
  const held = await server.gc()
  for (const subscriber of subscribers) subscriber.socket.resume()
  await allEnded(subscribers, 120_000)
  return {
    integrity: mergeIntegrity(sumIntegrity(subscribers)),
    metrics: [
      { key: 'rss_growth_mib', label: `RSS growth, ${count} unread joiners of a 10 MiB log`, value: (held.rss - before.rss) / 1024 / 1024, unit: 'MiB', better: 'lower' },
      { key: 'heap_growth_mib', label: `JS heap growth, ${count} unread joiners`, value: (held.heapUsed - before.heapUsed) / 1024 / 1024, unit: 'MiB', better: 'lower' },
    ],
  }
}
