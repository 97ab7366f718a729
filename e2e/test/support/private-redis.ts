// A redis-server of the scenario's own, which it may crash and restart without disturbing the
// shared Redis other suites use. The redis package's test helper starts it; here it also keeps
// an append-only file fsynced on every write, so a restart (even after SIGKILL) comes back with
// every acknowledged write, as a production Redis configured for durability would.
export { PrivateRedis } from '../../../packages/redis/test/redis.js'

export const DURABLE_REDIS_ARGS = ['--appendonly', 'yes', '--appendfsync', 'always']
