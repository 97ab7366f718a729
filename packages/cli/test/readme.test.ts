// The README's command-line examples are what the binary prints: the help, the startup lines and
// the error lines, run as written (with -p 0, and the port and time put back as printed).
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { PACKAGE_DIR } from './helpers/paths.js'
import { lines, runTaskcast, spawnTaskcast } from './helpers/taskcast-process.js'

const README = await readFile(`${PACKAGE_DIR}/README.md`, 'utf8')
const README_TIME = '2025-01-01T12:00:00.000Z'

interface Example {
  args: string[]
  output: string[]
}

/** `$ npx taskcast <args>` lines of the ```text blocks, each with the lines printed under it. */
function shellExamples(): Example[] {
  const examples: Example[] = []
  for (const [, block] of README.matchAll(/```text\n(.*?)```/gs)) {
    let current: Example | undefined
    // Blank lines count (the help has some); the one before the closing fence does not.
    for (const line of block!.replace(/\n$/, '').split('\n')) {
      if (line.startsWith('$ ')) {
        current = line.startsWith('$ npx taskcast') ? { args: line.split(' ').slice(3), output: [] } : undefined
        if (current) examples.push(current)
      } else {
        current?.output.push(line)
      }
    }
  }
  return examples
}

const examples = shellExamples()
const errorExamples = examples.filter((e) => e.output[0]?.startsWith('taskcast: '))
const startupExamples = examples.filter((e) => e.output[0]?.startsWith(`${README_TIME} INFO  listening on `))

/** The bash Example: `npx taskcast &` and the lines it prints, as `# …` comments. */
function bashExample(): Example {
  const block = /```bash\nnpx taskcast &\n((?:# .*\n)+)/.exec(README)
  return { args: [], output: block![1]!.trimEnd().split('\n').map((line) => line.slice(2)) }
}

/** Startup lines of `taskcast <args> -p 0`, with the README's time and port. */
async function startupLines(args: string[]): Promise<string[]> {
  const proc = spawnTaskcast({ args: [...args, '-p', '0'] })
  const { port } = new URL(await proc.listening)
  expect((await proc.stop()).code).toBe(0)
  return lines(proc.stdout())
    .filter((line) => !/ (received SIGTERM|taskcast stopped)/.test(line))
    .map((line) => line.replace(/^\S+/, README_TIME).replaceAll(`:${port} `, ':3721 ').replaceAll(`:${port}/`, ':3721/').replaceAll(`port=${port} `, 'port=3721 '))
}

describe('the README', () => {
  it('has the help that --help prints', async () => {
    const [help] = examples.filter((e) => e.args.join(' ') === '--help')
    const result = await runTaskcast({ args: ['--help'] })
    expect(result.stdout).toBe(`${help!.output.join('\n')}\n`)
  })

  it('has the startup lines the binary prints', async () => {
    expect(startupExamples.map((e) => e.args.join(' '))).toEqual(['--host 0.0.0.0'])
    for (const example of [bashExample(), ...startupExamples]) expect(await startupLines(example.args)).toEqual(example.output)
  })

  it('has the argument error lines the binary prints', async () => {
    expect(errorExamples).toHaveLength(4)
    for (const { args, output } of errorExamples) {
      const result = await runTaskcast({ args })
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: `${output.join('\n')}\n` })
    }
  })
})
