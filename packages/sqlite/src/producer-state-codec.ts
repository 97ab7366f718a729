// Producer state (SPEC §19) as the producers table keeps it: core's ProducerState as compact JSON,
// `{"epoch":2,"next":7,"batches":[seq,count,index, seq,count,index, …]}`, oldest batch first.
import type { ProducerState } from '@taskcast/core/internal'

export function encodeProducerState(state: ProducerState): string {
  const batches: number[] = []
  for (const [seq, { count, index }] of state.batches) batches.push(seq, count, index)
  return JSON.stringify({ epoch: state.epoch, next: state.next, batches })
}

export function decodeProducerState(text: string): ProducerState {
  const { epoch, next, batches } = JSON.parse(text) as { epoch: number; next: number; batches: number[] }
  const state: ProducerState = { epoch, next, batches: new Map() }
  for (let i = 0; i < batches.length; i += 3) state.batches.set(batches[i]!, { count: batches[i + 1]!, index: batches[i + 2]! })
  return state
}
