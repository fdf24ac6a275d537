/**
 * Store fixes: FileStore touch under the cross-process lock, forward records
 * left alone by merge and touch, MemoryStore's bounded tombstones, RedisStore's
 * key listing and expired merge, FileStore's user-index memory after removals.
 */
import fs from 'fs'
import os from 'os'
import path from 'path'
import Redis from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { forwardRecord } from '../lib/core/renew'
import { FileStore } from '../stores/file'
import { MemoryStore } from '../stores/memory'
import { RedisStore } from '../stores/redis'
import { redisAvailable, redisForTests } from './helpers/redis-server'

const redis = redisAvailable()
const tests = redisForTests(redis)
const cleanup: Array<() => unknown> = []
afterAll(async () => {
  for (const step of cleanup.splice(0)) await Promise.resolve(step()).catch(() => {})
})

const cookie = (maxAge = 60_000, user?: string) => ({
  originalMaxAge: maxAge,
  expires: new Date(Date.now() + maxAge).toISOString(),
  httpOnly: true,
  path: '/',
  ...(user === undefined ? {} : { sessionware: { user } })
})
const record = (data: object, user?: string, maxAge?: number) => ({ cookie: cookie(maxAge, user), ...data })
const patch = (set: Record<string, unknown>, user?: string, maxAge?: number) => ({
  set,
  unset: [],
  cookie: cookie(maxAge, user),
  record: record(set, user, maxAge)
})

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-fixes-'))
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

function fileStore(dir = tempDir()): FileStore {
  return new FileStore({ path: dir, reapInterval: false })
}

function redisStore(prefix = `test:fixes:${Math.random().toString(36).slice(2)}:`) {
  const client = new Redis(tests.url(), { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  cleanup.push(() => client.disconnect())
  return { client, store: new RedisStore({ client, prefix }) }
}

describe('FileStore touch', () => {
  it('waits for the lock file another process holds, then rewrites the record', async () => {
    const store = fileStore()
    await store.set('s', record({ n: 1 }))
    const file = store.fileOf('s')!
    const lock = path.join(store.path, '.lock-' + path.basename(file))
    fs.writeFileSync(lock, '')
    let settled = false
    const touched = store.touch('s', record({ n: 1 }, undefined, 120_000)).finally(() => (settled = true))
    // Work of the same kind on an unlocked file, started later, goes through meanwhile.
    await store.set('other', record({ n: 2 }))
    await store.touch('other', record({ n: 2 }))
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(settled).toBe(false)
    // The lock holder (another process) destroys the session: the touch must not write it back.
    fs.writeFileSync(file, JSON.stringify({ expires: Date.now() + 60_000, gone: true }))
    fs.unlinkSync(lock)
    await touched
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).gone).toBe(true)
    expect(await store.get('s')).toBeNull()
  })

  it('leaves a tombstone as it is', async () => {
    const store = fileStore()
    await store.set('s', record({ n: 1 }))
    await store.destroy('s')
    const before = fs.readFileSync(store.fileOf('s')!, 'utf8')
    await store.touch('s', record({ n: 1 }))
    expect(fs.readFileSync(store.fileOf('s')!, 'utf8')).toBe(before)
  })
})

const stores: Array<{ name: string; skip?: boolean; create(): any; touchChecked: boolean }> = [
  { name: 'MemoryStore', create: () => new MemoryStore({ sweepInterval: false }), touchChecked: true },
  { name: 'FileStore', create: () => fileStore(), touchChecked: true },
  // RedisStore's touch is an EXPIRE: it never rewrites a record.
  { name: 'RedisStore', skip: !redis, create: () => redisStore().store, touchChecked: false }
]

describe.each(stores)('$name and forward records', ({ skip, create, touchChecked }) => {
  it.skipIf(skip)('merge answers gone and writes nothing; touch leaves the record as it is', async () => {
    const store = create()
    const forward = forwardRecord('new-id', Date.now(), 30_000, '/')
    await store.set('old', forward)
    const stored = await store.get('old')
    expect(await store.merge('old', patch({ n: 1 }, 'ada'))).toBe('gone')
    expect(await store.get('old')).toEqual(stored)
    if (touchChecked) {
      await store.touch('old', record({ n: 1 }, 'ada', 120_000))
      expect(await store.get('old')).toEqual(stored)
    }
    if (typeof store.userSessions === 'function') expect(await store.userSessions('ada')).toEqual({})
  })

  it.skipIf(skip)('a user key named renewedTo is no forward', async () => {
    const store = create()
    await store.set('s', record({ renewedTo: 'x', sessionware: { renewedTo: 'y' } }))
    expect(await store.merge('s', patch({ n: 1 }))).toBe('merged')
    expect((await store.get('s')).n).toBe(1)
  })
})

describe('MemoryStore tombstones', () => {
  it('are bounded, the oldest forgotten first', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    for (let i = 0; i <= 10_000; i++) await store.destroy('t' + i)
    expect(await store.merge('t0', patch({ n: 1 }))).toBe('created')
    expect(await store.merge('t1', patch({ n: 1 }))).toBe('gone')
    expect(await store.merge('t10000', patch({ n: 1 }))).toBe('gone')
  })

  it('are removed by clear', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    await store.destroy('s')
    await store.clear()
    expect(await store.merge('s', patch({ n: 1 }))).toBe('created')
  })
})

describe.skipIf(!redis)('RedisStore', () => {
  it('does not count the user index as sessions when the prefix has no trailing colon', async () => {
    const { store } = redisStore(`test-fixes-${Math.random().toString(36).slice(2)}`)
    expect(store.userPrefix.startsWith(store.prefix)).toBe(true)
    await store.set('s', record({ n: 1 }, 'ada'))
    expect(await store.ids()).toEqual(['s'])
    expect(await store.length()).toBe(1)
    expect(Object.keys(await store.all())).toEqual(['s'])
    await store.clear()
    expect(await store.length()).toBe(0)
    expect(await store.userSessions('ada')).toEqual({})
  })

  it('merging an expired cookie destroys the session: index entry removed, tombstone written', async () => {
    const { client, store } = redisStore()
    await store.set('s', record({ n: 1 }, 'ada'))
    expect(await client.smembers(store.userPrefix + 'ada')).toEqual(['s'])
    expect(await store.merge('s', patch({ n: 2 }, 'ada', -1000))).toBe('merged')
    expect(await store.get('s')).toBeNull()
    expect(await client.smembers(store.userPrefix + 'ada')).toEqual([])
    expect(await client.exists(store.tombstonePrefix + 's')).toBe(1)
    expect(await store.merge('s', patch({ n: 3 }, 'ada'))).toBe('gone')
  })
})

describe('FileStore user index after removals', () => {
  it('indexes a session again after the reaper removed its expired file', async () => {
    const store = fileStore()
    await store.set('s', record({ n: 1 }, 'ada', -1000))
    await store.reap()
    expect(fs.existsSync(store.fileOf('s')!)).toBe(false)
    await store.set('s', record({ n: 2 }, 'ada'))
    expect(Object.keys(await store.userSessions('ada'))).toEqual(['s'])
  })

  it('indexes a session again after userSessions pruned its entry', async () => {
    const dir = tempDir()
    const one = fileStore(dir)
    const two = fileStore(dir)
    await one.set('s', record({ n: 1 }, 'ada'))
    // Another process gives the session to another user: its entry under ada is stale, and pruned.
    await two.set('s', record({ n: 2 }, 'bob'))
    expect(await one.userSessions('ada')).toEqual({})
    await one.set('s', record({ n: 3 }, 'ada'))
    expect(Object.keys(await one.userSessions('ada'))).toEqual(['s'])
  })
})
