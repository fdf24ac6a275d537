/**
 * webSession (Request → Response servers) under Bun.serve, under real Bun.
 *   node_modules/.bin/bun test/bun-runtime/run.ts web
 * prints one JSON line per scenario.
 */
import { sign } from 'cookie-signature'
import express from 'express'
import expressSession from 'express-session'
import { webSession, type SessionRequest } from '../../lib/adapters/web'
import { MemoryStore } from '../../stores/memory'
import { Client, serve } from '../helpers/http'
import { scenarioApp } from '../helpers/routes'
import { check, consoleErrors, json, same, type Scenario } from '../helpers/scenarios'
import { slowStore } from '../helpers/stores'

const secret = 'web secret'
type Handler = (req: SessionRequest) => Response | Promise<Response>

async function serving(fetch: (request: Request) => Response | Promise<Response>, drive: (jar: Client) => Promise<void>) {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch })
  try {
    await drive(new Client(`http://127.0.0.1:${server.port}`))
  } finally {
    server.stop(true)
  }
}

/** A Bun.serve app whose every request goes through `withSession`. */
function withSessions(options: Record<string, unknown>, handler: Handler, drive: (jar: Client) => Promise<void>) {
  const sessions = webSession({ secret, resave: false, saveUninitialized: false, store: new MemoryStore({ sweepInterval: false }), ...options })
  return serving((request) => sessions.withSession(request, handler).catch((err) => new Response('error: ' + err.code, { status: 500 })), drive)
}

const counter: Handler = (req) => {
  req.session.count = (req.session.count || 0) + 1
  return new Response(String(req.session.count))
}
const path = (req: Request) => new URL(req.url).pathname

export const scenarios: Scenario[] = [
  {
    name: 'withSession: a counter, with the cookie format of the Express side',
    run: () =>
      withSessions({}, counter, async (jar) => {
        const first = await jar.fetch('/')
        same(first.body, '1', 'first')
        check(/^connect\.sid=s%3A[\w-]{32}\.[\w%]+; Path=\/; HttpOnly$/.test(first.setCookie[0] ?? ''), `cookie line: ${first.setCookie}`)
        same((await jar.fetch('/')).body, '2', 'second')
        same((await jar.fetch('/')).setCookie, [], 'no cookie re-sent')
      })
  },
  {
    name: "middleware (bun-router's (req, next) shape) sets req.session and req.flash; flash survives Response.redirect",
    run: async () => {
      const sessions = webSession({ secret, resave: false, saveUninitialized: false, store: slowStore() })
      const route = async (req: any): Promise<Response> => {
        if (path(req) === '/login') {
          await req.regenerateSession()
          req.session.user = 'ada'
          req.flash('info', 'welcome')
          req.session.flash('note', 'hello %s', 'ada')
          return Response.redirect(new URL('/whoami', req.url).href, 302)
        }
        return Response.json({ user: req.session.user ?? null, info: req.flash('info'), note: req.session.flash('note') })
      }
      await serving(
        (request) => sessions.middleware(request, () => route(request)),
        async (jar) => {
          const login = await jar.fetch('/login')
          same([login.status, login.setCookie.length], [302, 1], 'redirect with a cookie')
          same(json(await jar.fetch('/whoami')), { user: 'ada', info: ['welcome'], note: ['hello ada'] }, 'after the redirect')
          same(json(await jar.fetch('/whoami')), { user: 'ada', info: [], note: [] }, 'read once')
        }
      )
    }
  },
  {
    name: 'load and commit: the session on the Request, the cookie on the Response; commit without load is a no-op',
    run: async () => {
      const sessions = webSession({ secret, resave: false, saveUninitialized: false })
      const req = await sessions.load(new Request('http://localhost/'))
      req.session.n = 1
      const response = await sessions.commit(req, new Response('ok', { headers: { 'x-app': '1' } }))
      same([response.headers.getSetCookie().length, response.headers.get('x-app'), await response.text()], [1, '1', 'ok'], 'committed')
      const untouched = new Response('plain')
      same(await sessions.commit(new Request('http://localhost/'), untouched) === untouched, true, 'same Response back')
      same((await sessions.commit(req, new Response('again'))).headers.getSetCookie(), [], 'committed only once')
    }
  },
  {
    name: 'immutable headers (Response.redirect, a fetch() result): the cookie is added, status, location and body kept',
    run: async () => {
      const sessions = webSession({ secret, resave: false, saveUninitialized: true })
      const redirect = await sessions.withSession(new Request('http://localhost/'), () => Response.redirect('http://localhost/next', 303))
      same([redirect.status, redirect.headers.get('location'), redirect.headers.getSetCookie().length], [303, 'http://localhost/next', 1], 'redirect')
      await serving(
        () => new Response('upstream body', { headers: { 'x-up': 'yes' } }),
        async (upstream) => {
          const proxied = await sessions.withSession(new Request('http://localhost/'), () => fetch(upstream.base))
          same([await proxied.text(), proxied.headers.get('x-up'), proxied.headers.getSetCookie().length], ['upstream body', 'yes', 1], 'fetched')
        }
      )
    }
  },
  {
    name: "the handler's own Set-Cookie lines are kept",
    run: () =>
      withSessions(
        {},
        (req) => {
          req.session.x = 1
          const response = new Response('ok')
          response.headers.append('Set-Cookie', 'a=1; Path=/')
          response.headers.append('Set-Cookie', 'b=2; Path=/')
          return response
        },
        async (jar) => {
          const lines = (await jar.fetch('/')).setCookie
          same(lines.length, 3, `lines: ${lines}`)
          check(lines.includes('a=1; Path=/') && lines.includes('b=2; Path=/'), 'own cookies')
        }
      )
  },
  {
    name: 'the store is written before the Response is returned (slow store)',
    run: async () => {
      const store = slowStore(20)
      const sessions = webSession({ secret, resave: false, saveUninitialized: false, store })
      const response = await sessions.withSession(new Request('http://localhost/'), (req) => {
        req.session.saved = 'yes'
        return new Response('ok')
      })
      const id = decodeURIComponent(response.headers.getSetCookie()[0].split(';')[0].split('=')[1]).slice(2).split('.')[0]
      same((await store.inner.get(id))?.saved, 'yes', 'record when the Response is returned')
    }
  },
  {
    name: 'regenerateSession gives a new ID and keeps the data (bun-router); destroySession removes the record',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      await withSessions(
        { store },
        async (req) => {
          if (path(req) === '/new') await req.regenerateSession()
          if (path(req) === '/bye') {
            await req.destroySession()
            return new Response(String(req.session))
          }
          return counter(req)
        },
        async (jar) => {
          await jar.fetch('/')
          const first = jar.sid()
          same((await jar.fetch('/new')).body, '2', 'count after regenerate (the data is kept)')
          check(jar.sid() !== first && (await store.get(first)) === null, 'old record gone, new ID')
          const second = jar.sid()
          same((await jar.fetch('/bye')).body, 'undefined', 'req.session after destroy')
          same(await store.get(second), null, 'record after destroy')
        }
      )
    }
  },
  {
    name: 'a Secure cookie: only for https URLs or, with proxy: true, X-Forwarded-Proto https',
    run: async () => {
      const secure = { cookie: { secure: true } }
      await withSessions(secure, counter, async (jar) => same((await jar.fetch('/', { headers: { 'x-forwarded-proto': 'https' } })).setCookie, [], 'http, no proxy'))
      await withSessions({ ...secure, proxy: true }, counter, async (jar) => {
        same((await jar.fetch('/')).setCookie, [], 'http through the proxy')
        check(/; Secure$/.test((await jar.fetch('/', { headers: { 'x-forwarded-proto': 'https' } })).setCookie[0] ?? ''), 'https through the proxy')
      })
      const sessions = webSession({ secret, resave: false, saveUninitialized: true, ...secure })
      const direct = await sessions.withSession(new Request('https://localhost/'), () => new Response('ok'))
      check(/; Secure$/.test(direct.headers.getSetCookie()[0] ?? ''), 'an https request URL')
    }
  },
  {
    name: 'a tampered cookie or a client-chosen ID starts a fresh session',
    run: () =>
      withSessions({}, counter, async (jar) => {
        await jar.fetch('/')
        const [id, mac] = decodeURIComponent(jar.cookies.get('connect.sid')!).slice(2).split('.')
        same((await jar.fetch('/', { cookie: 'connect.sid=' + encodeURIComponent(`s:${id}.${mac.slice(0, -2)}xx`) })).body, '1', 'tampered')
        const chosen = await new Client(jar.base).fetch('/', { cookie: 'connect.sid=' + encodeURIComponent('s:' + sign('chosen', secret)) })
        check(!chosen.setCookie[0].includes('chosen'), 'client-chosen ID adopted')
      })
  },
  {
    name: 'express-session (Express on Bun) and Bun.serve share a callback store and a cookie, both ways',
    run: async () => {
      const store = new (expressSession as any).MemoryStore()
      const served = await serve(scenarioApp(express, expressSession({ secret, store, resave: false, saveUninitialized: false })))
      const onExpress = new Client(served.url)
      try {
        same((await onExpress.fetch('/count')).body, '1', 'express-session')
        await withSessions({ store }, counter, async (jar) => {
          same((await jar.fetch('/', { cookie: onExpress.cookie })).body, '2', 'Bun.serve')
          const again = await jar.fetch('/', { cookie: onExpress.cookie })
          same([again.body, again.setCookie], ['3', []], 'Bun.serve again, no new cookie')
        })
        same((await onExpress.fetch('/count')).body, '4', 'express-session again')
      } finally {
        await served.close()
      }
    }
  },
  {
    name: 'the cookie path option: no session outside it',
    run: async () => {
      const sessions = webSession({ secret, cookie: { path: '/admin' }, resave: false, saveUninitialized: true })
      const outside = await sessions.load(new Request('http://localhost/public'))
      const inside = await sessions.load(new Request('http://localhost/admin/x?y=1'))
      same([outside.session === undefined, typeof inside.session], [true, 'object'], 'sessions')
    }
  },
  {
    name: 'mounted twice (global and route-level middleware): the outer call commits, after an `await next()` middleware changed the session',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      const sessions = webSession({ secret, resave: false, saveUninitialized: false, store })
      const stamp = async (req: any, next: () => Promise<Response>) => {
        const response = await next()
        req.session.lastPath = path(req)
        return response
      }
      const handle = (req: Request) => sessions.middleware(req, () => stamp(req, () => sessions.middleware(req, () => counter(req as SessionRequest))))
      await serving(handle, async (jar) => {
        const first = await jar.fetch('/a')
        same([first.body, first.setCookie.length], ['1', 1], 'body and one cookie')
        same(await store.get(jar.sid()), { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, count: 1, lastPath: '/a' }, 'record')
        same((await jar.fetch('/b')).body, '2', 'counted on')
      })
    }
  },
  {
    name: 'a Bun.serve WebSocket upgrade reads the session; no Response, so no commit and no error (even with a cookie due)',
    run: async () => {
      const sessions = webSession({ secret, resave: false, saveUninitialized: false, rolling: true })
      let upgraded: Promise<string> | undefined
      const server = Bun.serve<{ user: string | null }, {}>({
        port: 0,
        hostname: '127.0.0.1',
        fetch(request, srv) {
          const answer = sessions.withSession(request, (req) => {
            if (path(req) === '/ws') return srv.upgrade(req, { data: { user: req.session.user ?? null } }) ? undefined : new Response('no upgrade', { status: 400 })
            req.session.user = 'ada'
            return new Response('logged in')
          })
          if (path(request) === '/ws') upgraded = answer.then(String, (err) => `rejected: ${err}`)
          return answer
        },
        websocket: { open: (ws) => ws.send(String(ws.data.user)), message() {} }
      })
      try {
        const jar = new Client(`http://127.0.0.1:${server.port}`)
        await jar.fetch('/login')
        const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { cookie: jar.cookie } } as any)
        const greeting = await new Promise<string>((resolve, reject) => {
          socket.onmessage = (event) => resolve(String(event.data))
          socket.onerror = () => reject(new Error('websocket error'))
        })
        socket.close()
        same([greeting, await upgraded], ['ada', 'undefined'], 'the user over the socket; what withSession gave Bun.serve')
      } finally {
        server.stop(true)
      }
    }
  },
  {
    name: "onSaveError: 'respond': a store that fails at save time lets the Response go out as written, with its cookie, and the error is logged",
    run: async () => {
      const store = slowStore(0)
      store.failing.add('set')
      const logged = await consoleErrors(() => withSessions({ store, onSaveError: 'respond' }, counter, async (jar) => {
        const reply = await jar.fetch('/')
        same([reply.status, reply.body, reply.setCookie.length], [200, '1', 1], 'the Response as written')
      }))
      same(logged.map((args) => (args[1] as any)?.code), ['ESTOREDOWN'], 'logged errors')
    }
  },
  {
    name: 'session data that cannot be stored rejects withSession with ESESSIONSERIALIZE',
    run: () =>
      withSessions(
        {},
        (req) => {
          req.session.poison = 10n
          return new Response('should not be sent')
        },
        async (jar) => same([(await jar.fetch('/')).status, (await jar.fetch('/')).body], [500, 'error: ESESSIONSERIALIZE'], 'answer')
      )
  }
]
