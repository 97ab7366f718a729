// The subscription a client opens lives in `@taskcast/core/wire`, shared with the server SDK.
export { openSubscription } from '@taskcast/core/wire'
export type {
  ConnectionSettings,
  DoneReason,
  ReconnectOptions,
  SubscribeOptions,
  TaskEnvelope,
  TaskSubscription,
} from '@taskcast/core/wire'
