// The Lua scripts, registered once per connection with ioredis `defineCommand`: ioredis
// sends EVALSHA and falls back to EVAL when the server answers NOSCRIPT.
import { PRODUCER_RETRY_WINDOW } from '@taskcast/core'
import type { RedisClient } from '../connection.js'
import { DRAFT_STRIDE } from '../event-codec.js'
import appendEvents from './append-events-4.lua'
import appendProducerEvents from './append-producer-events-4.lua'
import createTask from './create-task-4.lua'
import deleteEvents from './delete-events-4.lua'
import deleteTask from './delete-task-4.lua'
import expireTask from './expire-task-4.lua'
import appendEvent from './includes/append-event.lua'
import applyTtl from './includes/apply-ttl.lua'
import outboxClaim from './outbox-claim-1.lua'
import readEventsFrom from './read-events-from-2.lua'
import transitionTask from './transition-task-4.lua'
import acquireDelivery from './acquire-delivery-2.lua'
import claimDeliveries from './claim-deliveries-1.lua'
import deliveryState from './includes/delivery-state.lua'
import extendDelivery from './extend-delivery-1.lua'
import releaseDelivery from './release-delivery-2.lua'

type Arg = string | number

/** A script call: KEYS then ARGV, flattened as ioredis expects. */
type ScriptCall<R> = (...keysThenArgs: Arg[]) => Promise<R>

/** The commands `defineScripts` adds to a client. Names carry a prefix to stay clear of the caller's own. */
export interface TaskcastScripts {
  taskcastCreateTask: ScriptCall<number>
  taskcastTransitionTask: ScriptCall<number | [number, ...string[]]>
  taskcastAppendEvents: ScriptCall<number>
  taskcastAppendProducerEvents: ScriptCall<[number, number?, string[]?]>
  taskcastDeleteEvents: ScriptCall<number>
  taskcastReadEventsFrom: ScriptCall<[number, string[]] | null>
  taskcastDeleteTask: ScriptCall<number>
  taskcastExpireTask: ScriptCall<number>
  taskcastOutboxClaim: ScriptCall<number>
  taskcastAcquireDelivery: ScriptCall<[number, ...(number | string)[]]>
  taskcastExtendDelivery: ScriptCall<number>
  taskcastReleaseDelivery: ScriptCall<number>
  taskcastClaimDeliveries: ScriptCall<string[]>
}

interface ScriptDefinition {
  /** The file name; `<name>-<numberOfKeys>.lua` gives the number of keys. */
  file: string
  /** Included helpers (local functions), in the order they are prepended. */
  includes: string[]
  source: string
}

/** Every script with the file it lives in (tests check the names against the files). */
export const SCRIPTS: Record<keyof TaskcastScripts, ScriptDefinition> = {
  taskcastCreateTask: { file: 'create-task-4.lua', includes: [applyTtl], source: createTask },
  taskcastTransitionTask: { file: 'transition-task-4.lua', includes: [applyTtl, appendEvent], source: transitionTask },
  taskcastAppendEvents: { file: 'append-events-4.lua', includes: [applyTtl, appendEvent], source: appendEvents },
  taskcastAppendProducerEvents: { file: 'append-producer-events-4.lua', includes: [applyTtl, appendEvent], source: appendProducerEvents },
  taskcastDeleteEvents: { file: 'delete-events-4.lua', includes: [applyTtl], source: deleteEvents },
  taskcastDeleteTask: { file: 'delete-task-4.lua', includes: [], source: deleteTask },
  taskcastReadEventsFrom: { file: 'read-events-from-2.lua', includes: [], source: readEventsFrom },
  taskcastExpireTask: { file: 'expire-task-4.lua', includes: [applyTtl], source: expireTask },
  taskcastOutboxClaim: { file: 'outbox-claim-1.lua', includes: [], source: outboxClaim },
  taskcastAcquireDelivery: { file: 'acquire-delivery-2.lua', includes: [deliveryState], source: acquireDelivery },
  taskcastExtendDelivery: { file: 'extend-delivery-1.lua', includes: [deliveryState], source: extendDelivery },
  taskcastReleaseDelivery: { file: 'release-delivery-2.lua', includes: [deliveryState], source: releaseDelivery },
  taskcastClaimDeliveries: { file: 'claim-deliveries-1.lua', includes: [], source: claimDeliveries },
}

/**
 * Constants the scripts share with the TypeScript side, defined there once and prepended
 * to every script as Lua locals (the headers name them; the files never repeat the values).
 */
export const SCRIPT_CONSTANTS = `local DRAFT_STRIDE = ${DRAFT_STRIDE}\nlocal PRODUCER_RETRY_WINDOW = ${PRODUCER_RETRY_WINDOW}`

/** The Lua a script is registered with: the constants, its includes, then its own file. */
export function scriptLua(script: ScriptDefinition): string {
  return [SCRIPT_CONSTANTS, ...script.includes, script.source].join('\n')
}

/** The number of keys a script takes, read from its file name. */
export function numberOfKeys(file: string): number {
  const match = /-(\d+)\.lua$/.exec(file)
  if (!match) throw new Error(`script file ${file} does not end in -<numberOfKeys>.lua`)
  return Number(match[1])
}

/** Registers the scripts on `client` (idempotent) and returns it typed with them. */
export function defineScripts(client: RedisClient): RedisClient & TaskcastScripts {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    client.defineCommand(name, {
      numberOfKeys: numberOfKeys(script.file),
      lua: scriptLua(script),
    })
  }
  return client as RedisClient & TaskcastScripts
}
