import express from 'express'
import { afterEach, describe, expect, it, vi } from 'vitest'
import session from '../lib/index'
import { hashId } from '../lib/events'
import { Client, serve, type Served } from './helpers/http'
import { userRoutes } from './helpers/user-routes'

let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

async function app(options: object = {}) {
  const middleware = session({ secret: 'events', resave: false, saveUninitialized: false, unset: 'destroy', ...options })
  const app = express()
  app.get('/count', middleware, (req: any, res) => {
    req.session.n = (req.session.n || 0) + 1
    res.send(String(req.session.n))
  })
  app.get('/unset', middleware, (req: any, res) => {
    req.session = null
    res.send('unset')
  })
  app.use(userRoutes(express, middleware))
  served = await serve(app)
  return { middleware, client: new Client(served.url) }
}

describe('middleware.events', () => {
  it('tells each step of a session\'s life, with the ID hashed and the request', async () => {
    const { middleware, client } = await app()
    const seen: Array<{ event: string; id: string; url: string; newId?: string }> = []
    for (const event of ['created', 'loaded', 'saved', 'touched', 'regenerated', 'destroyed', 'expired'] as const) {
      middleware.events.on(event, (payload: any) => void seen.push({ event, id: payload.id, url: payload.req.url, ...(payload.newId && { newId: payload.newId }) }))
    }
    await client.get('/count')
    const first = client.sid()
    await client.get('/me')
    await client.post('/login?user=ada')
    const second = client.sid()
    await client.post('/logout')
    await client.get('/count')
    const third = client.sid()
    await client.get('/unset')
    expect(seen).toEqual([
      { event: 'created', id: hashId(first), url: '/count' },
      { event: 'saved', id: hashId(first), url: '/count' },
      { event: 'loaded', id: hashId(first), url: '/me' },
      { event: 'touched', id: hashId(first), url: '/me' },
      { event: 'loaded', id: hashId(first), url: '/login?user=ada' },
      { event: 'created', id: hashId(second), url: '/login?user=ada' },
      { event: 'regenerated', id: hashId(first), newId: hashId(second), url: '/login?user=ada' },
      { event: 'saved', id: hashId(second), url: '/login?user=ada' },
      { event: 'loaded', id: hashId(second), url: '/logout' },
      { event: 'destroyed', id: hashId(second), url: '/logout' },
      // req.session.destroy() left no req.session: with unset: 'destroy' the end of
      // the response destroys it once more, as express-session does.
      { event: 'destroyed', id: hashId(second), url: '/logout' },
      { event: 'created', id: hashId(third), url: '/count' },
      { event: 'saved', id: hashId(third), url: '/count' },
      { event: 'loaded', id: hashId(third), url: '/unset' },
      { event: 'destroyed', id: hashId(third), url: '/unset' }
    ])
    for (const { id } of seen) {
      expect(id).toMatch(/^[0-9a-f]{16}$/)
      for (const sid of [first, second, third]) expect(sid).not.toContain(id)
    }
  })

  it('listeners that throw or reject never break the request, nor stop the other listeners', async () => {
    const { middleware, client } = await app()
    // The warnings are taken where they are emitted, so that a passing run prints none.
    const emitted = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const warnings = () => emitted.mock.calls.map((call) => String(call[0]))
    try {
      const reached: string[] = []
      middleware.events.on('saved', () => {
        throw new Error('listener bug')
      })
      middleware.events.on('saved', async () => {
        throw new Error('async listener bug')
      })
      middleware.events.on('saved', () => void reached.push('third'))
      middleware.events.once('loaded', () => {
        throw new Error('once listener bug')
      })
      expect((await client.get('/count')).body).toBe('1')
      expect((await client.get('/count')).body).toBe('2')
      expect(reached).toEqual(['third', 'third'])
      await new Promise((resolve) => setTimeout(resolve, 10))
      expect(warnings().filter((w) => /listener of the session "saved" event threw: (async )?listener bug/.test(w))).toHaveLength(4)
      expect(warnings().filter((w) => /"loaded" event threw: once listener bug/.test(w))).toHaveLength(1)
      expect(middleware.events.listenerCount('loaded')).toBe(0)
    } finally {
      emitted.mockRestore()
    }
  })

  it('costs nothing without listeners: no payload is built, no ID hashed', async () => {
    const { middleware, client } = await app()
    middleware.events.on('expired', () => {})
    expect(middleware.events.wants('saved')).toBe(false)
    const rawListeners = vi.spyOn(middleware.events, 'rawListeners')
    await client.get('/count')
    await client.get('/count')
    await client.post('/login?user=ada')
    expect(rawListeners).not.toHaveBeenCalled()
  })
})

describe('webSession events and service', () => {
  it('are there for Request → Response servers too', async () => {
    const sessions = session.webSession({ secret: 'events', resave: false, saveUninitialized: false, userKey: 'userId' })
    const seen: string[] = []
    sessions.events.on('saved', ({ id }) => void seen.push(id))
    const response = await sessions.withSession(new Request('http://localhost/login'), (req) => {
      req.session.userId = 'ada'
      return new Response('in')
    })
    const sid = decodeURIComponent(response.headers.get('set-cookie')!.split(';')[0].split('=')[1]).slice(2).split('.')[0]
    expect(seen).toEqual([hashId(sid)])
    expect((await sessions.service.list('ada')).map((s) => s.id)).toEqual([sid])
  })
})
