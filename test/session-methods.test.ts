import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import session, { Cookie, MemoryStore, Session } from '../lib/index'
import { dataJson } from '../lib/core/session'
import { Client, serve, type Served } from './helpers/http'
import { FaultyStore } from './helpers/stores'

let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

async function app(setup: (app: any) => void, options: object = {}, store: any = new MemoryStore()) {
  const app = express()
  app.use(session({ secret: 'test', resave: false, saveUninitialized: false, store, ...options }))
  setup(app)
  app.use((err: any, _req: any, res: any, _next: any) => res.status(500).send('error: ' + err.message))
  served = await serve(app)
  return { client: new Client(served.url), store }
}

describe('req.session methods, promise and callback forms', () => {
  it('save, reload, regenerate and destroy return promises that resolve', async () => {
    const seen: string[] = []
    const { client, store } = await app((app) => {
      app.get('/all', async (req: any, res: any) => {
        req.session.n = 1
        const saved = req.session.save()
        expect(saved).toBeInstanceOf(Promise)
        await saved
        seen.push('saved')
        req.session.n = 2
        await req.session.reload()
        seen.push(`reloaded n=${req.session.n}`)
        const before = req.sessionID
        await req.session.regenerate()
        seen.push(`regenerated ${req.sessionID !== before}`)
        req.session.after = true
        res.send('ok')
      })
      app.get('/destroy', async (req: any, res: any) => {
        await req.session.destroy()
        res.send(String(req.session === undefined))
      })
    })
    expect((await client.get('/all')).body).toBe('ok')
    expect(seen).toEqual(['saved', 'reloaded n=1', 'regenerated true'])
    expect(await store.length()).toBe(1)
    expect((await client.get('/destroy')).body).toBe('true')
    expect(await store.length()).toBe(0)
  })

  it('calls each callback exactly once, with the store error', async () => {
    const store = new FaultyStore()
    const counts: Record<string, number> = {}
    const { client } = await app(
      (app) => {
        app.get('/', (req: any, res: any) => {
          store.failing.add('set')
          store.twice.add('destroy')
          let pending = 3
          const done = (name: string) => (err: any) => {
            counts[name] = (counts[name] || 0) + 1
            counts[`${name} error`] = err ? 1 : 0
            if (--pending === 0) setTimeout(() => res.send('ok'), 20)
          }
          req.session.save(done('save'))
          req.session.reload(done('reload'))
          req.session.regenerate(done('regenerate'))
        })
      },
      {},
      store
    )
    await client.get('/')
    expect(counts).toEqual({ save: 1, 'save error': 1, reload: 1, 'reload error': 1, regenerate: 1, 'regenerate error': 0 })
  })

  it('an ignored rejected promise never becomes an unhandled rejection', async () => {
    const store = new FaultyStore()
    store.failing.add('destroy')
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const { client } = await app(
        (app) => {
          app.get('/', (req: any, res: any) => {
            req.session.destroy()
            res.send('ok')
          })
        },
        {},
        store
      )
      await client.get('/')
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(store.calls).toContain('destroy')
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('regenerate installs a new Session object, so passport can copy the old data across', async () => {
    const { client } = await app((app) => {
      app.get('/login', (req: any, res: any, next: any) => {
        req.session.cart = ['book']
        const previous = req.session
        req.session.regenerate((err: any) => {
          if (err) return next(err)
          expect(req.session).not.toBe(previous)
          expect(req.session).toBeInstanceOf(Session)
          // passport 0.6 keepSessionInfo: copy the old data into the new session
          Object.assign(req.session, previous)
          req.session.user = 'ada'
          res.redirect('/me')
        })
      })
      app.get('/me', (req: any, res: any) => res.json({ user: req.session.user, cart: req.session.cart }))
    })
    const login = await client.get('/login')
    expect(login.status).toBe(302)
    expect(login.setCookie).toHaveLength(1)
    expect(JSON.parse((await client.get('/me')).body)).toEqual({ user: 'ada', cart: ['book'] })
  })

  it('req.session.regenerate() and destroy() as promises, and no bun-router helpers added to Express requests', async () => {
    const ids: string[] = []
    const { client, store } = await app((app) => {
      app.get('/login', async (req: any, res: any) => {
        req.session.visited = true
        ids.push(req.sessionID)
        expect([typeof req.regenerateSession, typeof req.destroySession, typeof req.flash]).toEqual(['undefined', 'undefined', 'function'])
        await req.session.regenerate()
        ids.push(req.sessionID)
        req.session.user = 'ada'
        res.send('in')
      })
      app.get('/logout', async (req: any, res: any) => {
        await req.session.destroy()
        res.send(String(req.session))
      })
    })
    await client.get('/login')
    expect(ids[0]).not.toBe(ids[1])
    expect(Object.keys((await store.all()) as object)).toEqual([ids[1]])
    expect((await client.get('/logout')).body).toBe('undefined')
    expect(await store.length()).toBe(0)
  })

  it('keeps id and methods out of the data: only own data and the cookie are stored', async () => {
    const { client, store } = await app((app) => {
      app.get('/', (req: any, res: any) => {
        req.session.a = 1
        res.json({ keys: Object.keys(req.session), json: JSON.parse(JSON.stringify(req.session)) })
      })
    })
    const reply = JSON.parse((await client.get('/')).body)
    expect(reply.keys).toEqual(['cookie', 'a'])
    expect(Object.keys(reply.json)).toEqual(['cookie', 'a'])
    const [record] = Object.values((await store.all()) as object) as any[]
    expect(Object.keys(record)).toEqual(['cookie', 'a'])
    expect(record.cookie).toEqual({ originalMaxAge: null, expires: null, httpOnly: true, path: '/' })
  })

  it('its data JSON leaves out its own cookie only, as express-session\'s change hash does, and keeps the cookie in place', () => {
    const held = new Session({ sessionID: 'x' }, { cookie: new Cookie({ path: '/' }), nested: new Cookie({ path: '/a' }), n: 1 } as any) as any
    expect(dataJson(held)).toBe('{"nested":' + JSON.stringify(new Cookie({ path: '/a' })) + ',"n":1}')
    expect(held.cookie).toBeInstanceOf(Cookie)
    expect(Object.keys(JSON.parse(JSON.stringify(held)))).toEqual(['cookie', 'nested', 'n'])
    // Data that cannot be serialized throws, and the cookie is still there.
    held.n = 1n
    expect(() => dataJson(held)).toThrow(/BigInt/)
    expect(held.cookie).toBeInstanceOf(Cookie)
    expect(held.cookie.path).toBe('/')
  })

  it('keeps a stored member named toJSON out, so flash messages still serialize with the session', () => {
    const loaded = new Session({ sessionID: 'x' }, { cookie: new Cookie(), toJSON: 'stored', n: 1 } as any) as any
    expect(Object.keys(loaded)).toEqual(['cookie', 'n'])
    loaded.flash('info', 'saved')
    expect(JSON.parse(JSON.stringify(loaded)).flash).toEqual({ info: ['saved'] })
  })

  it('a session already on the request is left alone (mounted twice)', async () => {
    const store = new MemoryStore()
    const middleware = session({ secret: 's', resave: false, saveUninitialized: true, store })
    const served2 = await serve((req: any, res: any) => {
      middleware(req, res, () => {
        const first = req.session
        middleware(req, res, () => {
          res.end(String(req.session === first))
        })
      })
    })
    try {
      const reply = await new Client(served2.url).get('/')
      expect(reply.body).toBe('true')
      expect(reply.setCookie).toHaveLength(1)
    } finally {
      await served2.close()
    }
  })

  it('the data is saved before a redirect reaches the client, even with a slow store', async () => {
    const store = new FaultyStore()
    store.delay = 40
    const { client } = await app(
      (app) => {
        app.get('/set', (req: any, res: any) => {
          req.session.message = 'hello'
          res.redirect('/get')
        })
        app.get('/get', (req: any, res: any) => res.send(String(req.session.message)))
      },
      {},
      store
    )
    expect((await client.get('/set')).status).toBe(302)
    expect((await client.get('/get')).body).toBe('hello')
  })
})

describe('req.session.cookie', () => {
  it('has express-session semantics: maxAge is time left, originalMaxAge the lifetime', () => {
    const cookie = new Cookie({ maxAge: 60_000, sameSite: 'lax' })
    expect(cookie.originalMaxAge).toBe(60_000)
    expect(cookie.maxAge).toBeGreaterThan(59_000)
    expect(cookie.maxAge).toBeLessThanOrEqual(60_000)
    expect(cookie.expires).toBeInstanceOf(Date)
    expect(cookie.data).toMatchObject({ originalMaxAge: 60_000, httpOnly: true, path: '/', sameSite: 'lax' })
    expect(cookie.serialize('sid', 'v')).toMatch(/^sid=v; Path=\/; Expires=.* GMT; HttpOnly; SameSite=Lax$/)
    const session = new Cookie()
    expect(session.expires).toBeNull()
    expect(session.maxAge).toBeNull()
    expect(() => new Cookie({ maxAge: 'soon' as any })).toThrow('maxAge must be a number or Date')
  })

  it('a "remember me" maxAge set during a request changes Set-Cookie and the stored expiry', async () => {
    const { client, store } = await app((app) => {
      app.get('/login', (req: any, res: any) => {
        req.session.user = 'ada'
        if (req.query.remember) req.session.cookie.maxAge = 30 * 24 * 3600 * 1000
        res.send('ok')
      })
    })
    const reply = await client.get('/login?remember=1')
    const expires = /Expires=([^;]+)/.exec(reply.setCookie[0])![1]
    const days = (Date.parse(expires) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29.9)
    const [record] = Object.values((await store.all()) as object) as any[]
    expect(record.cookie.originalMaxAge).toBe(30 * 24 * 3600 * 1000)
    expect(Math.abs(Date.parse(record.cookie.expires) - Date.parse(expires))).toBeLessThan(1000)
  })
})

describe('a cookie changed by the app', () => {
  it('is sent and stored even when no session data changed (express-session waits for a data change)', async () => {
    const { client, store } = await app((app) => {
      app.get('/visit', (req: any, res: any) => {
        req.session.visited = true
        res.send('ok')
      })
      app.get('/remember', (req: any, res: any) => {
        req.session.cookie.maxAge = 7 * 24 * 3600 * 1000
        res.send('ok')
      })
      app.get('/noop', (_req: any, res: any) => res.send('ok'))
    })
    expect((await client.get('/visit')).setCookie[0]).not.toMatch(/Expires/)
    const remembered = await client.get('/remember')
    expect(remembered.setCookie).toHaveLength(1)
    expect(remembered.setCookie[0]).toMatch(/Expires=/)
    const [record] = Object.values((await store.all()) as object) as any[]
    expect(record.cookie.originalMaxAge).toBe(7 * 24 * 3600 * 1000)
    expect(record.visited).toBe(true)
    expect((await client.get('/noop')).setCookie).toEqual([])
  })
})

describe('request fields on Node', () => {
  it('req.sessionID and req.sessionStore reach Express sub-apps, and two copies of sessionware agree', async () => {
    const { createRequire } = await import('module')
    const built = createRequire(__filename)('../dist/lib/index.js')
    for (const factory of [session, built]) {
      const store = new factory.MemoryStore()
      const main = express()
      const sub = express()
      sub.get('/who', (req: any, res: any) => res.json({ id: req.sessionID, same: req.sessionStore === store, n: req.session.n }))
      main.use(factory({ secret: 's', resave: false, saveUninitialized: false, store }))
      main.get('/set', (req: any, res: any) => {
        req.session.n = 1
        res.json({ id: req.sessionID })
      })
      main.use('/sub', sub)
      const served2 = await serve(main)
      try {
        const client = new Client(served2.url)
        const { id } = JSON.parse((await client.get('/set')).body)
        expect(typeof id).toBe('string')
        expect(JSON.parse((await client.get('/sub/who')).body)).toEqual({ id, same: true, n: 1 })
      } finally {
        await served2.close()
      }
    }
  })

  it('delete req.session with unset: destroy removes the stored session', async () => {
    const { client, store } = await app(
      (app) => {
        app.get('/in', (req: any, res: any) => {
          req.session.n = 1
          res.send('in')
        })
        app.get('/out', (req: any, res: any) => {
          delete req.session
          res.send('out')
        })
      },
      { unset: 'destroy' }
    )
    await client.get('/in')
    expect(await store.length()).toBe(1)
    await client.get('/out')
    expect(await store.length()).toBe(0)
  })
})
