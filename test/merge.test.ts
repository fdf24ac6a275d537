/**
 * The changed-keys merge: the pure rules (lib/core/changes.ts), each store's
 * `merge` and tombstones, and which path the middleware takes when the
 * store's methods were replaced (no side door).
 */
import fs from 'fs'
import os from 'os'
import path from 'path'
import express from 'express'
import Redis from 'ioredis'
import { createClient } from 'redis'
import { afterAll, describe, expect, it } from 'vitest'
import session, { FileStore, MemoryStore, RedisStore } from '../lib/index'
import { applyPatch, members, spliceJson } from '../lib/core/changes'
import { changesBetween, snapshotOf } from '../lib/core/snapshot'
import { canMerge } from '../lib/store-bridge'
import { Client, serve, type Served } from './helpers/http'
import { redisAvailable, redisForTests } from './helpers/redis-server'
import { concurrencyApp } from './helpers/routes'

const redis = redisAvailable()
const tests = redisForTests(redis)
const cleanup: Array<() => unknown> = []
afterAll(async () => {
  for (const step of cleanup.splice(0)) await Promise.resolve(step()).catch(() => {})
})

const cookie = (maxAge = 60_000) => ({ originalMaxAge: maxAge, expires: new Date(Date.now() + maxAge).toISOString(), httpOnly: true, path: '/' })
const record = (data: object) => ({ cookie: cookie(), ...data })
const patch = (set: Record<string, unknown>, unset: string[] = [], whole: object = {}) => ({ set, unset, cookie: cookie(), record: record(whole) })

describe('changedKeys / applyPatch / spliceJson', () => {
  it('finds the top-level keys set, changed deeply and deleted, and nothing when the JSON is the same', () => {
    const loaded = { a: 1, b: { c: [1, 2] }, d: 'x', e: null }
    const now = { a: 1, b: { c: [1, 3] }, e: null, f: [] }
    expect(changesBetween(snapshotOf(loaded), snapshotOf(now))).toEqual({ set: { b: { c: [1, 3] }, f: [] }, unset: ['d'] })
    expect(changesBetween(snapshotOf(loaded), snapshotOf(loaded))).toEqual({ set: {}, unset: [] })
    // Compared as JSON text: the same content in another key order is written again (harmless).
    const reordered = { o: { y: 2, x: 1 } }
    expect(changesBetween(snapshotOf({ o: { x: 1, y: 2 } }), snapshotOf(reordered))).toEqual({ set: { o: { y: 2, x: 1 } }, unset: [] })
  })

  it('tells two sessions apart exactly when their JSON (without the cookie) differs', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON(key: string) {
        return key === 'price' ? `${this.cents / 100} EUR` : this.cents
      }
    }
    const values: unknown[] = [
      undefined, null, 0, -0, 1, 1.5, NaN, Infinity, -Infinity, '', '0', 'null', '{"a":1}', 'é 🙂 \u2028', true, false,
      () => 1, Symbol('s'), [], [undefined], [NaN], {}, { a: 1 }, { a: 1, b: undefined }, { b: undefined, a: 1 },
      { a: { b: [1, { c: null }] } }, new Date(0), new Date(1), new Money(150), { price: new Money(150) }, [new Money(150)]
    ]
    const sessions: object[] = [{}, { cookie: { a: 1 } }, { cookie: { a: 2 } }]
    for (const value of values) {
      sessions.push({ x: value }, { x: value, y: 1 }, { y: 1, x: value }, { price: value }, { x: value, cookie: { b: 1 } })
    }
    // A data object with its own toJSON (a session with flash messages) is read in that form.
    sessions.push({ x: 1, toJSON: () => ({ x: 1 }) }, { x: 1, toJSON: () => ({ x: 2, f: [] }) })
    const json = (data: object) => JSON.stringify({ ...JSON.parse(JSON.stringify(data) ?? '{}'), cookie: undefined })
    for (const a of sessions) {
      for (const b of sessions) {
        expect(snapshotOf(a).equals(snapshotOf(b)), `${json(a)} vs ${json(b)}`).toBe(json(a) === json(b))
      }
    }
    expect(() => snapshotOf({ n: 1n })).toThrow(TypeError)
    const cycle: any = {}
    cycle.self = cycle
    expect(() => snapshotOf({ cycle })).toThrow(TypeError)
  })

  it('applies the changes to the stored record, keeps the keys it did not touch, replaces the cookie', () => {
    const stored = { cookie: { originalMaxAge: 1 }, other: [], b: 1, d: 2 } as any
    const next = cookie()
    expect(applyPatch(stored, { set: { b: 2, n: { deep: true } }, unset: ['d'], cookie: next as any })).toEqual({ cookie: next, other: [], b: 2, n: { deep: true } })
  })

  it('splices members as text: untouched values keep their bytes, whatever they hold', () => {
    const stored = { cookie: { a: 1 }, t: 'a "q" {b} [c] \\ \u00e9 🙂 ,:', n: [[], {}, [{ x: '}' }]], big: 12345678901234567890, e: 1e-7, z: null }
    const text = JSON.stringify(stored)
    expect(members(text)!.filter((_, i) => i % 2 === 0)).toEqual(Object.keys(stored).map((key) => JSON.stringify(key)))
    const next = spliceJson(text, { set: { n: 1, added: 'x' }, unset: ['z'], cookie: { b: 2 } as any })!
    expect(JSON.parse(next)).toEqual({ cookie: { b: 2 }, t: stored.t, n: 1, big: stored.big, e: 1e-7, added: 'x' })
    expect(next).toContain(JSON.stringify(stored.t))
    for (const bad of ['[]', '{"a":1', '{"a" 1}', '{"a":"x}', 'null', '{"a":1}x']) expect(members(bad)).toBeUndefined()
    expect(members(' { } ')).toEqual([])
  })
})

async function nodeRedis() {
  const client = createClient({ url: tests.url() })
  client.on('error', () => {})
  await client.connect()
  cleanup.push(() => client.disconnect())
  return client
}

const stores: Array<{ name: string; skip?: boolean; create(): Promise<any> }> = [
  { name: 'MemoryStore', create: async () => new MemoryStore({ sweepInterval: false }) },
  {
    name: 'FileStore',
    create: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-merge-'))
      cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }))
      return new FileStore({ path: dir, reapInterval: false })
    }
  },
  {
    name: 'RedisStore (node-redis)',
    skip: !redis,
    create: async () => new RedisStore({ client: await nodeRedis(), prefix: `test:merge:${Math.random().toString(36).slice(2)}:` })
  },
  {
    name: 'RedisStore (ioredis)',
    skip: !redis,
    create: async () => {
      const client = new Redis(tests.url())
      cleanup.push(() => client.disconnect())
      return new RedisStore({ client, prefix: `test:merge:${Math.random().toString(36).slice(2)}:` })
    }
  }
]

describe.each(stores)('$name merge', ({ skip, create }) => {
  it.skipIf(skip)('applies the changed keys to the record as stored, keeping every other value exactly', async () => {
    const store = await create()
    const tricky = { empty: [], obj: {}, big: 1733379000123, float: 0.1 + 0.2, text: 'a "quoted" {brace} [bracket] \\ back\u00e9 🙂', nested: { a: [1, { b: '}' }] } }
    await store.set('s', record({ ...tricky, mine: 1, theirs: 1, old: true }))
    expect(await store.merge('s', patch({ mine: 2, added: { x: [] } }, ['old']))).toBe('merged')
    const got = await store.get('s')
    expect(got).toEqual({ cookie: expect.any(Object), ...tricky, mine: 2, theirs: 1, added: { x: [] } })
    expect(got.old).toBeUndefined()
  })

  it.skipIf(skip)('stores the whole record when there is none, and nothing after a destroy (a tombstone)', async () => {
    const store = await create()
    expect(await store.merge('fresh', patch({ a: 1 }, [], { a: 1, whole: true }))).toBe('created')
    expect((await store.get('fresh')).whole).toBe(true)
    await store.destroy('fresh')
    expect(await store.merge('fresh', patch({ a: 2 }, [], { a: 2 }))).toBe('gone')
    expect(await store.get('fresh')).toBeFalsy()
    // A set after the destroy (the app's own) is a live record again: merges apply to it.
    await store.set('fresh', record({ again: true }))
    expect(await store.merge('fresh', patch({ a: 3 }))).toBe('merged')
    expect(await store.get('fresh')).toMatchObject({ again: true, a: 3 })
  })

  it.skipIf(skip)('answers through a callback as well', async () => {
    const store = await create()
    await store.set('cb', record({ a: 1 }))
    const outcome = await new Promise((resolve, reject) => store.merge('cb', patch({ b: 2 }), (err: any, value: any) => (err ? reject(err) : resolve(value))))
    expect(outcome).toBe('merged')
    expect(await store.get('cb')).toMatchObject({ a: 1, b: 2 })
  })
})

describe('FileStore merge across processes', () => {
  it('breaks a lock file left by a crashed process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-lock-'))
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const store = new FileStore({ path: dir, reapInterval: false })
    await store.set('s', record({ a: 1 }))
    const lock = path.join(dir, '.lock-' + path.basename(store.fileOf('s')!))
    fs.writeFileSync(lock, '')
    const old = new Date(Date.now() - 60_000)
    fs.utimesSync(lock, old, old)
    expect(await store.merge('s', patch({ b: 2 }))).toBe('merged')
    expect(await store.get('s')).toMatchObject({ a: 1, b: 2 })
    expect(fs.existsSync(lock)).toBe(false)
  })
})

describe('no side door: which merge the middleware uses', () => {
  let served: Served | undefined
  afterAll(() => served?.close())

  it("uses a store's own merge only while its get, set and destroy are its own", () => {
    const store = new MemoryStore({ sweepInterval: false })
    expect(canMerge(store)).toBe(true)
    store.set = store.set.bind(store)
    expect(canMerge(store)).toBe(false)
    class Audited extends MemoryStore {
      set(sid: string, record: any, callback?: any): any {
        return super.set(sid, record, callback)
      }
    }
    expect(canMerge(new Audited())).toBe(false)
    class AuditedWithMerge extends Audited {
      merge(sid: string, p: any, callback?: any): any {
        return super.merge(sid, p, callback)
      }
    }
    expect(canMerge(new AuditedWithMerge())).toBe(true)
  })

  it('a set replaced on our store after mounting sees every save, and concurrent requests still keep 50 of 50', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const middleware = session({ secret: 's', resave: false, saveUninitialized: false, store })
    served = await serve(concurrencyApp(express, middleware))
    const client = new Client(served.url)
    await client.get('/start')
    let sets = 0
    const set = store.set
    store.set = function (this: any, ...args: any[]) {
      sets++
      return (set as Function).apply(this, args)
    } as any
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`)
    await Promise.all(keys.map((key) => client.get(`/set/${key}`)))
    expect(sets).toBe(50)
    const data = JSON.parse((await client.get('/data')).body)
    expect(keys.filter((key) => data[key])).toHaveLength(50)
  })

  it('resave: true on unmodified requests writes the cookie, not the stale data', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    served?.close()
    served = await serve(concurrencyApp(express, session({ secret: 's', resave: true, saveUninitialized: false, store })))
    const client = new Client(served.url)
    await client.get('/start')
    // 25 requests that change nothing interleaved with 25 that each set a key.
    const keys = Array.from({ length: 25 }, (_, i) => `k${i}`)
    await Promise.all(keys.flatMap((key) => [client.get(`/set/${key}`), client.get('/whoami')]))
    const data = JSON.parse((await client.get('/data')).body)
    expect(keys.filter((key) => data[key])).toHaveLength(25)
  })
})
