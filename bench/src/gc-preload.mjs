// Benchmark-only preload (`node --expose-gc --import …/gc-preload.mjs`): lets the driver force a
// full GC in a server process over the IPC channel and read its memory afterwards. Nothing of this
// is in the product; without an IPC channel (a normal start) it does nothing.
if (process.send && typeof globalThis.gc === 'function') {
  process.on('message', (/** @type {{ type?: string, id?: number }} */ message) => {
    if (message?.type !== 'gc') return
    globalThis.gc()
    globalThis.gc()
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage()
    process.send({ type: 'gc-done', id: message.id, rss, heapTotal, heapUsed, external, arrayBuffers })
  })
  // The channel must never keep the server alive on its own (clean shutdown on SIGTERM).
  process.channel?.unref()
}
