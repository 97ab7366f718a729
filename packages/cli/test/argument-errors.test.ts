// Mistakes on the command line (commander's own errors) read like every other failure: one line
// `taskcast: <message>` on stderr, exit code 1, nothing started. Help and version still exit 0.
import { describe, expect, it } from 'vitest'
import { runTaskcast } from './helpers/taskcast-process.js'

const cases: { args: string[]; stderr: string }[] = [
  { args: ['bogus'], stderr: "unknown command 'bogus' (commands: start, migrate)" },
  { args: ['-p', '0', 'strat', 'now'], stderr: "unknown command 'strat' (commands: start, migrate)" },
  { args: ['--bogus'], stderr: "unknown option '--bogus'" },
  { args: ['--prot', '8080'], stderr: "unknown option '--prot' (Did you mean --port?)" },
  { args: ['start', '--prot', '8080'], stderr: "unknown option '--prot' (Did you mean --port?)" },
  { args: ['migrate', '--port', '1'], stderr: "unknown option '--port'" },
  {
    args: ['--log-level', 'loud'],
    stderr: "option '--log-level <level>' argument 'loud' is invalid. Allowed choices are debug, info, warn, error.",
  },
  { args: ['start', '--log-format', 'xml'], stderr: "option '--log-format <format>' argument 'xml' is invalid. Allowed choices are text, json." },
  { args: ['--host'], stderr: "option '--host <host>' argument missing" },
  { args: ['-p', '0', '--log-level'], stderr: "option '--log-level <level>' argument missing" },
  { args: ['migrate', '--url'], stderr: "option '--url <url>' argument missing" },
  { args: ['start', 'now'], stderr: "too many arguments for 'start'. Expected 0 arguments but got 1." },
  { args: ['migrate', 'now'], stderr: "too many arguments for 'migrate'. Expected 0 arguments but got 1." },
]

describe('an argument error exits 1 with one line', () => {
  it.each(cases)('taskcast $args', async ({ args, stderr }) => {
    const result = await runTaskcast({ args })
    expect(result.stderr).toBe(`taskcast: ${stderr}\n`)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
  })
})

describe('help and version', () => {
  it.each([{ args: ['--help'] }, { args: ['-h'] }, { args: ['start', '--help'] }, { args: ['migrate', '-h'] }])('taskcast $args prints the usage and exits 0', async ({ args }) => {
    const result = await runTaskcast({ args })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: taskcast /)
    expect(result.stderr).toBe('')
  })

  it.each([['--version'], ['-v']])('taskcast %s prints the version and exits 0', async (flag) => {
    const result = await runTaskcast({ args: [flag] })
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' })
  })
})
