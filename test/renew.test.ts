import express from 'express'
import expressSession from 'express-session'
import { afterEach, describe, expect, it, vi } from 'vitest'
import session, { MemoryStore } from '../lib/index'
import { Client, serve, type Served } from './helpers/http'
import { promiseStore } from './helpers/stores'

/**
 * bun-router's `renew`/`renewAfter` and `req.regenerateSession()`-style ID
 * renewal, through real HTTP. The clock is faked (Date only), so an hour
 * passes at once while the sockets run for real.
 */
const secret = 'renew'
const servers: Served[] = []
const HOUR = 3600_000

afterEach(async () => {
  vi.useRealTimers()
  for (const server of servers.splice(0)) await server.close()
})

async function app(options: Record<string, unknown>) {
  const server = express()
  server.use(session({ secret, resave: false, saveUninitialized: false, ...options } as any))
  server.get('/login', (req: any, res) => {
    req.session.user = 'ada'
    res.send('ok')
  })
  server.get('/me', (req: any, res) => res.json({ user: req.session.user ?? null, sid: req.sessionID }))
  server.get('/count', (req: any, res) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(String(req.session.count))
  })
  const served = await serve(server)
  servers.push(served)
  return served.url
}

function clock() {
  vi.useFakeTimers({ toFake: ['Date'] })
  return { advance: (ms: number) => vi.setSystemTime(Date.now() + ms) }
}

describe('renew: true', () => {
  it('after renewAfter (default one hour) the next request moves the data to a new ID and destroys the old record', async () => {
    const time = clock()
    const store = new MemoryStore({ sweepInterval: false })
    const browser = new Client(await app({ store, renew: true, renewGrace: 0 }))
    await browser.get('/login')
    const first = browser.sid()
    time.advance(HOUR - 60_000)
    const early = await browser.get('/me')
    expect(early.setCookie).toEqual([])
    expect(JSON.parse(early.body)).toEqual({ user: 'ada', sid: first })

    time.advance(2 * 60_000)
    const renewed = await browser.get('/me')
    expect(renewed.setCookie).toHaveLength(1)
    const second = browser.sid()
    expect(second).not.toBe(first)
    expect(JSON.parse(renewed.body)).toEqual({ user: 'ada', sid: second })
    expect(await store.get(first)).toBeNull()
    expect(await store.get(second)).toMatchObject({ user: 'ada' })
    // The issue time is in the stored record, not trusted from the client.
    expect((await store.get(second))!.cookie.sessionware.issued).toBe(Date.now())
    expect(JSON.parse((await browser.get('/me')).body)).toEqual({ user: 'ada', sid: second })
  })

  it('renewAfter sets the age', async () => {
    const time = clock()
    const browser = new Client(await app({ renew: true, renewAfter: 10_000 }))
    await browser.get('/login')
    const first = browser.sid()
    time.advance(9_000)
    await browser.get('/me')
    expect(browser.sid()).toBe(first)
    time.advance(2_000)
    await browser.get('/me')
    expect(browser.sid()).not.toBe(first)
  })

  it('without renew, an old session keeps its ID', async () => {
    const time = clock()
    const browser = new Client(await app({}))
    await browser.get('/login')
    const first = browser.sid()
    time.advance(10 * HOUR)
    await browser.get('/me')
    expect(browser.sid()).toBe(first)
  })

  it('a request with the old cookie within renewGrace gets the renewed session and the new cookie; after it, a new session', async () => {
    const time = clock()
    const store = new MemoryStore({ sweepInterval: false })
    const url = await app({ store, renew: true, renewGrace: 30_000 })
    const browser = new Client(url)
    await browser.get('/login')
    const oldCookie = browser.cookie
    const first = browser.sid()
    time.advance(HOUR + 1)
    await browser.get('/count')
    const second = browser.sid()
    expect(second).not.toBe(first)

    // Another tab (or an in-flight request) still sends the old cookie.
    const tab = new Client(url)
    time.advance(20_000)
    const late = await tab.get('/me', { cookie: oldCookie })
    expect(JSON.parse(late.body)).toEqual({ user: 'ada', sid: second })
    expect(late.setCookie).toHaveLength(1)
    expect(tab.sid()).toBe(second)
    // What the old ID holds is a forward, not the data.
    expect((await store.get(first))!.user).toBeUndefined()

    time.advance(11_000)
    const tooLate = await new Client(url).get('/me', { cookie: oldCookie })
    expect(JSON.parse(tooLate.body).user).toBeNull()
    expect(JSON.parse(tooLate.body).sid).not.toBe(second)
  })

  it('two servers sharing a store (two processes): the old cookie is forwarded by the other one too', async () => {
    const time = clock()
    const store = promiseStore()
    const one = await app({ store, renew: true })
    const two = await app({ store, renew: true })
    const browser = new Client(one)
    await browser.get('/login')
    const oldCookie = browser.cookie
    time.advance(HOUR + 1)
    await browser.get('/me')
    const renewed = browser.sid()
    const other = await new Client(two).get('/me', { cookie: oldCookie })
    expect(JSON.parse(other.body)).toEqual({ user: 'ada', sid: renewed })
  })

  it('concurrent requests with the old cookie share one renewal', async () => {
    const time = clock()
    const store = promiseStore({ delay: 20 })
    const url = await app({ store, renew: true })
    const browser = new Client(url)
    await browser.get('/login')
    const oldCookie = browser.cookie
    time.advance(HOUR + 1)
    const replies = await Promise.all([1, 2, 3].map(() => new Client(url).get('/me', { cookie: oldCookie })))
    const sids = replies.map((reply) => JSON.parse(reply.body).sid)
    expect(new Set(sids).size).toBe(1)
    expect(replies.map((reply) => JSON.parse(reply.body).user)).toEqual(['ada', 'ada', 'ada'])
  })

  it('a session stored before renew was turned on (no issue time) is renewed on its next request', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const before = new Client(await app({ store }))
    await before.get('/login')
    const first = before.sid()
    const after = new Client(await app({ store, renew: true }))
    const reply = await after.get('/me', { cookie: before.cookie })
    expect(JSON.parse(reply.body).user).toBe('ada')
    expect(after.sid()).not.toBe(first)
  })

  it("express-session loads a record carrying cookie.sessionware, and sessionware loads it back after express-session saved it", async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const ours = new Client(await app({ store, renew: true }))
    await ours.get('/login')
    expect((await store.get(ours.sid()))!.cookie.sessionware.issued).toEqual(expect.any(Number))

    const reference = express()
    reference.use(expressSession({ secret, store: store as any, resave: true, saveUninitialized: false }))
    reference.get('/me', (req: any, res) => {
      req.session.seen = 'express-session'
      res.json({ user: req.session.user ?? null })
    })
    const served = await serve(reference)
    servers.push(served)
    const theirs = await new Client(served.url).get('/me', { cookie: ours.cookie })
    expect(JSON.parse(theirs.body)).toEqual({ user: 'ada' })
    expect((await store.get(ours.sid()))!.seen).toBe('express-session')
    // Whether or not the metadata survived express-session's save, sessionware loads the session with its data.
    expect(JSON.parse((await ours.get('/me')).body).user).toBe('ada')
  })
})
