import express from 'express'
import { afterEach, describe, expect, it, vi } from 'vitest'
import session, { MemoryStore } from '../lib/index'
import { Client, serve, type Served } from './helpers/http'

/**
 * Where issue 13's ID changes that keep the data (renew, req.regenerateSession())
 * meet issue 15's lifetimes and user index: the session keeps its creation
 * time, so absoluteTimeout is never extended, and the user index follows it.
 * Only Date is faked: the clock jumps, nobody sleeps.
 */
const MINUTE = 60_000
let served: Served | undefined
afterEach(async () => {
  vi.useRealTimers()
  await served?.close()
  served = undefined
})

const advance = (ms: number) => vi.setSystemTime(Date.now() + ms)

async function app(options: object) {
  const store = new MemoryStore()
  const middleware = session({ secret: 'merge', resave: false, saveUninitialized: false, store, ...options })
  const events: string[] = []
  middleware.events.on('renewed', () => void events.push('renewed'))
  middleware.events.on('expired', ({ reason }) => void events.push(`expired ${reason}`))
  const app = express()
  app.use(middleware)
  app.post('/login', (req: any, res) => {
    req.session.userId = 'ada'
    res.send('in')
  })
  app.get('/me', (req: any, res) => res.send(String(req.session.userId ?? 'nobody')))
  served = await serve(app)
  return { client: new Client(served.url), middleware, store, events }
}

describe('renew and the lifetimes together', () => {
  it('a renewed session keeps its creation time: absoluteTimeout ends it on time, however often it was renewed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { client, events } = await app({ renew: true, renewAfter: 10 * MINUTE, absoluteTimeout: 60 * MINUTE })
    await client.post('/login')
    const ids = new Set([client.sid()])
    for (let i = 0; i < 5; i++) {
      advance(11 * MINUTE) // 55 minutes in all: renewed each time, never expired
      expect((await client.get('/me')).body).toBe('ada')
      ids.add(client.sid())
    }
    expect(ids.size).toBe(6)
    expect(events.filter((e) => e === 'renewed')).toHaveLength(5)
    advance(6 * MINUTE) // 61 minutes after the login
    expect((await client.get('/me')).body).toBe('nobody')
    expect(events.at(-1)).toBe('expired absolute')
  })

  it('an expired session is ended, not renewed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { client, store, events } = await app({ renew: true, renewAfter: 10 * MINUTE, idleTimeout: 30 * MINUTE })
    await client.post('/login')
    const first = client.sid()
    advance(31 * MINUTE)
    expect((await client.get('/me')).body).toBe('nobody')
    expect(events).toEqual(['expired idle'])
    expect(await store.get(first)).toBeNull()
  })

  it('the user index follows a renewed session: list() names the new ID only', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { client, middleware } = await app({ renew: true, renewAfter: 10 * MINUTE, renewGrace: 0, userKey: 'userId' })
    await client.post('/login')
    const first = client.sid()
    expect((await middleware.service.list('ada')).map((s) => s.id)).toEqual([first])
    advance(11 * MINUTE)
    await client.get('/me')
    expect(client.sid()).not.toBe(first)
    expect((await middleware.service.list('ada')).map((s) => s.id)).toEqual([client.sid()])
  })

  it('a session made by service.create is indexed by its user and ends on absoluteTimeout', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { client, middleware } = await app({ userKey: 'userId', absoluteTimeout: 60 * MINUTE })
    const { id, cookie } = await middleware.service.create({ userId: 'grace' })
    expect((await middleware.service.list('grace')).map((s) => s.id)).toEqual([id])
    client.cookies.set('connect.sid', cookie) // already encoded, as Set-Cookie carries it
    expect((await client.get('/me')).body).toBe('grace')
    advance(61 * MINUTE)
    expect((await client.get('/me')).body).toBe('nobody')
    expect(await middleware.service.list('grace')).toEqual([])
  })
})

describe('req.regenerateSession() and absoluteTimeout', () => {
  it('keeps the creation time: a new ID does not restart the absolute lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const sessions = session.webSession({ secret: 'merge', resave: false, saveUninitialized: false, absoluteTimeout: 60 * MINUTE })
    const handle = (request: Request) =>
      sessions.withSession(request, async (req) => {
        const path = new URL(req.url).pathname
        if (path === '/login') req.session.userId = 'ada'
        if (path === '/elevate') await req.regenerateSession()
        return new Response(String(req.session.userId ?? 'nobody'))
      })
    let cookie = ''
    const send = async (path: string) => {
      const response = await handle(new Request('http://localhost' + path, { headers: cookie ? { cookie } : {} }))
      const line = response.headers.get('set-cookie')
      if (line) cookie = line.split(';')[0]
      return response.text()
    }
    await send('/login')
    const first = cookie
    advance(50 * MINUTE)
    expect(await send('/elevate')).toBe('ada')
    expect(cookie).not.toBe(first)
    advance(11 * MINUTE) // 61 minutes after the login, 11 after the new ID
    expect(await send('/me')).toBe('nobody')
  })
})

/**
 * A logged-in session on memorystore (a third-party store: no tombstones of
 * its own) and a request that loads it, then waits for `release()` before
 * changing it: `slow()` starts it and resolves once the session is loaded.
 */
async function slowRequestApp(options: object) {
  const createMemoryStore = (await import('memorystore')).default
  const store = new (createMemoryStore(session as any))({ checkPeriod: 0 })
  const middleware = session({ secret: 'merge', resave: false, saveUninitialized: false, store, ...options })
  let release!: () => void
  let entered!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const loaded = new Promise<void>((resolve) => (entered = resolve))
  const app = express()
  app.use(middleware)
  app.post('/login', (req: any, res) => {
    req.session.userId = 'ada'
    res.send('in')
  })
  app.get('/slow', async (req: any, res) => {
    entered() // the session is loaded by now
    await gate
    req.session.note = 'written late'
    res.send('done')
  })
  app.get('/me', (req: any, res) => res.send(String(req.session.userId ?? 'nobody')))
  served = await serve(app)
  const client = new Client(served.url)
  await client.post('/login')
  const stored = (sid: string) => new Promise((resolve) => store.get(sid, (_err: unknown, record: unknown) => resolve(record ?? null)))
  // Wrapped, so that awaiting slow() waits for the load and not for the answer.
  const slow = async () => {
    const reply = client.get('/slow')
    await loaded
    return { reply }
  }
  return { client, middleware, release, slow, stored }
}

describe('an expired session stays ended', () => {
  it('on a third-party store, a slower request that loaded it before it expired writes nothing back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { client, release, slow, stored } = await slowRequestApp({ idleTimeout: 30 * MINUTE })
    const sid = client.sid()
    const { reply } = await slow()
    advance(31 * MINUTE)
    expect((await client.get('/me', { cookie: `connect.sid=${client.cookies.get('connect.sid')}` })).body).toBe('nobody')
    release()
    expect((await reply).body).toBe('done')
    expect(await stored(sid)).toBeNull()
  })
})

describe('sessions ended by the service stay ended', () => {
  it('destroyAll on a third-party store: a slower request that loaded the session writes nothing back', async () => {
    const { client, middleware, release, slow, stored } = await slowRequestApp({ userKey: 'userId' })
    const destroyed: string[] = []
    middleware.events.on('destroyed', ({ id }) => void destroyed.push(id))
    const sid = client.sid()
    const { reply } = await slow()
    expect(await middleware.service.destroyAll('ada')).toBe(1)
    expect(destroyed).toHaveLength(1)
    release()
    expect((await reply).body).toBe('done')
    expect(await stored(sid)).toBeNull()
  })
})

describe('serialize gives the session back when loading it fails', () => {
  it("an expired session whose destroy fails: the next request gets the store's error, not ESESSIONBUSY", async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const store = new MemoryStore()
    const { client } = await app({ serialize: 300, idleTimeout: 30 * MINUTE, store })
    await client.post('/login')
    store.destroy = (_sid: string, callback?: (err?: unknown) => void) => {
      const err = new Error('destroy failed')
      callback?.(err)
      return Promise.reject(err).catch(() => {}) as any
    }
    advance(31 * MINUTE)
    const first = await client.get('/me')
    const second = await client.get('/me')
    expect(first.status).toBe(500)
    expect(second.status).toBe(500)
    expect(second.body).toContain('destroy failed')
    expect(second.body).not.toContain('ESESSIONBUSY')
  })
})
