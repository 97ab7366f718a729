// A node:net TCP proxy that stands for a network link to a service (Redis, PostgreSQL) which
// a scenario takes down and brings back, without touching the shared service itself.
import net from 'node:net'
import type { AddressInfo } from 'node:net'

export class TcpProxy {
  private readonly links = new Set<{ client: net.Socket; upstream: net.Socket }>()
  private isDown = false
  /** Connections accepted and forwarded so far. */
  forwarded = 0
  /** Connections reset because the link was down. */
  refused = 0

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  /** Listens on a free loopback port and forwards every connection to `target` (`host:port`). */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined
    const server = net.createServer((client) => proxy!.accept(client, target))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    })
    proxy = new TcpProxy(server, (server.address() as AddressInfo).port)
    return proxy
  }

  /** The address to give clients instead of the service's: same URL, this proxy's port. */
  rewrite(serviceUrl: string): string {
    const url = new URL(serviceUrl)
    url.hostname = '127.0.0.1'
    url.port = String(this.port)
    return url.toString()
  }

  /**
   * The link goes down: open connections are destroyed on both sides, and from now on new
   * ones are reset as soon as they are accepted (the client sees its connect fail), until `up()`.
   */
  down(): void {
    this.isDown = true
    for (const link of [...this.links]) {
      this.links.delete(link)
      link.client.destroy()
      link.upstream.destroy()
    }
  }

  up(): void {
    this.isDown = false
  }

  /** Connections currently forwarded. */
  get open(): number {
    return this.links.size
  }

  async close(): Promise<void> {
    this.down()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(client: net.Socket, target: { host: string; port: number }): void {
    if (this.isDown) {
      this.refused++
      client.on('error', () => {})
      client.resetAndDestroy()
      return
    }
    this.forwarded++
    const upstream = net.connect(target.port, target.host)
    const link = { client, upstream }
    this.links.add(link)
    const drop = (): void => {
      this.links.delete(link)
      client.destroy()
      upstream.destroy()
    }
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
  }
}

/** `{ host, port }` of a redis:// or postgres:// URL. */
export function hostAndPort(serviceUrl: string, defaultPort: number): { host: string; port: number } {
  const url = new URL(serviceUrl)
  return { host: url.hostname, port: url.port === '' ? defaultPort : Number(url.port) }
}
