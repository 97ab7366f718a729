// A task's `ai.chunk` events as a stream of UI message chunks, the client half of the format in
// chunk-events.ts. The data of each event is the chunk (a series snapshot is a delta chunk
// carrying the part's text so far), so they pass through; the task's end closes the stream,
// after the chunk the AI SDK expects for that end when the producer could not publish it (an
// `abort` for a cancel, an `error` for a failure or a timeout).
import { STATUS_EVENT_TYPE, type StatusEventData, type TerminalStatus } from '@taskcast/core'
import type { TaskcastClient } from '@taskcast/client'
import type { UIMessageChunk } from 'ai'
import { AI_CHUNK_TYPE } from './chunk-events.js'

/** The chunk that tells the AI SDK how the task ended, unless the stream already told it. */
function endingChunk(ending: Pick<StatusEventData, 'error' | 'reason'> & { status: TerminalStatus }, told: Set<string>): UIMessageChunk | undefined {
  switch (ending.status) {
    case 'completed':
      return undefined
    case 'cancelled':
      if (told.has('abort')) return undefined
      // `reason` is in the abort chunk of ai 6.0.x releases after 6.0.0; earlier ones ignore it.
      return { type: 'abort', ...(ending.reason !== undefined && { reason: ending.reason }) } as UIMessageChunk
    case 'failed':
    case 'timeout':
      if (told.has('error')) return undefined
      return { type: 'error', errorText: ending.error?.message ?? ending.reason ?? `the task ended ${ending.status}` }
  }
}

export interface TaskChunkStreamOptions {
  /** Closes the connection and errors the stream with its reason. */
  signal?: AbortSignal
}

/**
 * Streams the task's UI message chunks from its start (a finished task replays whole, each
 * accumulated part as one chunk), live until it ends. The client reconnects and resumes on its
 * own; an error it gives up on (`TASK_NOT_FOUND`, `FORBIDDEN`, …) errors the stream.
 */
export function taskChunkStream(client: TaskcastClient, taskId: string, options: TaskChunkStreamOptions = {}): ReadableStream<UIMessageChunk> {
  const { signal } = options
  const closer = new AbortController()
  return new ReadableStream<UIMessageChunk>({
    start(controller) {
      // As the body of an aborted fetch does (the AI SDK's own transport): the stream errors
      // with the signal's reason, which the AI SDK takes for an abort, not for a failure.
      const abort = (): void => {
        closer.abort()
        controller.error(signal?.reason)
      }
      if (signal?.aborted) return abort()
      signal?.addEventListener('abort', abort, { once: true })
      const settled = (): void => signal?.removeEventListener('abort', abort)
      const told = new Set<string>()
      let ending: StatusEventData | undefined
      client.subscribe<UIMessageChunk>(taskId, {
        filter: { types: [AI_CHUNK_TYPE], includeStatus: true },
        signal: closer.signal,
        onEvent: (envelope) => {
          if (envelope.type === STATUS_EVENT_TYPE) return
          told.add(envelope.data.type)
          controller.enqueue(envelope.data)
        },
        onStatus: (_status, envelope) => {
          ending = envelope.data
        },
        onDone: (status) => {
          settled()
          const last = endingChunk({ ...ending, status }, told)
          if (last) controller.enqueue(last)
          controller.close()
        },
        onError: (error) => {
          settled()
          controller.error(error)
        },
      })
    },
    cancel() {
      closer.abort()
    },
  })
}
