// A webhook receiver: accepts Taskcast's POSTs, checks the signature over the raw body, drops
// duplicate deliveries, and prints one line per event.
//
//   WEBHOOK_SECRET=s3cr3t node receiver.mjs          # http://127.0.0.1:4000/hooks/taskcast
//   PORT=0 ...                                       # a free port; "listening on <url>" says which
import { createServer } from 'node:http'
import { verifyTaskcastSignature } from './verify-signature.mjs'

const secret = process.env.WEBHOOK_SECRET
if (!secret) {
  console.error('set WEBHOOK_SECRET to the secret of the webhook')
  process.exit(2)
}
const port = Number(process.env.PORT ?? 4000)
const host = process.env.HOST ?? '127.0.0.1'

// A retried delivery carries the same X-Taskcast-Delivery (the event id): handle it once.
// A real receiver keeps this in its database, next to what the event changed.
const seen = new Set()

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/hooks/taskcast') {
    res.writeHead(404).end()
    return
  }
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  const rawBody = Buffer.concat(chunks)

  if (!verifyTaskcastSignature(secret, rawBody, req.headers['x-taskcast-signature'])) {
    console.log('rejected: bad signature')
    res.writeHead(401).end()
    return
  }
  const delivery = req.headers['x-taskcast-delivery']
  // Answer 2xx quickly: anything else (or a timeout) makes Taskcast retry.
  res.writeHead(204).end()
  if (seen.has(delivery)) return
  seen.add(delivery)

  const envelope = JSON.parse(rawBody.toString('utf8'))
  const type = req.headers['x-taskcast-event']
  const detail = type === 'taskcast:status' ? envelope.data.status : JSON.stringify(envelope.data)
  console.log(`${envelope.taskId} #${envelope.filteredIndex} ${type} ${detail}`)
})

server.listen(port, host, () => {
  console.log(`listening on http://${host}:${server.address().port}/hooks/taskcast`)
})

const shutdown = () => server.close(() => process.exit(0))
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
