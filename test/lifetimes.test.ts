import express from 'express'
import expressSession from 'express-session'
import { afterEach, describe, expect, it, vi } from 'vitest'
import session from '../lib/index'
import { Client, serve, type Served } from './helpers/http'
import { makeStore, storeNames, type OurStore } from './helpers/our-stores'

/**
 * idleTimeout and absoluteTimeout through real HTTP, on each of our stores.
 * Only Date is faked (the sockets, the stores' I/O and Redis run for real):
 * the clock jumps, nobody sleeps.
 */
const MINUTE = 60_000

let served: Served | undefined
let ours: OurStore | undefined
afterEach(async () => {
  vi.useRealTimers()
  await served?.close()
  await ours?.dispose()
  served = ours = undefined
})

function advance(ms: number) {
  vi.setSystemTime(Date.now() + ms)
}

async function app(options: object) {
  const middleware = session({ secret: 'lifetimes', resave: false, saveUninitialized: false, store: ours!.store, ...options })
  const expired: Array<{ id: string; reason: string }> = []
  middleware.events.on('expired', ({ id, reason }) => void expired.push({ id, reason }))
  const app = express()
  app.use(middleware)
  app.post('/login', (req: any, res) => {
    req.session.regenerate((err: any) => {
      if (err) return res.status(500).send(String(err))
      req.session.userId = 'ada'
      res.send('in')
    })
  })
  app.get('/me', (req: any, res) => res.send(String(req.session.userId ?? 'nobody')))
  app.get('/renew', (req: any, res) => {
    req.session.cookie.maxAge = 60 * MINUTE
    res.send('ok')
  })
  served = await serve(app)
  return { client: new Client(served.url), middleware, expired }
}

describe.each(storeNames())('session lifetimes on %s', (name) => {
  it('idleTimeout: a session unused for longer is destroyed and replaced; a used one lives on', async () => {
    ours = await makeStore(name as any)
    vi.useFakeTimers({ toFake: ['Date'] })
    const { client, expired } = await app({ idleTimeout: 30 * MINUTE })
    await client.post('/login')
    const first = client.sid()
    for (let i = 0; i < 4; i++) {
      advance(20 * MINUTE) // 80 minutes in all, never 30 unused
      expect((await client.get('/me')).body).toBe('ada')
    }
    expect(client.sid()).toBe(first)
    advance(31 * MINUTE)
    const after = await client.get('/me')
    expect(after.body).toBe('nobody')
    expect(await ours.store.get(first)).toBeNull()
    expect(expired).toHaveLength(1)
    expect(expired[0].reason).toBe('idle')
  })

  it('absoluteTimeout: neither rolling, touch, cookie changes nor activity extend it', async () => {
    ours = await makeStore(name as any)
    vi.useFakeTimers({ toFake: ['Date'] })
    const { client, expired } = await app({ absoluteTimeout: 60 * MINUTE, idleTimeout: 30 * MINUTE, rolling: true, cookie: { maxAge: 45 * MINUTE } })
    await client.post('/login')
    const first = client.sid()
    for (let i = 0; i < 5; i++) {
      advance(11 * MINUTE) // 55 minutes
      expect((await client.get(i === 2 ? '/renew' : '/me')).body).not.toBe('nobody')
    }
    advance(6 * MINUTE)
    expect((await client.get('/me')).body).toBe('nobody')
    expect(await ours.store.get(first)).toBeNull()
    expect(expired.map((e) => e.reason)).toEqual(['absolute'])
  })

  it('keeps the last-use time current without a write per request', async () => {
    ours = await makeStore(name as any)
    vi.useFakeTimers({ toFake: ['Date'] })
    const { client } = await app({ idleTimeout: 10 * MINUTE })
    await client.post('/login')
    const store = ours.store as any
    const set = store.set
    const writes: number[] = []
    store.set = function (this: any, ...args: any[]) {
      writes.push(Date.now())
      return set.apply(this, args)
    }
    const usedOf = async () => (await ours!.store.get(client.sid()))!.cookie.sessionware.used
    const loggedIn = await usedOf()
    // MemoryStore's and FileStore's touch store the cookie, and the time with it;
    // RedisStore's touch is an EXPIRE, so its time is rewritten by a save once it is
    // a tenth of idleTimeout (60 s) old.
    const touchStoresTime = name !== 'RedisStore'
    for (let i = 0; i < 5; i++) {
      advance(10_000) // 50 s
      await client.get('/me')
    }
    expect(writes).toHaveLength(0)
    expect(await usedOf()).toBe(touchStoresTime ? Date.now() : loggedIn)
    advance(15_000)
    await client.get('/me')
    expect(writes).toHaveLength(touchStoresTime ? 0 : 1)
    expect(await usedOf()).toBe(Date.now())
  })
})

describe('lifetime metadata in the stored record', () => {
  it('lives in cookie.sessionware, not in the data or Set-Cookie, and the record still loads in express-session', async () => {
    ours = await makeStore('MemoryStore')
    const { client } = await app({ idleTimeout: MINUTE, userKey: 'userId' })
    const reply = await client.post('/login')
    expect(reply.setCookie.join()).not.toMatch(/sessionware/)
    const record = (await ours.store.get(client.sid()))!
    expect(Object.keys(record).sort()).toEqual(['cookie', 'userId'])
    expect(record.cookie.sessionware).toEqual({ created: expect.any(Number), used: expect.any(Number), user: 'ada' })

    // express-session, over the same store and cookie, reads it and saves it back.
    const reference = express()
    reference.use(expressSession({ secret: 'lifetimes', resave: true, saveUninitialized: false, store: ours.store as any }))
    reference.get('/me', (req: any, res) => res.send(String(req.session.userId)))
    const other = await serve(reference)
    try {
      const theirs = new Client(other.url)
      theirs.cookies.set('connect.sid', client.cookies.get('connect.sid')!)
      expect((await theirs.get('/me')).body).toBe('ada')
    } finally {
      await other.close()
    }
  })

  it('a record stored before the timeouts were on gets its metadata on its next request', async () => {
    ours = await makeStore('MemoryStore')
    const before = await app({})
    await before.client.post('/login')
    const sid = before.client.sid()
    expect((await ours.store.get(sid))!.cookie.sessionware).toBeUndefined()
    await served!.close()
    const after = await app({ absoluteTimeout: MINUTE })
    after.client.cookies.set('connect.sid', before.client.cookies.get('connect.sid')!)
    expect((await after.client.get('/me')).body).toBe('ada')
    expect((await ours.store.get(sid))!.cookie.sessionware.created).toEqual(expect.any(Number))
  })

  it('a record whose cookie has expired, handed back by a store that does not check, is destroyed (reason: cookie)', async () => {
    const destroyed: string[] = []
    const past = { cookie: { originalMaxAge: 1000, expires: new Date(Date.now() - 1000).toISOString() }, userId: 'ada' }
    const lax = { get: async () => past, set: async () => {}, destroy: async (sid: string) => void destroyed.push(sid) }
    const middleware = session({ secret: 'lifetimes', resave: false, saveUninitialized: false, store: lax, idleTimeout: MINUTE })
    const reasons: string[] = []
    middleware.events.on('expired', ({ reason }) => void reasons.push(reason))
    const app = express()
    app.use(middleware)
    app.get('/me', (req: any, res) => res.send(String(req.session.userId ?? 'nobody')))
    served = await serve(app)
    const { sign } = await import('cookie-signature')
    const reply = await new Client(served.url).get('/me', { cookie: 'connect.sid=' + encodeURIComponent('s:' + sign('stale', 'lifetimes')) })
    expect(reply.body).toBe('nobody')
    expect(destroyed).toEqual(['stale'])
    expect(reasons).toEqual(['cookie'])
  })

  it('rejects timeouts that are not positive numbers', () => {
    expect(() => session({ secret: 's', resave: false, saveUninitialized: false, idleTimeout: 0 } as any)).toThrow(/idleTimeout option must be a positive number/)
    expect(() => session({ secret: 's', resave: false, saveUninitialized: false, absoluteTimeout: '1h' } as any)).toThrow(/absoluteTimeout/)
    expect(() => session({ secret: 's', resave: false, saveUninitialized: false, maxSessionsPerUser: 2 } as any)).toThrow(/needs the userKey option/)
  })
})
