// A TCP proxy in front of the test server that breaks connections on demand: cut them all,
// end each one after N bytes from the server (mid-frame), or silently stop forwarding.
import net from 'node:net'
import type { AddressInfo } from 'node:net'

interface Link {
  client: net.Socket
  upstream: net.Socket
  fromServer: number
  stalled: boolean
}

export interface CuttingProxy {
  url: string
  /** The path and query of every request that went through, in order. */
  requests: string[]
  /** Destroys every open connection, both sides, as a dropped network would. */
  cutAll(): void
  /** From now on each new connection ends after `bytes` from the server; undefined lifts it. */
  limitEachConnection(bytes: number | undefined): void
  /** Open connections stop forwarding server data but stay open (a half-open link). */
  stallOpenConnections(): void
  /** The next `count` connections are reset as soon as they are accepted. */
  dropNextConnections(count: number): void
  /** Connections accepted so far, dropped ones included. */
  readonly accepted: number
  close(): Promise<void>
}

export interface CuttingProxyOptions {
  /**
   * Ask the server to close each connection after its response, so every request opens a
   * new one: fetch's connection pool then cannot make connection counts vary.
   */
  oneRequestPerConnection?: boolean
}

export async function startCuttingProxy(targetPort: number, options: CuttingProxyOptions = {}): Promise<CuttingProxy> {
  const links = new Set<Link>()
  const requests: string[] = []
  let limit: number | undefined
  let toDrop = 0
  let accepted = 0

  const server = net.createServer((client) => {
    accepted++
    if (toDrop > 0) {
      toDrop--
      client.resetAndDestroy()
      return
    }
    const upstream = net.connect(targetPort, '127.0.0.1')
    const link: Link = { client, upstream, fromServer: 0, stalled: false }
    const connectionLimit = limit
    links.add(link)
    const drop = (): void => {
      links.delete(link)
      client.destroy()
      upstream.destroy()
    }
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1')
      for (const match of text.matchAll(/^[A-Z]+ (\S+) HTTP\/1\.1\r$/gm)) requests.push(match[1]!)
      const head = /^[A-Z]+ \S+ HTTP\/1\.1\r\n/.exec(text)
      if (options.oneRequestPerConnection && head) {
        const end = head[0].length
        upstream.write(Buffer.concat([chunk.subarray(0, end), Buffer.from('connection: close\r\n'), chunk.subarray(end)]))
      } else upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (link.stalled) return
      if (connectionLimit !== undefined && link.fromServer + chunk.length >= connectionLimit) {
        links.delete(link)
        client.end(chunk.subarray(0, connectionLimit - link.fromServer))
        upstream.destroy()
        return
      }
      link.fromServer += chunk.length
      client.write(chunk)
    })
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', () => {
      if (!link.stalled) drop()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cutAll() {
      for (const link of [...links]) {
        links.delete(link)
        link.client.destroy()
        link.upstream.destroy()
      }
    },
    limitEachConnection(bytes) {
      limit = bytes
    },
    stallOpenConnections() {
      for (const link of links) link.stalled = true
    },
    dropNextConnections(count) {
      toDrop = count
    },
    get accepted() {
      return accepted
    },
    close() {
      for (const link of [...links]) {
        link.client.destroy()
        link.upstream.destroy()
      }
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
