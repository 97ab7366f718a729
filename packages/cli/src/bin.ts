#!/usr/bin/env node
// The `taskcast` command: `start` (the default) and `migrate`. Any failure before the server
// runs (a bad argument, a bad config, an unreachable store) is one line on stderr and exit code 1.
import { TaskcastError } from '@taskcast/core'
import { Command, Option } from 'commander'
import { ENV_VARIABLES } from './config/env-config.js'
import { SHORT_TERM_PROVIDERS } from './config/config-schema.js'
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SQLITE_PATH } from './config/resolve-config.js'
import { errorText } from './error-text.js'
import { LOG_FORMATS, LOG_LEVELS } from './logger.js'
import { VERSION } from './version.js'

/** The one line every failure prints. */
const errorLine = (message: string) => `taskcast: ${message}\n`

function fatal(error: unknown): never {
  // A TaskcastError's message is already the one line to show; a cause would only repeat it.
  process.stderr.write(errorLine(TaskcastError.isInstance(error) ? error.message : errorText(error)))
  process.exit(1)
}

/**
 * Commander writes `error: unknown option '--prot'` and, for a typo, `(Did you mean --port?)` on
 * a line of its own: the same words, as one line of ours.
 */
function commanderMessage(text: string): string {
  return text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')
}

const envHelp = [
  '',
  'Environment variables (override the config file; flags override both):',
  ...ENV_VARIABLES.map((v) => `  ${v.name.padEnd(30)}${v.description.replaceAll('`', '')}`),
].join('\n')

async function start(options: Record<string, string | undefined>): Promise<void> {
  const { startCommand } = await import('./commands/start.js')
  await startCommand(options).catch(fatal)
}

/** `taskcast` and `taskcast start` take the same options. */
function withStartOptions(command: Command): Command {
  return command
    .option('-p, --port <port>', `port to listen on (default: ${DEFAULT_PORT})`)
    .option('--host <host>', `address to listen on (default: ${DEFAULT_HOST}; 0.0.0.0 for every interface)`)
    .option('-c, --config <file>', `config file (default: the first of taskcast.config.{ts,js,mjs,yaml,yml,json} in the working directory)`)
    .addOption(new Option('--storage <kind>', 'where tasks live (default: memory; sqlite keeps them in a file across restarts)').choices(SHORT_TERM_PROVIDERS))
    .option('--db <file>', `SQLite database file, for --storage sqlite (default: ${DEFAULT_SQLITE_PATH})`)
    .addOption(new Option('--log-level <level>', 'log level (default: info)').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <format>', 'log format (default: text)').choices(LOG_FORMATS))
}

const program = new Command('taskcast')
  .usage('[start] [options] | migrate [options]')
  .description('Taskcast server: task state and resumable event streams over HTTP and SSE.\nWith no command, starts the server.')
  .version(VERSION, '-v, --version', 'print the version')
  .helpOption('-h, --help', 'show this help')
  // `taskcast start -p 1` must reach the subcommand: the program's own copies of the start
  // options only apply before a command name.
  .enablePositionalOptions()
  // Argument errors look like every other failure. Subcommands copy both settings when they are
  // created, so they come before `.command()`.
  .configureOutput({ outputError: (text, write) => write(errorLine(commanderMessage(text))) })
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 1))

withStartOptions(program)
  // Without a description it stays out of the help. It catches a first word that names no
  // command, which commander would otherwise report as "too many arguments".
  .argument('[command...]')
  .action(async (words: string[], options: Record<string, string | undefined>, command: Command) => {
    if (words.length > 0) {
      const known = command.commands.map((sub) => sub.name()).join(', ')
      command.error(`error: unknown command '${words[0]}' (commands: ${known})`, { code: 'commander.unknownCommand' })
    }
    await start(options)
  })

withStartOptions(program.command('start').description('start the server (the default)')).action(start)

program
  .command('migrate')
  .description('apply the PostgreSQL migrations of the long-term store, then exit')
  .option('-c, --config <file>', 'config file to read adapters.longTerm from')
  .option('--url <url>', 'PostgreSQL URL (default: adapters.longTerm.url or TASKCAST_POSTGRES_URL)')
  .option('--schema <name>', 'schema (default: adapters.longTerm.schema, else public)')
  .option('--table-prefix <prefix>', 'table prefix (default: adapters.longTerm.tablePrefix, else taskcast_)')
  .action(async (options: Record<string, string | undefined>) => {
    const { migrateCommand } = await import('./commands/migrate.js')
    await migrateCommand(options, (line) => process.stdout.write(`${line}\n`)).catch(fatal)
  })

program.addHelpText(
  'after',
  [
    envHelp,
    '',
    'Precedence: flags > environment variables > config file > defaults.',
    '',
    'Examples:',
    '  taskcast                                      in memory, no auth, on 127.0.0.1:3721',
    '  taskcast --storage sqlite                     tasks kept in ./taskcast.db across restarts',
    '  taskcast -p 8080 -c taskcast.config.yaml',
    '  TASKCAST_JWT_SECRET=… taskcast --host 0.0.0.0',
    '  TASKCAST_REDIS_URL=redis://127.0.0.1:6379 taskcast',
    '  TASKCAST_POSTGRES_URL=postgres://localhost/taskcast taskcast migrate',
  ].join('\n'),
)

await program.parseAsync(process.argv).catch(fatal)
