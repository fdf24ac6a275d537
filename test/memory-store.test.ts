import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemoryStore } from '../stores/memory'
import { storeContract } from './helpers/store-contract'

storeContract('MemoryStore', {
  create: () => new MemoryStore(),
  dispose: (store) => (store as MemoryStore).close()
})
