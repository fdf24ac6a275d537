import express from 'express'
import { afterEach, describe, expect, it, vi } from 'vitest'
import session from '../lib/index'
import { MemoryStore } from '../stores/memory'
import { Client, serve } from './helpers/http'
import { storeContract } from './helpers/store-contract'

storeContract('MemoryStore', {
  create: () => new MemoryStore(),
  dispose: (store) => (store as MemoryStore).close()
})

describe('MemoryStore beyond the contract', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  const record = (maxAge: number, data: object = {}) => ({
    cookie: { originalMaxAge: maxAge, expires: new Date(Date.now() + maxAge), path: '/', httpOnly: true },
    ...data
  })

  it('sweeps expired sessions on its own timer, without anyone reading them', async () => {
    vi.useFakeTimers()
    const store = new MemoryStore({ sweepInterval: 1000 })
    await store.set('short', record(500))
    await store.set('long', record(60_000))
    expect((store as any).sessions.size).toBe(2)
    await vi.advanceTimersByTimeAsync(1000)
    expect((store as any).sessions.size).toBe(1)
    expect(store.size).toBe(1)
    store.close()
  })

  it('sweeps 50,000 expired sessions and keeps the live one', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const expired = record(-1)
    for (let i = 0; i < 50_000; i++) await store.set('s' + i, expired)
    await store.set('live', record(60_000))
    store.sweep()
    while ((store as any).sweeping) await new Promise((resolve) => setImmediate(resolve))
    expect((store as any).sessions.size).toBe(1)
    expect(await store.get('live')).not.toBeNull()
  })

  it('is bounded by max: the least recently written session is evicted and reported', async () => {
    const store = new MemoryStore({ max: 2, sweepInterval: false })
    const evicted: string[] = []
    store.on('evict', (sid) => evicted.push(sid))
    await store.set('a', record(60_000))
    await store.set('b', record(60_000))
    await store.touch('a', record(60_000))
    await store.set('c', record(60_000))
    expect(evicted).toEqual(['b'])
    expect(Object.keys(await store.all()).sort()).toEqual(['a', 'c'])
  })

  it('works from a script: promises, a size property, bunway\'s set(sid, data, maxAge)', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    await store.set('a', { cookie: { maxAge: 60000 }, n: 1 } as any)
    expect(await store.get('a')).toEqual({ cookie: { maxAge: 60000 }, n: 1 })
    expect(store.size).toBe(1)
    vi.useFakeTimers()
    await store.set('sess123', { userId: 1 } as any, 3_600_000)
    expect(await store.get('sess123')).toEqual({ userId: 1 })
    vi.advanceTimersByTime(3_600_001)
    expect(await store.get('sess123')).toBeNull()
    await store.clear()
    expect(store.size).toBe(0)
  })

  it('gives back records as they were set: members in their order, a nested member named cookie kept, a toJSON honoured', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const plain = { n: 1, cookie: record(1000).cookie, nested: { cookie: 'not the session cookie' }, list: [{ cookie: 2 }] }
    await store.set('plain', plain)
    expect(await store.get('plain')).toEqual(JSON.parse(JSON.stringify(plain)))
    expect(Object.keys((await store.get('plain')) as object)).toEqual(['n', 'cookie', 'nested', 'list'])
    const custom = { cookie: record(1000).cookie, secret: 'kept out', toJSON: () => ({ cookie: plain.cookie, shown: true }) }
    await store.set('custom', custom as any)
    expect(await store.get('custom')).toEqual(JSON.parse(JSON.stringify(custom)))
    await store.set('bare', { n: 2 } as any)
    expect(await store.get('bare')).toEqual({ n: 2 })
  })

  it('rejects a non-string session id through the promise, never by throwing', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    await expect(store.get(42 as any)).rejects.toThrow('session id must be a string')
  })
})

describe('MemoryStore under the middleware', () => {
  // "Unmodified" must mean what express-session means, whatever the store holds.
  async function app(store: MemoryStore) {
    const app = express()
    app.use(session({ secret: 'test', store, resave: false, saveUninitialized: false, cookie: { maxAge: 60_000 } }))
    app.get('/set', (req: any, res) => {
      Object.assign(req.session, { count: 1, 2: 'two', nested: { é: 'x\u2028"\\', zero: -0, big: 1e21 }, list: [1, 'a', null] })
      res.send('set')
    })
    // Reads the session, and meanwhile a script rewrites it in the store.
    app.get('/read-while-a-script-writes', async (req: any, res) => {
      const stored = await store.get(req.sessionID)
      await store.set(req.sessionID, { ...stored!, count: 100 })
      res.send(String(req.session.count))
    })
    app.get('/read', (req: any, res) => res.send(String(req.session.count)))
    app.get('/keys', (req: any, res) => res.json(Object.keys(req.session)))
    app.get('/remember', (req: any, res) => {
      req.session.cookie.maxAge = 3_600_000
      res.send('remembered')
    })
    const served = await serve(app)
    return { served, client: new Client(served.url) }
  }

  it('does not rewrite a session the request did not modify', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const { served, client } = await app(store)
    try {
      await client.get('/set')
      expect((await client.get('/read-while-a-script-writes')).body).toBe('1')
      expect((await client.get('/read')).body).toBe('100')
    } finally {
      await served.close()
    }
  })

  it('keeps each session\'s own cookie when a session changes only its own', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const { served, client } = await app(store)
    const other = new Client(served.url)
    try {
      await client.get('/set')
      await other.get('/set')
      // Loaded from the store, the session has its cookie first, as express-session's does
      // (an integer-like key such as '2' always comes first in JavaScript).
      expect(JSON.parse((await client.get('/keys')).body)).toEqual(['2', 'cookie', 'count', 'nested', 'list'])
      await client.get('/remember')
      const records = Object.values(await store.all()) as any[]
      const maxAges = records.map((record) => record.cookie.originalMaxAge).sort()
      expect(maxAges).toEqual([3_600_000, 60_000])
      for (const record of records) expect(Object.keys(record)).toEqual(['2', 'cookie', 'count', 'nested', 'list'])
      expect((await other.get('/read')).body).toBe('1')
      expect(JSON.parse((await other.get('/keys')).body)).toEqual(['2', 'cookie', 'count', 'nested', 'list'])
    } finally {
      await served.close()
    }
  })

  it('does not rewrite a stored session whose members the Session sets aside', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const { served, client } = await app(store)
    try {
      await client.get('/set')
      const [sid, stored] = Object.entries(await store.all())[0]
      await store.set(sid, { ...stored, save: 'a member named like a method' } as any)
      expect((await client.get('/read')).body).toBe('1')
      expect(((await store.get(sid)) as any).save).toBe('a member named like a method')
    } finally {
      await served.close()
    }
  })
})
