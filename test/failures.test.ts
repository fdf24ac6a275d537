import express from 'express'
import { EventEmitter } from 'events'
import { afterEach, describe, expect, it } from 'vitest'
import session, { MemoryStore } from '../lib/index'
import { Client, request, serve, type Served } from './helpers/http'
import { FaultyStore, promiseStore } from './helpers/stores'
import { until } from './helpers/until'
import { withoutDeprecationOutput } from './helpers/warnings'

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
    // With onSaveError: 'respond' the response has gone out already.
    if (!res.headersSent) res.status(500).send(`error: ${err.message}`)
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
    const records = Object.values((await store.inner.all()) as object)
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ count: 2, cookie: { path: '/' } })
    // (sid, session): no callback, and, for a browser-session cookie, no third argument (bunway's maxAge).
    const sets = store.received.filter((call) => call.method === 'set')
    expect(sets.map((call) => call.args.length)).toEqual([2, 2])
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
    expect(() => session({ secret: 's', resave: false, saveUninitialized: false, store: { get() {}, set() {} } as any })).toThrow('store must implement destroy')
  })
})

describe('errors at the end of the response', () => {
  // What goes wrong, and how to make it go wrong after a first /count.
  const late: Array<[string, (store: FaultyStore) => void, string, string, object?]> = [
    ['a failing save', (store) => store.failing.add('set'), '/count', 'set failed'],
    ['a failing touch', (store) => store.failing.add('touch'), '/read', 'touch failed'],
    ['a failing destroy with unset: destroy', (store) => store.failing.add('destroy'), '/unset', 'destroy failed', { unset: 'destroy' }],
    ['a circular reference', () => {}, '/poison-sync', 'cannot be serialized to JSON'],
    ['a BigInt, answered later', () => {}, '/poison-later', 'cannot be serialized to JSON'],
    ['an invalid cookie domain, found when Set-Cookie is written', () => {}, '/bad-domain', 'option domain is invalid']
  ]
  const routes = (app: any) => {
    app.get('/poison-sync', (req: any, res: any) => {
      req.session.self = req.session
      res.send('ok')
    })
    app.get('/poison-later', (req: any, res: any) => {
      req.session.big = 10n
      setTimeout(() => res.send('ok'), 5)
    })
    app.get('/bad-domain', (req: any, res: any) => {
      req.session.cookie.maxAge = 60_000
      req.session.cookie.domain = 'not a domain!'
      res.send('ok')
    })
    app.get('/unset', (req: any, res: any) => {
      req.session = null
      res.send('ok')
    })
  }

  it.each(late)("%s: by default the response goes out as written, then the error reaches next(err), as with express-session", async (_name, breakIt, path, message, options = {}) => {
    const store = new FaultyStore()
    const { client, errors } = await app(store, routes, options)
    await client.get('/count')
    breakIt(store)
    const reply = await client.get(path)
    expect(reply.status).toBe(200)
    await until(() => errors.length > 0)
    expect(errors).toHaveLength(1)
    expect(errors[0].message).toContain(message)
    // the server is still alive
    store.failing.clear()
    expect((await client.get('/count')).status).toBe(200)
  })

  it.each(late)("%s: with onSaveError: 'error' the error handler answers instead, without the cookie", async (_name, breakIt, path, message, options = {}) => {
    const store = new FaultyStore()
    const { client, errors } = await app(store, routes, { ...options, onSaveError: 'error' })
    await client.get('/count')
    breakIt(store)
    const reply = await client.get(path)
    expect(reply.status).toBe(500)
    expect(reply.body).toContain(message)
    expect(reply.setCookie).toEqual([])
    expect(errors).toHaveLength(1)
  })

  it('a failing save still sends the cookie by default, as express-session does, and keeps the data it could', async () => {
    const store = new FaultyStore()
    store.failing.add('set')
    const { client, errors } = await app(store)
    const reply = await client.get('/count')
    expect([reply.status, reply.body]).toEqual([200, '1'])
    expect(reply.setCookie).toHaveLength(1)
    await until(() => errors.length > 0)
    expect(errors[0].code).toBe('ESTOREDOWN')
  })

  it('data that cannot be serialized is reported with its code, and nothing is stored', async () => {
    const store = new FaultyStore()
    const { client, errors } = await app(store, routes)
    await client.get('/poison-sync')
    await until(() => errors.length > 0)
    expect(errors[0].code).toBe('ESESSIONSERIALIZE')
    expect(errors[0].name).toBe('SessionError')
    expect(await store.inner.length()).toBe(0)
  })
})

describe('secrets and options', () => {
  it('falls back to req.secret (cookie-parser), and fails clearly without any secret', async () => {
    const app2 = express()
    app2.use((req: any, _res, next) => {
      if (req.url === '/with') req.secret = 'from cookie-parser'
      next()
    })
    app2.use(withoutDeprecationOutput(() => session({ resave: false, saveUninitialized: true })))
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
    const given = { resave: false, saveUninitialized: false }
    expect(() => session({ ...given, secret: 's', genid: 'x' as any })).toThrow('genid option must be a function')
    expect(() => session({ ...given, secret: 's', unset: 'drop' as any })).toThrow('unset option must be "destroy" or "keep"')
    expect(() => session({ ...given, secret: [] })).toThrow('secret option array must contain one or more strings')
    expect(() => session({ ...given, secret: 's', cookie: 5 as any })).toThrow('argument options must be a object')
  })

  it('never changes the options object it is given', () => {
    const options = Object.freeze({ secret: 's', resave: false, saveUninitialized: false, cookie: Object.freeze({ maxAge: 1000 }) })
    expect(() => session(options as any)).not.toThrow()
  })
})
