// @taskcast/core/testing — the adapter contract suites and test helpers (needs vitest).
export { describeShortTermStoreContract } from './short-term-store-contract.js'
export type { ShortTermStoreContractOptions } from './short-term-store-contract.js'
export { describeBroadcastProviderContract } from './broadcast-provider-contract.js'
export type { BroadcastProviderContractOptions } from './broadcast-provider-contract.js'
export { ManualClock } from './manual-clock.js'
export { makeTask, makeDraft, statusDraft } from './fixtures.js'
