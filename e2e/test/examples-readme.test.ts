// The README's first steps, run as written: the curl commands shown after command 1 against a
// real standalone server (then the command that completes the task), and the stream transcript
// the README prints next to them.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTaskcast } from './support/example-process.js'
import { REPO_DIR } from './support/paths.js'
import { parseSseFrames, type SseFrame } from './support/sse-frames.js'

function hasCurl(): boolean {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const curlAvailable = hasCurl()
if (!curlAvailable && process.env.CI !== 'true') console.warn('SKIPPING the README commands test: curl not found (apt-get install -y curl)')

/** The fenced blocks of a Markdown text, in order, with their info strings. */
function fencedBlocks(markdown: string): { info: string; body: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ info: match[1]!, body: match[2]! }))
}

/** Ids and times differ from run to run. */
function normalised(frames: SseFrame[]): unknown[] {
  return frames.map((frame) => {
    if (frame.data === undefined || frame.event !== 'taskcast.event') return { ...frame }
    const envelope = JSON.parse(frame.data) as Record<string, unknown>
    return { ...frame, id: '<id>', data: { ...envelope, eventId: '<id>', timestamp: '<time>' } }
  })
}

describe.runIf(curlAvailable || process.env.CI === 'true')('README: the commands after command 1', () => {
  let dir = ''
  let readme = ''
  let commands = ''
  let transcript = ''
  let completion = ''
  let url = ''

  beforeAll(async () => {
    readme = await readFile(join(REPO_DIR, 'README.md'), 'utf8')
    const blocks = fencedBlocks(readme)
    const index = blocks.findIndex((block) => block.info === 'bash' && block.body.includes('curl -N 127.0.0.1:3721/tasks/hello/events'))
    expect(index, 'the README shows the curl commands').toBeGreaterThanOrEqual(0)
    commands = blocks[index]!.body
    expect(blocks[index + 1]!.info).toBe('text')
    transcript = blocks[index + 1]!.body
    expect(blocks[index + 2]!.body).toContain('{"status":"completed"}')
    completion = blocks[index + 2]!.body
    url = (await startTaskcast()).url
    dir = await mkdtemp(join(tmpdir(), 'taskcast-readme-'))
  })

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('create, stream, run and publish: the stream shows what the README says, then ends on completion', async () => {
    const address = url.replace(/^http:\/\//, '')
    const script = [
      'set -euo pipefail',
      // Each curl's output to its own file: the stream (-N) and the answers of the others.
      'curl() { if [[ " $* " == *" -N "* ]]; then command curl "$@" > stream.txt; else command curl "$@" >> answers.txt; echo >> answers.txt; fi; }',
      commands.replaceAll('127.0.0.1:3721', address),
      // The README's next block: completing the task ends the stream.
      completion.replaceAll('127.0.0.1:3721', address),
      'wait',
    ].join('\n')
    await writeFile(join(dir, 'steps.sh'), script)
    let output = ''
    const exit = await new Promise<number | null>((resolve) => {
      const bash = spawn('bash', ['steps.sh'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
      bash.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
      bash.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
      const timer = setTimeout(() => bash.kill('SIGKILL'), 30_000)
      bash.on('close', (code) => {
        clearTimeout(timer)
        resolve(code)
      })
    })
    expect(exit, output).toBe(0)

    const answers = (await readFile(join(dir, 'answers.txt'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line))
    expect(answers).toMatchObject([
      { id: 'hello', type: 'llm.chat', status: 'pending' },
      { id: 'hello', status: 'running' },
      { taskId: 'hello', index: 1, type: 'llm.delta', data: { text: 'Hello' } },
      { id: 'hello', status: 'completed' },
    ])

    const frames = parseSseFrames(await readFile(join(dir, 'stream.txt'), 'utf8')).filter((frame) => frame.comment === undefined)
    expect(frames.map((frame) => frame.event ?? 'retry')).toEqual(['retry', 'taskcast.event', 'taskcast.event', 'taskcast.event', 'taskcast.done'])
    expect(frames.at(-1)).toEqual({ event: 'taskcast.done', data: '{"reason":"completed"}' })
    // The README's transcript is the stream before the completion, ids and times aside.
    const shown = parseSseFrames(transcript)
    expect(normalised(shown)).toEqual(normalised(frames.slice(0, shown.length)))
    expect(shown).toHaveLength(3)
  })
})
