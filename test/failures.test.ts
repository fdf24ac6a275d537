import express from 'express'
import { EventEmitter } from 'events'
import net from 'net'
import { afterEach, describe, expect, it } from 'vitest'
import session, { MemoryStore } from '../lib/index'
import { Client, request, serve, type Served } from './helpers/http'
import { FaultyStore, promiseStore } from './helpers/stores'
import { heldResponses } from '../lib/adapters/node'

let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

/** An app whose error handler reports what reached next(err). */
async function app(store: any, routes?: (app: any) => void, options: object = {}) {
  const errors: any[] = []
  const app = express()
  app.use(session({ secret: 'test', resave: false, saveUninitialized: false, store, ...options }))
  routes?.(app)
  app.get('/count', (req: any, res: any) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(String(req.session.count))
  })
  app.get('/read', (req: any, res: any) => res.send(String(req.session?.count ?? 'none')))
  app.use((err: any, _req: any, res: any, _next: any) => {
    errors.push(err)
    res.status(500).send(`error: ${err.message}`)
  })
  served = await serve(app)
  return { client: new Client(served.url), errors }
}

describe('store failures reach next(err)', () => {
  it('a failing get', async () => {
    const store = new FaultyStore()
    const { client, errors } = await app(store)
    await client.get('/count')
    store.failing.add('get')
    const reply = await client.get('/count')
    expect(reply.status).toBe(500)
    expect(errors[0].code).toBe('ESTOREDOWN')
  })

  it('a failing save at the end of the response: the error handler answers instead', async () => {
    const store = new FaultyStore()
    store.failing.add('set')
    const { client, errors } = await app(store)
    const reply = await client.get('/count')
    expect(reply.status).toBe(500)
    expect(reply.body).toBe('error: set failed')
    expect(reply.setCookie).toEqual([])
    expect(errors).toHaveLength(1)
  })

  it('a failing touch', async () => {
    const store = new FaultyStore()
    const { client, errors } = await app(store)
    await client.get('/count')
    store.failing.add('touch')
    expect((await client.get('/read')).status).toBe(500)
    expect(errors[0].message).toBe('touch failed')
  })

  it('a store that throws synchronously', async () => {
    const store = new FaultyStore()
    const { client, errors } = await app(store)
    await client.get('/count')
    store.throwing.add('get')
    expect((await client.get('/count')).status).toBe(500)
    expect(errors[0].message).toBe('get threw')
  })

  it('a store that calls back twice does not corrupt the request', async () => {
    const store = new FaultyStore()
    store.twice.add('get').add('set').add('touch')
    const { client, errors } = await app(store)
    expect((await client.get('/count')).body).toBe('1')
    expect((await client.get('/count')).body).toBe('2')
    expect((await client.get('/read')).body).toBe('2')
    expect(errors).toEqual([])
  })

  it('ENOENT from a store means "no session"', async () => {
    const store = new FaultyStore()
    const { client, errors } = await app(store)
    await client.get('/count')
    store.enoent = true
    const reply = await client.get('/count')
    expect(reply.status).toBe(200)
    expect(reply.body).toBe('1')
    expect(errors).toEqual([])
  })

  it('a store that emits disconnect leaves requests without a session until connect', async () => {
    const store = new MemoryStore()
    const { client } = await app(store)
    await client.get('/count')
    store.emit('disconnect')
    expect((await client.get('/read')).body).toBe('none')
    store.emit('connect')
    expect((await client.get('/read')).body).toBe('1')
  })
})

describe('every store convention', () => {
  it('a promise store (bunway / bun-router style) gets no callback argument', async () => {
    const store = promiseStore()
    const { client } = await app(store)
    await client.get('/count')
    expect((await client.get('/count')).body).toBe('2')
    const [sid] = [...store.data.keys()]
    expect(JSON.parse(store.data.get(sid)!)).toMatchObject({ count: 2, cookie: { path: '/' } })
    expect(store.calls.filter((c) => c[0] === 'set').every((c) => c.length === 2)).toBe(true)
  })

  it('a store that both calls back and returns a promise (connect-redis style)', async () => {
    const inner = new MemoryStore()
    const store = Object.assign(new EventEmitter(), {
      get: (sid: string, cb: any) => inner.get(sid, cb),
      set: (sid: string, s: any, cb: any) => inner.set(sid, s, cb),
      destroy: (sid: string, cb: any) => inner.destroy(sid, cb)
    })
    const { client } = await app(store)
    await client.get('/count')
    expect((await client.get('/count')).body).toBe('2')
  })

  it('rejects a store without get/set/destroy at construction', () => {
    expect(() => session({ secret: 's', store: { get() {}, set() {} } as any })).toThrow('store must implement destroy')
  })
})

describe('session data that cannot be stored', () => {
  it.each([
    ['a circular reference, answered synchronously', 'sync', (s: any) => (s.self = s)],
    ['a BigInt, answered later', 'async', (s: any) => (s.big = 10n)]
  ])('%s reaches next(err) with a clear error', async (_name, timing, poison) => {
    const { client, errors } = await app(new MemoryStore(), (app) => {
      app.get('/poison', (req: any, res: any) => {
        poison(req.session)
        if (timing === 'sync') res.send('ok')
        else setTimeout(() => res.send('ok'), 5)
      })
    })
    const reply = await client.get('/poison')
    expect(reply.status).toBe(500)
    expect(errors[0].code).toBe('ESESSIONSERIALIZE')
    expect(errors[0].message).toMatch(/cannot be serialized to JSON/)
    // the server is still alive
    expect((await client.get('/count')).status).toBe(200)
  })
})

describe('secrets and options', () => {
  it('falls back to req.secret (cookie-parser), and fails clearly without any secret', async () => {
    const app2 = express()
    app2.use((req: any, _res, next) => {
      if (req.url === '/with') req.secret = 'from cookie-parser'
      next()
    })
    app2.use(session({ resave: false, saveUninitialized: true }))
    app2.get('/with', (req: any, res) => res.send(typeof req.session))
    app2.get('/without', (_req, res) => res.send('unreachable'))
    app2.use((err: any, _req: any, res: any, _next: any) => res.status(500).send(err.message))
    served = await serve(app2)
    expect((await request(served.url + '/with')).body).toBe('object')
    const reply = await request(served.url + '/without')
    expect(reply.status).toBe(500)
    expect(reply.body).toBe('secret option required for sessions')
  })

  it("validates options with express-session's messages", () => {
    expect(() => session({ secret: 's', genid: 'x' as any })).toThrow('genid option must be a function')
    expect(() => session({ secret: 's', unset: 'drop' as any })).toThrow('unset option must be "destroy" or "keep"')
    expect(() => session({ secret: [] })).toThrow('secret option array must contain one or more strings')
    expect(() => session({ secret: 's', cookie: 5 as any })).toThrow('argument options must be a object')
  })

  it('never changes the options object it is given', () => {
    const options = Object.freeze({ secret: 's', cookie: Object.freeze({ maxAge: 1000 }) })
    expect(() => session(options as any)).not.toThrow()
  })
})

describe('responses that never end', () => {
  it('are let go once their client has gone, and the requests after them are not held either', async () => {
    const app = express()
    app.use(session({ secret: 'test', resave: false, saveUninitialized: true }))
    app.get('/hang', () => {})
    app.get('/ok', (_req: any, res: any) => res.send('ok'))
    const server = await serve(app)
    try {
      const { port } = new URL(server.url)
      // Three clients that give up on a response that never comes, one of them
      // with a pipelined request still waiting behind it.
      for (let i = 0; i < 3; i++) {
        const socket = net.connect(Number(port), '127.0.0.1')
        await new Promise((resolve) => socket.once('connect', resolve))
        socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n' + (i === 0 ? 'GET /ok HTTP/1.1\r\nHost: x\r\n\r\n' : ''))
        await new Promise((resolve) => setTimeout(resolve, 20))
        socket.destroy()
      }
      expect(heldResponses()).toBeGreaterThanOrEqual(3)
      const client = new Client(server.url)
      for (let i = 0; i < 520; i++) await client.get('/ok')
      expect(heldResponses()).toBe(0)
    } finally {
      await server.close()
    }
  })
})
