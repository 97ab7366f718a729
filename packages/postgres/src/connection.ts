// Borrowing a pooled connection with error mapping, and running work in a transaction on it.
import pg from 'pg'
import type { Pool, PoolClient } from 'pg'
import { connectError, isStatementError, queryError } from './errors.js'

/** A checked-out connection. */
interface Lease {
  client: PoolClient
  /**
   * Returns the connection to the pool, or destroys it when it may be half-broken: its
   * socket failed, `error` is not a plain statement error, or `reusable` is false.
   */
  release(error?: unknown, reusable?: boolean): void
}

async function acquire(pool: Pool): Promise<Lease> {
  let client: PoolClient
  try {
    client = await pool.connect()
  } catch (error) {
    throw connectError(error)
  }
  // pg-pool listens for socket errors only on idle clients; one raised while the client is
  // checked out (the server ending the connection mid-statement) would otherwise be an
  // uncaught exception. The pending statement rejects by itself, so noting it suffices.
  let socketError: Error | undefined
  const onError = (error: Error) => {
    socketError ??= error
  }
  client.on('error', onError)
  return {
    client,
    release(error, reusable = true) {
      client.removeListener('error', onError)
      const healthy = socketError === undefined && (error === undefined || (reusable && isStatementError(error)))
      client.release(healthy ? undefined : (socketError ?? (error instanceof Error ? error : true)))
    },
  }
}

/**
 * Runs `work` on a connection from `pool`. A failure to connect becomes
 * `STORE_UNAVAILABLE`; a failure of `work` is mapped by {@link queryError}.
 */
export async function withClient<T>(pool: Pool, action: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const { client, release } = await acquire(pool)
  try {
    const result = await work(client)
    release()
    return result
  } catch (error) {
    release(error)
    throw queryError(error, action)
  }
}

/** Runs `work` between BEGIN and COMMIT on one connection; rolls back when it throws. */
export async function withTransaction<T>(
  pool: Pool,
  action: string,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const { client, release } = await acquire(pool)
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    release()
    return result
  } catch (error) {
    // When the rollback fails too the connection is unusable; the first error is the one to report.
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    )
    release(error, rolledBack)
    throw queryError(error, action)
  }
}

/** Options for a pool the package creates (and therefore closes) itself. */
export interface OwnedPoolOptions {
  connectionString: string
  connectionTimeoutMillis: number
  max?: number
}

/**
 * A pool created from a URL. An idle connection that drops (server restart, network) makes
 * pg emit `error` on the pool, which would crash the process without a listener; the
 * next checkout simply opens a new connection, and failures then surface per call.
 */
export function createOwnedPool(options: OwnedPoolOptions): Pool {
  const pool = new pg.Pool(options)
  pool.on('error', () => undefined)
  return pool
}
