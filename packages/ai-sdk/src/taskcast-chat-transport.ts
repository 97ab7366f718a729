// `TaskcastChatTransport`: the AI SDK's `ChatTransport` over Taskcast (SPEC §22). Sending asks
// the app's endpoint to start a task for the answer and streams that task; reconnecting finds
// the chat's task and streams it again from its start, so `useChat({ transport, resume: true })`
// rebuilds the answer after a reload, and a second tab shows the same one.
import { TaskcastClient, TaskcastError, type TokenSource } from '@taskcast/client'
import type { ChatRequestOptions, ChatTransport, UIMessage, UIMessageChunk } from 'ai'
import { taskChunkStream } from './task-chunk-stream.js'

type MaybePromise<T> = T | PromiseLike<T>

export interface TaskcastChatTransportOptions {
  /** Where the Taskcast server (or the app's mount of its router) is, e.g. `http://localhost:3721`. */
  baseUrl: string
  /**
   * The app's endpoint that starts an answer: it gets a POST with
   * `{ id: chatId, messages, trigger, messageId, ...body }` (as the AI SDK's own transport sends),
   * starts a task that publishes the answer (`publishUIMessageStream`), and answers
   * `{ taskId }` as JSON.
   */
  api: string
  /** The token for the Taskcast server (`event:subscribe`, and `task:cancel` for Stop); a function is called before every connection. */
  token?: TokenSource
  /**
   * The task of the chat's answer in progress, for `reconnectToStream`: after a reload, or in
   * another tab, only the app knows it (e.g. from its own chat store). `null` or `undefined`:
   * no answer is in progress, and there is nothing to resume.
   * @defaultValue the task this transport last streamed for the chat, if any
   */
  resolveTaskId?: (chatId: string) => MaybePromise<string | null | undefined>
  /** Sent with every request to `api`. */
  headers?: Record<string, string> | Headers
  /** Merged into every request body to `api`. */
  body?: object
  /** `credentials` of the request to `api`. @defaultValue 'same-origin' */
  credentials?: RequestCredentials
  /**
   * Whether Stop (`useChat`'s `stop()`, which aborts the request of `sendMessages`) cancels the
   * task, which aborts the model call (SPEC §17). A resumed stream's abort only closes it: the
   * AI SDK also aborts one to replace it with another (React's StrictMode mounts twice), and a
   * viewer leaving never cancels anything; use `cancel(chatId)` to stop from there.
   * @defaultValue true
   */
  cancelOnStop?: boolean
  /** @defaultValue `globalThis.fetch`, looked up at call time */
  fetch?: typeof fetch
}

type SendOptions<UI_MESSAGE extends UIMessage> = Parameters<ChatTransport<UI_MESSAGE>['sendMessages']>[0]
type ReconnectOptions = Parameters<ChatTransport<UIMessage>['reconnectToStream']>[0]

/** The reason of a task cancelled through Stop. */
export const STOP_REASON = 'stopped by the user'

function headersOf(...sets: (Record<string, string> | Headers | undefined)[]): Headers {
  const headers = new Headers()
  for (const set of sets) new Headers(set).forEach((value, name) => headers.set(name, value))
  return headers
}

/**
 * @example
 * const transport = new TaskcastChatTransport({
 *   baseUrl: '/taskcast',
 *   api: '/api/chat',
 *   resolveTaskId: (chatId) => fetch(`/api/chat/${chatId}/task`).then((r) => r.json()).then((b) => b.taskId),
 * })
 * const { messages, sendMessage, stop } = useChat({ id: chatId, transport, resume: true })
 */
export class TaskcastChatTransport<UI_MESSAGE extends UIMessage = UIMessage> implements ChatTransport<UI_MESSAGE> {
  /**
   * A resumed stream replays the answer from its start: the AI SDK (6.0.x releases that read
   * this) then starts the message afresh rather than appending the replay to what it has.
   */
  readonly resumeStreamIsReplay = true
  private readonly client: TaskcastClient
  private readonly fetch: typeof fetch
  /** The task this transport last streamed (sent or resumed), by chat: what Stop in this tab stops. */
  private readonly streamed = new Map<string, string>()

  constructor(private readonly options: TaskcastChatTransportOptions) {
    const custom = options.fetch
    // Called without a receiver: browsers throw "Illegal invocation" for a fetch called as a method of anything but window.
    this.fetch = (input, init) => (custom ? custom(input, init) : globalThis.fetch(input, init))
    this.client = new TaskcastClient({
      baseUrl: options.baseUrl,
      fetch: this.fetch,
      ...(options.token !== undefined && { token: options.token }),
    })
  }

  async sendMessages(options: SendOptions<UI_MESSAGE>): Promise<ReadableStream<UIMessageChunk>> {
    const { chatId, messages, trigger, messageId, abortSignal, headers, body } = options
    const response = await this.fetch(this.options.api, {
      method: 'POST',
      headers: headersOf({ 'Content-Type': 'application/json' }, this.options.headers, headers),
      body: JSON.stringify({ ...this.options.body, ...body, id: chatId, messages, trigger, messageId }),
      credentials: this.options.credentials ?? 'same-origin',
      ...(abortSignal && { signal: abortSignal }),
    })
    if (!response.ok) throw new Error((await response.text()) || `${this.options.api} answered ${response.status}`)
    const { taskId } = (await response.json()) as { taskId?: unknown }
    if (typeof taskId !== 'string') throw new Error(`${this.options.api} answered no taskId`)
    this.streamed.set(chatId, taskId)
    if (abortSignal && this.options.cancelOnStop !== false) {
      // Nobody is left to tell of a failed cancel: the stream it would report to is closed.
      abortSignal.addEventListener('abort', () => void this.cancelTask(taskId).catch(() => {}), { once: true })
    }
    return taskChunkStream(this.client, taskId, abortSignal ? { signal: abortSignal } : {})
  }

  async reconnectToStream(options: ReconnectOptions & ChatRequestOptions): Promise<ReadableStream<UIMessageChunk> | null> {
    const taskId = this.options.resolveTaskId ? await this.options.resolveTaskId(options.chatId) : this.streamed.get(options.chatId)
    if (!taskId) return null
    this.streamed.set(options.chatId, taskId)
    return taskChunkStream(this.client, taskId, options.abortSignal ? { signal: options.abortSignal } : {})
  }

  /**
   * Cancels the chat's answer that this transport streams (or, when it streams none, the one
   * `resolveTaskId` names), from any tab: the model call is aborted, and every stream of the
   * answer ends with an `abort` chunk. Resolves `false` when there was none to cancel.
   */
  async cancel(chatId: string, reason = STOP_REASON): Promise<boolean> {
    const taskId = this.streamed.get(chatId) ?? (await this.options.resolveTaskId?.(chatId))
    return taskId ? this.cancelTask(taskId, reason) : false
  }

  /** True when this cancel ended the task; false when it had ended already. */
  private async cancelTask(taskId: string, reason = STOP_REASON): Promise<boolean> {
    try {
      await this.client.cancel(taskId, reason)
      return true
    } catch (error) {
      if (TaskcastError.isInstance(error) && error.code === 'INVALID_TRANSITION') return false
      throw error
    }
  }
}
