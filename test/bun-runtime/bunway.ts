/**
 * sessionware's `session` export in a bunway app (the double in
 * test/bunway-double, per ../shared/docs/bunway.md), under real Bun.
 *   node_modules/.bin/bun test/bun-runtime/run.ts bunway
 * prints one JSON line per scenario.
 */
import { sign } from 'cookie-signature'
import express from 'express'
import expressSession from 'express-session'
import { session } from '../../lib/middleware'
import { MemoryStore } from '../../stores/memory'
import { bunway, cookieParser, Router, type App } from '../bunway-double'
import { Client, serve } from '../helpers/http'
import { sameSetCookieAsExpressSession, scenarioApp } from '../helpers/routes'
import { check, consoleErrors, json, same, type Scenario } from '../helpers/scenarios'
import { promiseStore, slowStore } from '../helpers/stores'

const secret = 'bunway secret'

/**
 * The routes these scenarios drive, on bunway's own terms (POST routes,
 * res.write and res.cookie, a handler that returns no promise, the statusCode
 * getter); handlers await the session methods.
 */
function routes(app: App | Router) {
  app.get('/count', async (req, res) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(String(req.session.count))
  })
  app.get('/read', async (req, res) => res.json({ count: req.session?.count ?? null, user: req.session?.user ?? null, later: req.later ?? false }))
  app.get('/noop', async (_req, res) => res.send('ok'))
  app.post('/login', async (req, res) => {
    await req.session.regenerate()
    req.session.user = 'ada'
    req.flash('info', 'welcome')
    req.session.flash('note', 'hello %s', 'ada')
    res.redirect('/whoami')
  })
  app.get('/whoami', async (req, res) => res.json({ user: req.session.user ?? null, info: req.flash('info'), note: req.session.flash('note') }))
  app.get('/login-callback', (req, res, next) =>
    new Promise<void>((resolve) =>
      req.session.regenerate((err: unknown) => {
        if (err) next(err)
        else {
          req.session.user = 'grace'
          res.redirect('/whoami')
        }
        resolve()
      })
    )
  )
  app.get('/logout', async (req, res) => {
    await req.session.destroy()
    res.send(String(req.session))
  })
  app.get('/reload', async (req, res) => {
    req.session.count = 999
    await req.session.reload()
    res.send(String(req.session.count))
  })
  app.get('/reload-callback', (req, res) => {
    req.session.count = 999
    return new Promise<void>((resolve) => req.session.reload(() => resolve(void res.send(String(req.session.count)))))
  })
  app.get('/save-redirect', async (req, res) => {
    req.session.saved = 'yes'
    await req.session.save()
    res.redirect('/read-saved')
  })
  app.get('/save-callback', (req, res) => new Promise<void>((resolve) => req.session.save((err: unknown) => resolve(void res.send(String(err ?? 'saved'))))))
  app.get('/read-saved', async (req, res) => res.send(String(req.session.saved)))
  app.get('/touch', async (req, res) => {
    const before = req.session.cookie.expires?.getTime()
    await new Promise((resolve) => setTimeout(resolve, 5))
    const returned = req.session.touch()
    res.json({ chained: returned === req.session, moved: req.session.cookie.expires.getTime() > before })
  })
  app.get('/other-cookies', async (req, res) => {
    req.session.other = true
    res.cookie('theme', 'dark')
    res.append('Set-Cookie', 'plain=1; Path=/')
    res.send('ok')
  })
  app.get('/stream', async (req, res) => {
    req.session.streamed = true
    res.write('a')
    res.end('b')
  })
  app.get('/callback-only', (req, res) => {
    req.session.regenerate(() => res.send('too late'))
  })
  app.get('/poison', async (req, res) => {
    req.session.poison = 10n
    res.send('should not be sent')
  })
  app.get('/status-read', async (_req, res) => res.status(201).send(String(res.statusCode)))
  app.use((err: any, _req: any, res: any, _next: any) => res.status(500).send('error: ' + (err?.message ?? err)))
}

type Setup = { options?: Record<string, unknown>; trustProxy?: unknown; before?: (app: App) => void; after?: (app: App) => void }

async function withApp(setup: Setup, drive: (jar: Client, ctx: { store: any; url: string }) => Promise<void>) {
  const store = (setup.options?.store as any) ?? new MemoryStore({ sweepInterval: false })
  const app = bunway()
  if (setup.trustProxy !== undefined) app.set('trust proxy', setup.trustProxy)
  setup.before?.(app)
  app.use(session({ secret, resave: false, saveUninitialized: false, ...setup.options, store }))
  setup.after?.(app)
  routes(app)
  const server = app.listen(0)
  try {
    await drive(new Client(server.url), { store, url: server.url })
  } finally {
    server.stop()
  }
}

/** The scenario app on Express 5 on Bun's node:http (for the express-session side of a scenario). */
async function withExpress(middleware: any, drive: (url: string) => Promise<void>) {
  const served = await serve(scenarioApp(express, middleware))
  try {
    await drive(served.url)
  } finally {
    await served.close()
  }
}

export const scenarios: Scenario[] = [
  {
    name: 'counter: the cookie is sent with res.append, the session loads before the route',
    run: () =>
      withApp({}, async (jar) => {
        const first = await jar.fetch('/count')
        same(first.body, '1', 'first count')
        check(/^connect\.sid=s%3A[\w-]{32}\.[\w%]+; Path=\/; HttpOnly$/.test(first.setCookie[0] ?? ''), `cookie line: ${first.setCookie}`)
        same((await jar.fetch('/count')).body, '2', 'second count')
        same((await jar.fetch('/count')).setCookie, [], 'no cookie re-sent for a browser-session cookie')
      })
  },
  {
    name: 'a slow store: the route waits for the load, later global middleware still runs',
    run: () =>
      withApp(
        {
          options: { store: slowStore() },
          after: (app) =>
            app.use((req, _res, next) => {
              req.later = true
              next()
            })
        },
        async (jar) => {
          await jar.fetch('/count')
          same(json(await jar.fetch('/read')), { count: 1, user: null, later: true }, 'second request')
        }
      )
  },
  {
    name: "the raw Cookie header is read: bunway's cookieParser(secret) before the session changes nothing",
    run: () =>
      withApp({ before: (app) => app.use(cookieParser('another secret')) }, async (jar) => {
        await jar.fetch('/count')
        same((await jar.fetch('/count')).body, '2', 'count with cookieParser first')
      })
  },
  {
    name: 'saveUninitialized false: nothing stored, no cookie; true: cookie and record',
    run: async () => {
      await withApp({}, async (jar, { store }) => {
        same((await jar.fetch('/noop')).setCookie, [], 'Set-Cookie')
        same(await store.length(), 0, 'records')
      })
      await withApp({ options: { saveUninitialized: true } }, async (jar, { store }) => {
        same((await jar.fetch('/noop')).setCookie.length, 1, 'Set-Cookie lines')
        same(await store.length(), 1, 'records')
      })
    }
  },
  {
    name: 'rolling: the cookie goes out on every response, with a fresh expiry',
    run: () =>
      withApp({ options: { rolling: true, cookie: { maxAge: 60_000 } } }, async (jar) => {
        await jar.fetch('/count')
        const again = await jar.fetch('/noop')
        check(again.setCookie.length === 1 && /Expires=/.test(again.setCookie[0]), `rolling cookie: ${again.setCookie}`)
      })
  },
  {
    name: 'promise methods: regenerate (new ID), flash both ways across a redirect, with a slow store',
    run: () =>
      withApp({ options: { store: slowStore() } }, async (jar) => {
        await jar.fetch('/count')
        const before = jar.sid()
        const login = await jar.post('/login')
        same(login.status, 302, 'status')
        check(jar.sid() && jar.sid() !== before, 'a new session ID')
        same(json(await jar.fetch('/whoami')), { user: 'ada', info: ['welcome'], note: ['hello ada'] }, 'after the redirect')
        same(json(await jar.fetch('/whoami')), { user: 'ada', info: [], note: [] }, 'flash read once')
      })
  },
  {
    name: 'callback methods: regenerate, reload and save call back once, inside a returned promise',
    run: () =>
      withApp({ options: { store: slowStore() } }, async (jar) => {
        same((await jar.fetch('/login-callback')).status, 302, 'login')
        same(json(await jar.fetch('/whoami')).user, 'grace', 'user')
        await jar.fetch('/count')
        same((await jar.fetch('/reload-callback')).body, '1', 'reloaded')
        same((await jar.fetch('/save-callback')).body, 'saved', 'saved')
      })
  },
  {
    name: 'destroy removes the record and req.session; the next request starts afresh',
    run: () =>
      withApp({}, async (jar, { store }) => {
        await jar.fetch('/count')
        const id = jar.sid()
        same((await jar.fetch('/logout')).body, 'undefined', 'req.session after destroy')
        same(await store.get(id), null, 'record')
        same(json(await jar.fetch('/read')).count, null, 'count afterwards')
      })
  },
  {
    name: 'reload drops unsaved changes; save then redirect is read by the next request (slow store)',
    run: () =>
      withApp({ options: { store: slowStore() } }, async (jar) => {
        await jar.fetch('/count')
        same((await jar.fetch('/reload')).body, '1', 'reloaded count')
        same((await jar.fetch('/save-redirect')).status, 302, 'redirect')
        same((await jar.fetch('/read-saved')).body, 'yes', 'after the redirect')
      })
  },
  {
    name: 'touch resets the expiry and the store is touched for an unmodified session',
    run: async () => {
      const store = slowStore(1)
      await withApp({ options: { store, cookie: { maxAge: 60_000 } } }, async (jar) => {
        await jar.fetch('/count')
        same(json(await jar.fetch('/touch')), { chained: true, moved: true }, 'touch')
        check(store.calls.includes('touch'), `store calls: ${store.calls}`)
      })
    }
  },
  {
    name: 'a Secure cookie: withheld over http, sent through a trusted proxy, not through an untrusted one',
    run: async () => {
      const options = { cookie: { secure: true } }
      await withApp({ options, trustProxy: 1 }, async (jar) => {
        same((await jar.fetch('/count')).setCookie, [], 'plain http')
        const proxied = await jar.fetch('/count', { headers: { 'x-forwarded-proto': 'https' } })
        check(/; HttpOnly; Secure$/.test(proxied.setCookie[0] ?? ''), `trusted proxy: ${proxied.setCookie}`)
      })
      await withApp({ options }, async (jar) => {
        same((await jar.fetch('/count', { headers: { 'x-forwarded-proto': 'https' } })).setCookie, [], 'untrusted proxy')
      })
      await withApp({ options: { ...options, proxy: true } }, async (jar) => {
        same((await jar.fetch('/count', { headers: { 'x-forwarded-proto': 'https' } })).setCookie.length, 1, 'proxy: true')
      })
    }
  },
  {
    name: 'every cookie option gives the same Set-Cookie line as express-session',
    run: () =>
      sameSetCookieAsExpressSession(secret, async (options, headers) => {
        let lines: string[] = []
        await withApp({ options, trustProxy: true }, async (jar) => {
          lines = (await jar.fetch('/count', { headers })).setCookie
        })
        return lines
      })
  },
  {
    name: 'a tampered cookie or a client-chosen ID starts a fresh session',
    run: () =>
      withApp({}, async (jar) => {
        await jar.fetch('/count')
        const [id, mac] = decodeURIComponent(jar.cookies.get('connect.sid')!).slice(2).split('.')
        same((await jar.fetch('/count', { cookie: 'connect.sid=' + encodeURIComponent(`s:${id}.${mac.slice(0, -2)}xx`) })).body, '1', 'tampered')
        same((await jar.fetch('/count', { cookie: 'connect.sid=' + encodeURIComponent(`s:${id}`) })).body, '1', 'unsigned')
        const chosen = await new Client(jar.base).fetch('/count', { cookie: 'connect.sid=' + encodeURIComponent('s:' + sign('chosen', secret)) })
        check(!chosen.setCookie[0].includes('chosen'), 'client-chosen ID adopted')
      })
  },
  {
    name: 'a session made by express-session (Express on Bun) is read and changed here, and read back there',
    run: async () => {
      const store = new (expressSession as any).MemoryStore()
      const reference = expressSession({ secret, store, resave: false, saveUninitialized: false })
      let cookie = ''
      await withExpress(reference, async (url) => {
        const jar = new Client(url)
        same((await jar.fetch('/login')).status, 302, 'login in express-session')
        await jar.fetch('/count')
        cookie = jar.cookie
      })
      await withApp({ options: { store } }, async (jar) => {
        same(json(await jar.fetch('/read', { cookie })), { count: 1, user: 'ada', later: false }, 'read in bunway')
        same((await jar.fetch('/count', { cookie })).body, '2', 'counted on in bunway')
      })
      await withExpress(reference, async (url) => same((await new Client(url).fetch('/count', { cookie })).body, '3', 'back in express-session'))
    }
  },
  {
    name: "the app's own cookies (res.cookie, res.append) stay separate Set-Cookie lines",
    run: () =>
      withApp({}, async (jar) => {
        const reply = await jar.fetch('/other-cookies')
        same(reply.setCookie.length, 3, `lines: ${reply.setCookie}`)
        check(reply.setCookie.some((l) => l.startsWith('theme=dark')) && reply.setCookie.includes('plain=1; Path=/'), 'app cookies')
      })
  },
  {
    name: 'a streamed response (toStreamingResponse) carries the cookie and waits for the save',
    run: () =>
      withApp({ options: { store: slowStore() } }, async (jar) => {
        const reply = await jar.fetch('/stream')
        same(reply.body, 'ab', 'body')
        same(reply.setCookie.length, 1, 'Set-Cookie lines')
        same(json(await jar.fetch('/read')).count, null, 'session is there')
      })
  },
  {
    name: 'a router mounted at a prefix skips the app middleware; mounted on it too, it works (once per request)',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      const sessions = session({ secret, store, resave: false, saveUninitialized: false })
      const bare = new Router()
      bare.get('/has', async (req, res) => res.json({ session: Boolean(req.session) }))
      const api = new Router()
      api.use(sessions)
      routes(api)
      const app = bunway()
      app.use(sessions)
      app.use(sessions)
      app.use('/bare', bare)
      app.use('/api', api)
      routes(app)
      const server = app.listen(0)
      try {
        const jar = new Client(server.url)
        same(json(await jar.fetch('/bare/has')), { session: false }, 'router without the middleware')
        await jar.fetch('/count')
        same((await jar.fetch('/api/count')).body, '2', 'same session in the router')
        same((await jar.fetch('/count')).body, '3', 'and back in the app')
      } finally {
        server.stop()
      }
    }
  },
  {
    name: 'toResponse wrapped by other middleware (bunway.md §5), before and after the session, sync and async: all compose',
    run: async () => {
      const store = slowStore(20)
      // Like bunway's response-time (sync) and timeout (async): each wraps res.toResponse per request.
      const wrap = (header: string, async: boolean) => (_req: any, res: any, next: any) => {
        const inner = res.toResponse
        res.toResponse = function (this: any) {
          res.set(header, 'yes')
          if (!async) return inner.call(this)
          return new Promise((resolve) => setTimeout(resolve, 5)).then(() => inner.call(this))
        }
        next()
      }
      await withApp(
        { options: { store }, before: (app) => (app.use(wrap('x-before-sync', false)), app.use(wrap('x-before-async', true))), after: (app) => (app.use(wrap('x-after-sync', false)), app.use(wrap('x-after-async', true))) },
        async (jar) => {
          const reply = await jar.fetch('/count')
          same(['x-before-sync', 'x-before-async', 'x-after-sync', 'x-after-async'].map((h) => reply.headers.get(h)), ['yes', 'yes', 'yes', 'yes'], 'every wrapper ran')
          same([reply.body, reply.setCookie.length], ['1', 1], 'body and cookie')
          same((await store.inner.get(jar.sid()))?.count, 1, 'stored when the response arrived')
        }
      )
    }
  },
  {
    name: 'a handler answering from a callback without returning a promise gets an empty 200 (documented)',
    run: () =>
      withApp({ options: { store: slowStore() } }, async (jar) => {
        await jar.fetch('/count')
        const reply = await jar.fetch('/callback-only')
        same([reply.status, reply.body], [200, ''], 'status and body')
      })
  },
  {
    name: 'data that cannot be stored: a 500, not the original response, and the server goes on',
    run: () =>
      withApp({}, async (jar) => {
        const failed = await jar.fetch('/poison')
        same(failed.status, 500, 'status')
        check(!failed.body.includes('should not be sent'), 'original body sent')
        same((await new Client(jar.base).fetch('/count')).body, '1', 'next request')
      })
  },
  {
    name: "onSaveError: 'respond': a store that fails at save time lets the response go out as written, with its cookie, and the error is logged",
    run: async () => {
      const store = promiseStore()
      store.failing.add('set')
      const logged = await consoleErrors(() =>
        withApp({ options: { store, onSaveError: 'respond' } }, async (jar) => {
          const reply = await jar.fetch('/count')
          same([reply.status, reply.body, reply.setCookie.length], [200, '1', 1], 'the response as written')
        })
      )
      same(logged.map((args) => (args[1] as any)?.code), ['ESTOREDOWN'], 'logged errors')
    }
  },
  {
    name: 'a store that fails to load: the error reaches the 4-argument error handler',
    run: async () => {
      const store = promiseStore()
      store.failing.add('get')
      await withApp({ options: { store } }, async (jar) => {
        const reply = await jar.fetch('/count', { cookie: 'connect.sid=' + encodeURIComponent('s:' + sign('someone', secret)) })
        same([reply.status, reply.body, store.calls], [500, 'error: get failed', ['get']], 'answer')
      })
    }
  },
  {
    name: 'the session leaves statusCode alone (a getter only in bunway)',
    run: () =>
      withApp({ options: { saveUninitialized: true, rolling: true } }, async (jar) => {
        const reply = await jar.fetch('/status-read')
        same([reply.status, reply.body, reply.setCookie.length], [201, '201', 1], 'status, body, cookie')
      })
  },
  {
    name: "control: the double keeps bunway's res contract (bunway.md §4)",
    run: async () => {
      const app = bunway()
      app.get('/', async (req, res) => {
        let threw = false
        try {
          ;(res as any).statusCode = 302
        } catch {
          threw = true
        }
        res.set('x-list', ['a', 'b'])
        const absent = ['setHeader', 'writeHead', 'on', '_implicitHeader', 'socket'].filter((k) => (res as any)[k] !== undefined || (req as any)[k] !== undefined)
        res.json({ threw, absent, plainHeaders: (req.headers as any).cookie === undefined })
        res.set('x-sent', String(res.headersSent)) // true, yet headers can still change until toResponse()
      })
      const server = app.listen(0)
      try {
        const reply = await new Client(server.url).fetch('/', { cookie: 'a=1' })
        same([json(reply), reply.headers.get('x-list'), reply.headers.get('x-sent')], [{ threw: true, absent: [], plainHeaders: true }, 'a,b', 'true'], 'contract')
      } finally {
        server.stop()
      }
    }
  },
  {
    name: 'control: express-session in the double keeps no session past a request (bunway.md §8)',
    run: async () => {
      const app = bunway()
      app.use(expressSession({ secret, resave: false, saveUninitialized: false }))
      app.get('/count', async (req, res) => {
        req.session.n = (req.session.n || 0) + 1
        res.send(String(req.session.n))
      })
      const server = app.listen(0)
      try {
        const jar = new Client(server.url)
        const first = await jar.fetch('/count')
        same([first.body, first.setCookie], ['1', []], 'no Set-Cookie: on-headers never fires')
        // §8.3: with a cookie, the store answers too late; the route runs without req.session.
        const second = await jar.fetch('/count', { cookie: 'connect.sid=' + encodeURIComponent('s:' + sign('x', secret)) })
        check(second.status === 500 && second.body.includes('req.session'), `with a cookie: ${second.status} ${second.body}`)
      } finally {
        server.stop()
      }
    }
  },
  {
    name: 'the cookie path option: no session outside it',
    run: () =>
      withApp({ options: { cookie: { path: '/admin' } } }, async (jar) => {
        same(json(await jar.fetch('/read')).count, null, 'outside the path')
        same((await jar.fetch('/count')).status, 500, 'req.session is undefined outside the path')
      })
  }
]
