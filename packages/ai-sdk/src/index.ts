// @taskcast/ai-sdk — the Vercel AI SDK over Taskcast: publish a UI message stream into a task,
// and a resumable `ChatTransport` for `useChat` (SPEC §22).
export { publishUIMessageStream, STREAM_ERROR_CODES } from './publish-ui-message-stream.js'
export type { PublishUIMessageStreamOptions, PublishedUIMessageStream } from './publish-ui-message-stream.js'
export type { UIMessageStreamPublisher, TaskcastServerPublisher } from './publisher.js'
export type { BatchOptions } from './batch-options.js'
export { TaskcastChatTransport, STOP_REASON } from './taskcast-chat-transport.js'
export type { TaskcastChatTransportOptions } from './taskcast-chat-transport.js'
export { taskChunkStream } from './task-chunk-stream.js'
export type { TaskChunkStreamOptions } from './task-chunk-stream.js'
export { AI_CHUNK_TYPE, ChunkEncoder } from './chunk-events.js'
