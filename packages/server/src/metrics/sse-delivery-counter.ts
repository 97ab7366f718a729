// Envelopes handed to SSE connections, as plain numbers: a stream adds one per delivery (the
// fan-out hot path) and the metrics read them at scrape time, so no prom-client call per envelope.
export class SseDeliveryCounter {
  /** Envelopes of history replays. */
  replay = 0
  /** Live envelopes, after the replay. */
  live = 0
}
