// A bad config, an unreachable store or a taken port: one line on stderr naming the key, the
// variable, the flag or the address; exit code 1; nothing listening.
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { freePort, runTaskcast, tempProject } from './helpers/taskcast-process.js'

interface Case {
  name: string
  files?: Record<string, string>
  args?: string[]
  env?: Record<string, string>
  stderr: string
}

const TOP_LEVEL_KEYS = 'port, host, logLevel, logFormat, auth, adapters, sentry, webhook, cleanup, limits, sse, cors, metrics, dashboard'

const cases: Case[] = [
  {
    name: 'an unknown top-level key',
    files: { 'taskcast.config.yaml': 'prot: 8080\n' },
    stderr: `taskcast.config.yaml: prot is not a known key (known here: ${TOP_LEVEL_KEYS})`,
  },
  {
    name: 'an unknown nested key',
    files: { 'taskcast.config.yaml': 'adapters:\n  broadcast:\n    provider: redis\n    uri: redis://127.0.0.1:6379\n' },
    stderr: 'taskcast.config.yaml: adapters.broadcast.uri is not a known key (known here: provider, url, cluster, keyPrefix)',
  },
  {
    name: 'a string where a number belongs',
    files: { 'taskcast.config.yaml': 'port: eighty\n' },
    stderr: 'taskcast.config.yaml: port must be an integer from 0 to 65535 (got "eighty")',
  },
  {
    name: 'a number out of range in JSON',
    files: { 'taskcast.config.json': '{ "port": 70000 }' },
    stderr: 'taskcast.config.json: port must be an integer from 0 to 65535 (got 70000)',
  },
  {
    name: 'a scalar where a mapping belongs',
    files: { 'taskcast.config.yaml': 'adapters: redis\n' },
    stderr: 'taskcast.config.yaml: adapters must be a mapping of keys (got a string)',
  },
  {
    name: 'a value outside an enumeration',
    files: { 'taskcast.config.yaml': 'auth:\n  mode: oauth\n' },
    stderr: 'taskcast.config.yaml: auth.mode must be one of "none", "jwt", "custom" (got "oauth")',
  },
  {
    name: 'a bad value inside a list',
    files: { 'taskcast.config.yaml': 'cleanup:\n  rules:\n    - target: all\n    - trigger: { afterMs: 1000 }\n      target: everything\n' },
    stderr: 'taskcast.config.yaml: cleanup.rules[1].target must be one of "events", "task", "all" (got "everything")',
  },
  {
    name: 'a missing required key inside a list',
    files: { 'taskcast.config.yaml': 'webhook:\n  endpoints:\n    - secret: s3cr3t\n' },
    stderr: 'taskcast.config.yaml: webhook.endpoints[0].url is required',
  },
  {
    name: 'a bad key in a webhook filter (checked by core)',
    files: { 'taskcast.config.yaml': 'webhook:\n  endpoints:\n    - url: https://hooks.example.com/x\n      filter: { levels: [loud] }\n' },
    stderr: 'taskcast.config.yaml: webhook.endpoints[0].filter.levels[0] must be one of debug, info, warn, error',
  },
  {
    name: 'jwt mode without a secret, from the file',
    files: { 'taskcast.config.yaml': 'auth:\n  mode: jwt\n' },
    stderr:
      'auth.jwt.secret is required when auth.mode is jwt (set auth.jwt.secret or TASKCAST_JWT_SECRET; for RS256/ES* set auth.jwt.publicKeyFile or TASKCAST_JWT_PUBLIC_KEY_FILE)',
  },
  {
    name: 'jwt mode without a secret, from the environment',
    env: { TASKCAST_AUTH_MODE: 'jwt' },
    stderr:
      'auth.jwt.secret is required when auth.mode is jwt (set auth.jwt.secret or TASKCAST_JWT_SECRET; for RS256/ES* set auth.jwt.publicKeyFile or TASKCAST_JWT_PUBLIC_KEY_FILE)',
  },
  {
    name: 'a JWT public key file that does not exist',
    env: { TASKCAST_JWT_PUBLIC_KEY_FILE: '/nonexistent/jwt.pub' },
    stderr: 'auth.jwt.publicKeyFile cannot read /nonexistent/jwt.pub (ENOENT)',
  },
  {
    name: 'an HS256 algorithm with a public key',
    files: { 'taskcast.config.yaml': 'auth:\n  jwt:\n    algorithm: HS256\n    publicKey: not-a-key\n' },
    stderr: 'auth.jwt.publicKey the value is not a PEM public key',
  },
  {
    name: 'custom auth from a YAML file, which cannot hold a function',
    files: { 'taskcast.config.yaml': 'auth:\n  mode: custom\n' },
    stderr: 'auth.authenticate is required when auth.mode is custom (a function, so only a .ts/.js/.mjs config can give it)',
  },
  {
    name: 'a redis provider whose ${VAR} URL is not set',
    files: { 'taskcast.config.yaml': 'adapters:\n  shortTerm:\n    provider: redis\n    url: ${REDIS_URL}\n' },
    stderr:
      'adapters.shortTerm.url is required when the provider is redis, unless adapters.shortTerm.cluster is given (or set TASKCAST_REDIS_URL or TASKCAST_REDIS_CLUSTER) (${REDIS_URL} is not set)',
  },
  // A Redis Cluster instead of one Redis: its seed nodes under `cluster`, or TASKCAST_REDIS_CLUSTER.
  {
    name: 'both a URL and cluster seed nodes for one adapter',
    files: { 'taskcast.config.yaml': 'adapters:\n  shortTerm:\n    provider: redis\n    url: redis://127.0.0.1:1\n    cluster: [redis://127.0.0.1:2]\n' },
    stderr: 'adapters.shortTerm.cluster cannot be combined with adapters.shortTerm.url: give one (the seed nodes of a Redis Cluster, or the URL of one Redis)',
  },
  {
    name: 'a cluster with no seed nodes',
    files: { 'taskcast.config.yaml': 'adapters:\n  broadcast: { provider: redis, cluster: [] }\n' },
    stderr: 'taskcast.config.yaml: adapters.broadcast.cluster must list at least one seed node (got an empty list)',
  },
  {
    name: 'a cluster given as one string rather than a list',
    files: { 'taskcast.config.yaml': 'adapters:\n  shortTerm: { provider: redis, cluster: "redis://127.0.0.1:7000" }\n' },
    stderr: 'taskcast.config.yaml: adapters.shortTerm.cluster must be a list (got a string)',
  },
  {
    name: 'a cluster seed node that is not a Redis URL',
    files: { 'taskcast.config.yaml': 'adapters:\n  shortTerm: { provider: redis, cluster: [redis://127.0.0.1:7000, 127.0.0.1:7001] }\n' },
    stderr: 'taskcast.config.yaml: adapters.shortTerm.cluster[1] must be a redis:// or rediss:// URL (the value is not a URL)',
  },
  {
    name: 'a TASKCAST_REDIS_CLUSTER item that is not a Redis URL',
    env: { TASKCAST_REDIS_CLUSTER: 'redis://127.0.0.1:7000, http://127.0.0.1:7001' },
    stderr: 'TASKCAST_REDIS_CLUSTER item 2 must be a redis:// or rediss:// URL (got a http: URL)',
  },
  {
    name: 'both TASKCAST_REDIS_URL and TASKCAST_REDIS_CLUSTER',
    env: { TASKCAST_REDIS_URL: 'redis://127.0.0.1:1', TASKCAST_REDIS_CLUSTER: 'redis://127.0.0.1:2' },
    stderr: 'TASKCAST_REDIS_URL and TASKCAST_REDIS_CLUSTER are both set: use one (one Redis, or the seed nodes of a Redis Cluster)',
  },
  {
    name: 'cluster seed nodes on the memory provider',
    files: { 'taskcast.config.yaml': 'adapters:\n  broadcast:\n    cluster: [redis://127.0.0.1:7000]\n' },
    stderr: 'adapters.broadcast.cluster is only used with provider redis (the provider is memory)',
  },
  {
    name: 'cluster seed nodes with different passwords, masked (checked by @taskcast/redis)',
    env: { TASKCAST_REDIS_CLUSTER: 'redis://:hunter2@127.0.0.1:1,redis://:hunter3@127.0.0.1:2' },
    stderr: 'adapters.shortTerm.cluster: cluster[1] must have the scheme, user and password of cluster[0]: every node is reached with the same ones',
  },
  {
    name: 'a cluster seed node that selects a database (checked by @taskcast/redis)',
    files: { 'taskcast.config.yaml': 'adapters:\n  broadcast: { provider: redis, cluster: ["redis://127.0.0.1:1/2"] }\n' },
    stderr: 'adapters.broadcast.cluster: cluster[0] selects a database: a Redis Cluster has database 0 only',
  },
  {
    name: 'a redis-only key on the memory provider',
    files: { 'taskcast.config.yaml': 'adapters:\n  broadcast:\n    keyPrefix: "app:"\n' },
    stderr: 'adapters.broadcast.keyPrefix is only used with provider redis (the provider is memory)',
  },
  // Adapter options: the adapter checks them as it is built, before any store is contacted (the
  // URLs below answer nothing), and the line names the key before the adapter's words.
  {
    name: 'a Redis key prefix with braces (checked by @taskcast/redis)',
    files: { 'taskcast.config.yaml': 'adapters:\n  shortTerm:\n    provider: redis\n    url: redis://127.0.0.1:1\n    keyPrefix: "app{1}:"\n' },
    stderr: 'adapters.shortTerm.keyPrefix: keyPrefix must not contain braces: "app{1}:"',
  },
  {
    name: 'a Redis channel prefix with braces (checked by @taskcast/redis)',
    files: { 'taskcast.config.yaml': 'adapters:\n  broadcast: { provider: redis, url: "redis://127.0.0.1:1", keyPrefix: "{app}" }\n' },
    stderr: 'adapters.broadcast.keyPrefix: keyPrefix must not contain braces: "{app}"',
  },
  {
    name: 'a PostgreSQL schema that is no plain identifier, with Redis unreachable too (checked by @taskcast/postgres)',
    files: { 'taskcast.config.yaml': 'adapters:\n  longTerm:\n    provider: postgres\n    url: postgres://postgres@127.0.0.1:1/test\n    schema: "x;drop"\n' },
    env: { TASKCAST_REDIS_URL: 'redis://127.0.0.1:1' },
    stderr: 'adapters.longTerm.schema: schema must match /^[a-z_][a-z0-9_]*$/ and be at most 63 characters',
  },
  {
    name: 'a PostgreSQL table prefix too long for the names built from it (checked by @taskcast/postgres)',
    files: { 'taskcast.config.yaml': `adapters:\n  longTerm:\n    provider: postgres\n    url: postgres://postgres@127.0.0.1:1/test\n    tablePrefix: ${'x'.repeat(47)}\n` },
    stderr: 'adapters.longTerm.tablePrefix: tablePrefix must match /^[a-z_][a-z0-9_]*$/ and be at most 46 characters',
  },
  {
    name: 'a URL with the wrong scheme',
    files: { 'taskcast.config.yaml': 'adapters:\n  longTerm:\n    provider: postgres\n    url: mysql://db/taskcast\n' },
    stderr: 'taskcast.config.yaml: adapters.longTerm.url must be a postgres:// or postgresql:// URL (got a mysql: URL)',
  },
  {
    name: 'an unfinished ${ reference',
    files: { 'taskcast.config.yaml': 'host: "${HOST"\n' },
    stderr: 'taskcast.config.yaml: host has a "${" that is not a ${VAR} or ${VAR:-default} reference (write $${ for a literal ${)',
  },
  {
    name: 'YAML that does not parse (a duplicate key)',
    files: { 'taskcast.config.yaml': 'port: 3721\nport: 3722\n' },
    stderr: 'taskcast.config.yaml: invalid YAML at line 2, column 1: Map keys must be unique',
  },
  {
    name: 'JSON that does not parse',
    files: { 'taskcast.config.json': '{ "port": 3721, }' },
    stderr: `taskcast.config.json: invalid JSON: Expected double-quoted property name in JSON at position 16`,
  },
  {
    name: 'a config module that throws',
    files: { 'taskcast.config.ts': "const port: number = 1\nif (port) throw new Error('no config for you')\nexport default {}\n" },
    stderr: 'taskcast.config.ts: cannot load: no config for you',
  },
  {
    name: 'a config module that exports a list',
    files: { 'taskcast.config.mjs': 'export default [1, 2]\n' },
    stderr: 'taskcast.config.mjs: must hold a mapping of config keys at the top level (got a list)',
  },
  {
    name: '-c naming a file that does not exist',
    args: ['-c', 'missing.yaml'],
    stderr: 'missing.yaml: config file not found',
  },
  {
    name: '-c naming a file of unknown format',
    files: { 'taskcast.toml': 'port = 1\n' },
    args: ['-c', 'taskcast.toml'],
    stderr: 'taskcast.toml: unknown config format: use .ts, .js, .mjs, .yaml, .yml or .json',
  },
  {
    name: 'a bad TASKCAST_PORT',
    env: { TASKCAST_PORT: 'abc' },
    stderr: 'TASKCAST_PORT must be an integer from 0 to 65535 (got "abc")',
  },
  {
    name: 'a bad TASKCAST_LOG_LEVEL',
    env: { TASKCAST_LOG_LEVEL: 'verbose' },
    stderr: 'TASKCAST_LOG_LEVEL must be one of "debug", "info", "warn", "error" (got "verbose")',
  },
  {
    name: 'a TASKCAST_REDIS_URL that is not a Redis URL',
    env: { TASKCAST_REDIS_URL: 'http://127.0.0.1:6379' },
    stderr: 'TASKCAST_REDIS_URL must be a redis:// or rediss:// URL (got a http: URL)',
  },
  {
    name: 'both JWT variables',
    env: { TASKCAST_JWT_SECRET: 's', TASKCAST_JWT_PUBLIC_KEY_FILE: '/k.pem' },
    stderr: 'TASKCAST_JWT_SECRET and TASKCAST_JWT_PUBLIC_KEY_FILE are both set: use one (HS256 secret or public key)',
  },
  {
    name: 'a bad -p',
    args: ['-p', 'http'],
    stderr: '--port must be an integer from 0 to 65535 (got "http")',
  },
  {
    name: 'an unreachable Redis, with the password masked',
    env: { TASKCAST_REDIS_URL: 'redis://:hunter2@127.0.0.1:1' },
    stderr: 'cannot reach Redis at redis://:***@127.0.0.1:1 (adapters.shortTerm.url): connect ECONNREFUSED 127.0.0.1:1',
  },
  {
    name: 'an unreachable Redis used for broadcast only',
    files: { 'taskcast.config.yaml': 'adapters:\n  broadcast: { provider: redis, url: "redis://127.0.0.1:1" }\n' },
    stderr: 'cannot reach Redis at redis://127.0.0.1:1 (adapters.broadcast.url): connect ECONNREFUSED 127.0.0.1:1',
  },
  {
    name: 'an unreachable Redis Cluster, with the passwords masked',
    env: { TASKCAST_REDIS_CLUSTER: 'redis://:hunter2@127.0.0.1:1,redis://:hunter2@127.0.0.1:2' },
    stderr: 'cannot reach Redis Cluster at redis://:***@127.0.0.1:1, redis://:***@127.0.0.1:2 (adapters.shortTerm.cluster): Connection is closed.',
  },
  {
    name: 'an unreachable PostgreSQL',
    env: { TASKCAST_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/test' },
    stderr: 'cannot reach PostgreSQL at postgres://postgres@127.0.0.1:1/test (adapters.longTerm.url): connect ECONNREFUSED 127.0.0.1:1',
  },
]

describe('a bad start exits 1 with one line', () => {
  it.each(cases)('$name', async ({ files, args = [], env = {}, stderr }) => {
    const dir = await tempProject(files)
    const result = await runTaskcast({ cwd: dir, args: ['-p', '0', ...args], env })
    expect(result.stderr).toBe(`taskcast: ${stderr}\n`)
    expect(result.code).toBe(1)
    expect(result.stdout).not.toContain('listening on')
  })

  it.each([
    {
      name: 'names the flag when --schema gave the value the store refuses',
      args: ['--schema', 'Public'],
      stderr: 'taskcast: --schema: schema must match /^[a-z_][a-z0-9_]*$/ and be at most 63 characters\n',
    },
    {
      name: 'names the key when the config file gave it',
      files: { 'taskcast.config.yaml': 'adapters:\n  longTerm: { provider: postgres, tablePrefix: task-cast_ }\n' },
      args: [],
      stderr: 'taskcast: adapters.longTerm.tablePrefix: tablePrefix must match /^[a-z_][a-z0-9_]*$/ and be at most 46 characters\n',
    },
  ])('`taskcast migrate` $name', async ({ files, args, stderr }) => {
    const dir = await tempProject(files)
    const result = await runTaskcast({ cwd: dir, args: ['migrate', '--url', 'postgres://postgres@127.0.0.1:1/test', ...args] })
    expect(result.stderr).toBe(stderr)
    expect(result.code).toBe(1)
  })

  it('names the address when the port is taken', async () => {
    const port = await freePort()
    const squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve))
    try {
      const result = await runTaskcast({ args: ['-p', String(port)] })
      expect(result.stderr).toBe(`taskcast: cannot listen on 127.0.0.1:${port}: the address is already in use\n`)
      expect(result.code).toBe(1)
    } finally {
      squatter.close()
    }
  })
})
