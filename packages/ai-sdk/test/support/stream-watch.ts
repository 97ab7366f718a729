// A fetch for the transport that tells when the SSE stream of a task answered: from then on,
// everything published into the task reaches that reader live.
export class StreamWatch {
  private readonly opened = new Map<string, { promise: Promise<void>; resolve(): void }>()

  readonly fetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    const match = /\/tasks\/([^/]+)\/events$/.exec(new URL(String(input)).pathname)
    if (match && response.ok) this.entry(decodeURIComponent(match[1]!)).resolve()
    return response
  }

  /** Resolves once a stream of `taskId` was answered through this fetch. */
  streamOpened(taskId: string): Promise<void> {
    return this.entry(taskId).promise
  }

  private entry(taskId: string): { promise: Promise<void>; resolve(): void } {
    let entry = this.opened.get(taskId)
    if (!entry) {
      let resolve!: () => void
      const promise = new Promise<void>((done) => (resolve = done))
      entry = { promise, resolve }
      this.opened.set(taskId, entry)
    }
    return entry
  }
}
