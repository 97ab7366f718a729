// @taskcast/redis — Redis broadcast provider and short-term store for Taskcast.
export { RedisShortTermStore } from './redis-short-term-store.js'
export type { RedisShortTermStoreOptions } from './redis-short-term-store.js'
export { RedisBroadcastProvider } from './redis-broadcast-provider.js'
export type { RedisBroadcastProviderOptions } from './redis-broadcast-provider.js'
export { WRITE_CONNECTION_OPTIONS } from './connection.js'
export type { RedisClient, RedisConnectionOptions } from './connection.js'
