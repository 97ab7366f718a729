// Environment variables of the README's table, the flags, and their precedence over the file.
import { createServer, type IncomingMessage } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { api, roundTrip } from './helpers/http.js'
import { bearer, es256KeyPair, rs256KeyPair, signEs256, signHs256, signRs256 } from './helpers/jwt.js'
import { exposureWarning, IN_MEMORY_NOTE } from './helpers/banner.js'
import { freePort, lines, spawnTaskcast, tempProject, withoutTime } from './helpers/taskcast-process.js'

const LOOPBACK = ['--host', '127.0.0.1']

describe('environment variables', () => {
  it('TASKCAST_PORT and TASKCAST_HOST choose the address', async () => {
    const port = await freePort()
    const proc = spawnTaskcast({ env: { TASKCAST_PORT: String(port), TASKCAST_HOST: '127.0.0.1' } })
    expect(await proc.listening).toBe(`http://127.0.0.1:${port}`)
    expect(proc.stdout()).toContain(`host=127.0.0.1 port=${port}`)
    expect((await proc.stop()).code).toBe(0)
  })

  it('TASKCAST_AUTH_MODE=jwt with TASKCAST_JWT_SECRET requires an HS256 token', async () => {
    const secret = 'env-secret-0123456789'
    const proc = spawnTaskcast({ args: ['-p', '0', ...LOOPBACK], env: { TASKCAST_AUTH_MODE: 'jwt', TASKCAST_JWT_SECRET: secret } })
    const url = await proc.listening
    expect(proc.stdout()).toContain('auth=jwt')
    expect((await api(url, 'POST', '/tasks', {})).status).toBe(401)
    expect((await api(url, 'POST', '/tasks', {}, bearer(signHs256('another-secret-0123456789')))).status).toBe(401)
    await roundTrip(url, bearer(signHs256(secret)))
    expect((await proc.stop()).code).toBe(0)
  })

  it('TASKCAST_JWT_PUBLIC_KEY_FILE alone switches jwt on, with the algorithm the key is for (ES256)', async () => {
    const { privateKey, publicKeyPem } = es256KeyPair()
    const dir = await tempProject({ 'keys/jwt.pub': publicKeyPem })
    const proc = spawnTaskcast({ cwd: dir, args: ['-p', '0', ...LOOPBACK], env: { TASKCAST_JWT_PUBLIC_KEY_FILE: 'keys/jwt.pub' } })
    const url = await proc.listening
    expect(proc.stdout()).toContain('auth=jwt')
    expect((await api(url, 'POST', '/tasks', {}, bearer(signHs256('guess-the-secret-0123')))).status).toBe(401)
    await roundTrip(url, bearer(signEs256(privateKey)))
    expect((await proc.stop()).code).toBe(0)
  })

  it('TASKCAST_LOG_LEVEL=debug logs one line per request', async () => {
    const proc = spawnTaskcast({ args: ['-p', '0', ...LOOPBACK], env: { TASKCAST_LOG_LEVEL: 'debug' } })
    const url = await proc.listening
    const taskId = await roundTrip(url)
    expect((await proc.stop()).code).toBe(0)
    const requests = lines(proc.stdout())
      .filter((line) => / DEBUG (GET|POST|PATCH|DELETE) /.test(line))
      .map((line) => / DEBUG (\S+ \S+ \d+) /.exec(line)![1])
    expect(requests).toEqual([
      'POST /tasks 201',
      `PATCH /tasks/${taskId}/status 200`,
      `GET /tasks/${taskId}/events 200`,
      `POST /tasks/${taskId}/events 201`,
      `PATCH /tasks/${taskId}/status 200`,
    ])
  })

  it('TASKCAST_LOG_LEVEL=warn silences the info lines and keeps the warnings', async () => {
    const port = await freePort()
    // On every interface with auth none, the one line left at this level is the exposure warning.
    const proc = spawnTaskcast({ args: ['-p', String(port), '--host', '0.0.0.0'], env: { TASKCAST_LOG_LEVEL: 'warn' } })
    await proc.waitFor(/ WARN {2}listening on every interface/)
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200)
    expect((await proc.stop()).code).toBe(0)
    expect(lines(proc.stdout()).map(withoutTime)).toEqual([`WARN  ${exposureWarning('every interface (0.0.0.0)')}`])
    expect(proc.stderr()).toBe('')
  })

  it('TASKCAST_LOG_FORMAT=json writes one JSON object per line', async () => {
    const proc = spawnTaskcast({
      args: ['-p', '0', ...LOOPBACK],
      env: { TASKCAST_LOG_FORMAT: 'json', TASKCAST_LOG_LEVEL: 'debug' },
    })
    const url = await proc.listening
    await api(url, 'GET', '/tasks/nope')
    expect((await proc.stop('SIGINT')).code).toBe(0)
    const entries = lines(proc.stdout()).map((line) => JSON.parse(line) as Record<string, unknown>)
    const { port } = new URL(url)
    expect(entries.map(({ time, durationMs, ...rest }) => rest)).toEqual([
      {
        level: 'info',
        msg: `listening on ${url}`,
        version: '0.1.0',
        host: '127.0.0.1',
        port: Number(port),
        broadcast: 'memory',
        shortTerm: 'memory',
        longTerm: 'none',
        auth: 'none',
        sentry: 'off',
        config: 'none',
        dashboard: `${url}/dashboard`,
      },
      { level: 'info', msg: IN_MEMORY_NOTE },
      { level: 'debug', msg: 'GET /tasks/nope 404', method: 'GET', path: '/tasks/nope', status: 404 },
      { level: 'info', msg: 'received SIGINT: shutting down' },
      { level: 'info', msg: 'taskcast stopped' },
    ])
    for (const entry of entries) expect(new Date(entry.time as string).toISOString()).toBe(entry.time)
    expect(typeof entries[2]!.durationMs).toBe('number')
  })

  it('SENTRY_DSN reports failed tasks to Sentry, flushed before exit', async () => {
    const received: string[] = []
    const sentry = createServer((request, response) => {
      void readBody(request).then((body) => {
        received.push(`${request.method} ${request.url} ${body}`)
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((resolve) => sentry.listen(0, '127.0.0.1', resolve))
    const sentryPort = (sentry.address() as { port: number }).port
    try {
      const proc = spawnTaskcast({
        args: ['-p', '0', ...LOOPBACK],
        env: { SENTRY_DSN: `http://publickey@127.0.0.1:${sentryPort}/42` },
      })
      const url = await proc.listening
      expect(proc.stdout()).toContain('sentry=on')
      const task = await api(url, 'POST', '/tasks', { type: 'llm.chat' })
      await api(url, 'PATCH', `/tasks/${task.body.id}/status`, { status: 'running' })
      const failed = await api(url, 'PATCH', `/tasks/${task.body.id}/status`, {
        status: 'failed',
        error: { code: 'RATE_LIMITED', message: 'Too many requests' },
      })
      expect(failed.status).toBe(200)
      expect((await proc.stop()).code).toBe(0)
      const reports = received.filter((entry) => entry.includes(`Task ${task.body.id} failed: RATE_LIMITED: Too many requests`))
      expect(reports).toHaveLength(1)
      expect(reports[0]).toMatch(/^POST \/api\/42\/envelope\//)
    } finally {
      sentry.close()
    }
  })
})

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  return (request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8')
}

describe('flags', () => {
  it('`start -p --host --log-level --log-format` is the same as the bare command', async () => {
    const port = await freePort()
    const proc = spawnTaskcast({ args: ['start', '-p', String(port), '--host', '127.0.0.1', '--log-level', 'debug', '--log-format', 'json'] })
    const url = await proc.listening
    expect(url).toBe(`http://127.0.0.1:${port}`)
    await api(url, 'GET', '/health')
    expect((await proc.stop()).code).toBe(0)
    const entries = lines(proc.stdout()).map((line) => JSON.parse(line) as { level: string; msg: string })
    expect(entries.map((e) => `${e.level} ${e.msg}`)).toEqual([
      `info listening on ${url}`,
      `info ${IN_MEMORY_NOTE}`,
      'debug GET /health 200',
      'info received SIGTERM: shutting down',
      'info taskcast stopped',
    ])
  })

  it('--version prints the version and --help lists the options, commands and variables', async () => {
    const version = spawnTaskcast({ args: ['--version'] })
    expect((await version.exited).code).toBe(0)
    expect(version.stdout()).toBe('0.1.0\n')

    const help = spawnTaskcast({ args: ['--help'] })
    expect((await help.exited).code).toBe(0)
    for (const text of ['-p, --port <port>', '--host <host>          address to listen on (default: 127.0.0.1; 0.0.0.0 for', '-c, --config <file>', 'migrate [options]', 'TASKCAST_POSTGRES_URL', 'SENTRY_DSN']) {
      expect(help.stdout()).toContain(text)
    }
  })
})

describe('precedence: flags > environment > file > defaults', () => {
  it('takes each key from the highest layer that sets it', async () => {
    const [filePort, envPort, flagPort] = [await freePort(), await freePort(), await freePort()]
    const dir = await tempProject({ 'taskcast.config.yaml': `port: ${filePort}\nhost: 127.0.0.1\nlogFormat: json\n` })
    const run = async (args: string[], env: Record<string, string>) => {
      const proc = spawnTaskcast({ cwd: dir, args, env })
      const url = await proc.listening
      await proc.stop()
      // logFormat comes from the file every time: nobody overrides it.
      const banner = JSON.parse(lines(proc.stdout())[0]!) as { port: number; auth: string }
      return `${url} ${banner.port} ${banner.auth}`
    }
    const env = { TASKCAST_PORT: String(envPort) }
    expect(await run(['-p', String(flagPort)], env)).toBe(`http://127.0.0.1:${flagPort} ${flagPort} none`)
    expect(await run([], env)).toBe(`http://127.0.0.1:${envPort} ${envPort} none`)
    expect(await run([], {})).toBe(`http://127.0.0.1:${filePort} ${filePort} none`)
  })

  it('TASKCAST_JWT_SECRET replaces the RS256 public key of the file', async () => {
    const { privateKey, publicKeyPem } = rs256KeyPair()
    const dir = await tempProject({
      'jwt.pub': publicKeyPem,
      'taskcast.config.yaml': 'auth:\n  mode: jwt\n  jwt:\n    algorithm: RS256\n    publicKeyFile: jwt.pub\n',
    })
    const fileOnly = spawnTaskcast({ cwd: dir, args: ['-p', '0', ...LOOPBACK] })
    const fileUrl = await fileOnly.listening
    expect((await api(fileUrl, 'POST', '/tasks', {}, bearer(signRs256(privateKey)))).status).toBe(201)
    await fileOnly.stop()

    const secret = 'env-wins-0123456789'
    const withEnv = spawnTaskcast({ cwd: dir, args: ['-p', '0', ...LOOPBACK], env: { TASKCAST_JWT_SECRET: secret } })
    const url = await withEnv.listening
    expect((await api(url, 'POST', '/tasks', {}, bearer(signRs256(privateKey)))).status).toBe(401)
    expect((await api(url, 'POST', '/tasks', {}, bearer(signHs256(secret)))).status).toBe(201)
    expect((await withEnv.stop()).code).toBe(0)
  })

  it('TASKCAST_AUTH_MODE=none turns off the jwt auth of the file, with a warning', async () => {
    const dir = await tempProject({ 'taskcast.config.json': JSON.stringify({ auth: { mode: 'jwt', jwt: { secret: 'file-secret-0123456789' } } }) })
    const proc = spawnTaskcast({ cwd: dir, args: ['-p', '0', ...LOOPBACK], env: { TASKCAST_AUTH_MODE: 'none' } })
    const url = await proc.listening
    expect(lines(proc.stdout())[0]).toMatch(/ WARN  auth\.jwt is configured but auth\.mode is none: requests are not authenticated$/)
    expect(proc.stdout()).toContain('auth=none')
    expect((await api(url, 'POST', '/tasks', {})).status).toBe(201)
    expect((await proc.stop()).code).toBe(0)
  })
})
