// Keep-alive connections at shutdown: each one is closed as soon as its last response is done,
// not only those that happen to be idle at the moment the shutdown starts.
import type { Server, ServerResponse } from 'node:http'

/**
 * Watches `http`'s responses; the returned function closes the idle connections now and, from
 * then on, every connection whose response ends.
 */
export function closeConnectionsWhenIdle(http: Server): () => void {
  let closing = false
  // An SSE stream that app.close() ended finishes a few ticks later, through the adapter's pipe;
  // a response's 'close' comes after Node has detached it from its socket, which is then idle.
  http.on('request', (_request, response: ServerResponse) => {
    response.once('close', () => {
      if (closing) http.closeIdleConnections()
    })
  })
  return () => {
    closing = true
    http.closeIdleConnections()
  }
}
