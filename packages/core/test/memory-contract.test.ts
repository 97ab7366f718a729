import { describeBroadcastProviderContract, describeLongTermStoreContract, describeShortTermStoreContract } from '../src/testing/index.js'
import { MemoryBroadcastProvider } from '../src/memory/memory-broadcast-provider.js'
import { MemoryShortTermStore } from '../src/memory/memory-short-term-store.js'
import { MemoryLongTermStore } from '../src/memory/memory-long-term-store.js'

describeShortTermStoreContract('memory', { create: () => new MemoryShortTermStore(), deadlines: true })
describeBroadcastProviderContract('memory', {
  create: () => {
    const provider = new MemoryBroadcastProvider()
    provider.onHandlerError = () => {}
    return provider
  },
})
describeLongTermStoreContract('memory', { create: () => new MemoryLongTermStore() })
