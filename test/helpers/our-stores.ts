/**
 * sessionware's three stores, each made fresh for one test and disposed of
 * after it: MemoryStore, FileStore in a temp dir, RedisStore on REDIS_URL
 * under a unique prefix (never FLUSHDB). For tests that run a rule through
 * real HTTP on every store.
 */
import fs from 'fs'
import os from 'os'
import path from 'path'
import { createClient } from 'redis'
import { FileStore } from '../../stores/file'
import { MemoryStore } from '../../stores/memory'
import { RedisStore } from '../../stores/redis'
import { redisAvailable, unavailable } from './redis-server'

export interface OurStore {
  store: MemoryStore | FileStore | RedisStore
  /** Another instance over the same data (a second process, a restart). */
  reopen(): Promise<MemoryStore | FileStore | RedisStore>
  dispose(): Promise<void>
}

export type StoreName = 'MemoryStore' | 'FileStore' | 'RedisStore'

export const uniquePrefix = () => `test:${Math.random().toString(36).slice(2)}:`

export async function makeStore(name: StoreName): Promise<OurStore> {
  if (name === 'MemoryStore') {
    const store = new MemoryStore({ sweepInterval: false })
    return { store, reopen: async () => store, dispose: async () => store.close() }
  }
  if (name === 'FileStore') {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-lifetimes-'))
    const open = () => new FileStore({ path: path.join(root, 'sessions'), reapInterval: false })
    return { store: open(), reopen: async () => open(), dispose: async () => fs.rmSync(root, { recursive: true, force: true }) }
  }
  const url = process.env.REDIS_URL
  if (!url) throw new Error('RedisStore tests need REDIS_URL')
  const clients: Array<ReturnType<typeof createClient>> = []
  const prefix = uniquePrefix()
  const open = async () => {
    const client = createClient({ url })
    client.on('error', () => {})
    await client.connect()
    clients.push(client)
    return new RedisStore({ client, prefix })
  }
  const store = await open()
  return {
    store,
    reopen: open,
    dispose: async () => {
      await store.clear()
      for (const client of clients) await client.quit()
    }
  }
}

/** The stores a test can run on here: RedisStore only with a reachable REDIS_URL (a miss is reported loudly). */
export function storeNames(): StoreName[] {
  const redis = process.env.REDIS_URL ? redisAvailable() : unavailable('REDIS_URL is not set: the RedisStore cases are skipped')
  return redis ? ['MemoryStore', 'FileStore', 'RedisStore'] : ['MemoryStore', 'FileStore']
}
