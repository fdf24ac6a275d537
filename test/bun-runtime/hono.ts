/**
 * Hono with honoSession and with webSession's middleware, through real HTTP:
 * under Bun (Bun.serve; node_modules/.bin/bun test/bun-runtime/run.ts hono)
 * and under Node (@hono/node-server; test/hono.test.ts).
 */
import express from 'express'
import { Hono } from 'hono'
import { honoSession } from '../../lib/adapters/hono'
import { webSession } from '../../lib/adapters/web'
import { session } from '../../lib/middleware'
import { MemoryStore } from '../../stores/memory'
import { serving } from '../helpers/fetch-server'
import { Client, serve } from '../helpers/http'
import { scenarioApp } from '../helpers/routes'
import { check, consoleErrors, json, same, type Scenario } from '../helpers/scenarios'
import { slowStore } from '../helpers/stores'

const secret = 'hono secret'
const options = (extra: Record<string, unknown> = {}) => ({
  secret,
  resave: false,
  saveUninitialized: false,
  store: new MemoryStore({ sweepInterval: false }),
  ...extra
})

/** The app the scenarios share, with the session middleware `middleware`. */
function app(middleware: any) {
  const app = new Hono()
  app.use('*', middleware)
  app.onError((err: any, c) => c.text(`onError: ${err.code ?? err.message}`, 500))
  app.get('/count', (c) => {
    const session = c.get('session')
    session.count = ((session.count as number) || 0) + 1
    return c.text(String(session.count))
  })
  app.get('/login', async (c) => {
    const before = c.get('session')
    await c.get('session').regenerate()
    const after = c.get('session')
    after.user = 'ada'
    after.flash('info', 'welcome')
    c.header('x-regenerated', String(before !== after && before.id !== after.id && after.id === c.get('session').id))
    return c.redirect('/whoami')
  })
  app.get('/whoami', (c) => c.json({ user: c.get('session').user ?? null, info: c.get('session').flash('info') }))
  app.get('/logout', async (c) => {
    await c.get('session').destroy()
    return c.text(String(c.get('session')))
  })
  app.get('/clear', (c) => {
    c.set('session', {} as any)
    return c.text('cleared')
  })
  app.get('/immutable', (c) => {
    c.get('session').seen = true
    return Response.redirect(new URL('/count', c.req.url).href, 303)
  })
  return app
}

const counting = async (jar: Client) => {
  const first = await jar.fetch('/count')
  same(first.body, '1', 'first')
  check(/^connect\.sid=s%3A[\w-]{32}\.[\w%]+; Path=\/; HttpOnly$/.test(first.setCookie[0] ?? ''), `cookie line: ${first.setCookie}`)
  const second = await jar.fetch('/count')
  same([second.body, second.setCookie], ['2', []], 'second, no cookie re-sent')
}

export const scenarios: Scenario[] = [
  {
    name: "honoSession: c.get('session') counts, with the cookie of the Express side",
    run: () => serving(app(honoSession(options())).fetch, counting)
  },
  {
    name: "app.use('*', webSession(options).middleware) is a Hono middleware too",
    run: () => serving(app(webSession(options()).middleware).fetch, counting)
  },
  {
    name: "regenerate: c.get('session') is the new session; c.redirect carries the cookie; flash survives the redirect",
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      await serving(app(honoSession(options({ store }))).fetch, async (jar) => {
        await jar.fetch('/count')
        const before = jar.sid()
        const login = await jar.fetch('/login')
        same([login.status, login.headers.get('location'), login.setCookie.length, login.headers.get('x-regenerated')], [302, '/whoami', 1, 'true'], 'login')
        check(jar.sid() !== before && (await store.get(before)) === null, 'new ID, old record gone')
        same(json(await jar.fetch('/whoami')), { user: 'ada', info: ['welcome'] }, 'after the redirect')
        same(json(await jar.fetch('/whoami')), { user: 'ada', info: [] }, 'flash read once')
      })
    }
  },
  {
    name: "destroy: c.get('session') is undefined after it, and the record is gone",
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      await serving(app(honoSession(options({ store }))).fetch, async (jar) => {
        await jar.fetch('/count')
        const id = jar.sid()
        const bye = await jar.fetch('/logout')
        same([bye.body, bye.setCookie, await store.get(id)], ['undefined', [], null], 'after destroy')
      })
    }
  },
  {
    name: "c.set('session', {}) clears the data, as req.session = {} does",
    run: () =>
      serving(app(honoSession(options())).fetch, async (jar) => {
        await jar.fetch('/count')
        await jar.fetch('/count')
        same((await jar.fetch('/clear')).body, 'cleared', 'clear')
        same((await jar.fetch('/count')).body, '1', 'counted afresh')
      })
  },
  {
    name: 'an immutable Response (Response.redirect): the cookie is added, status and location kept',
    run: () =>
      serving(app(honoSession(options())).fetch, async (jar) => {
        const reply = await jar.fetch('/immutable')
        same([reply.status, new URL(reply.headers.get('location')!).pathname, reply.setCookie.length], [303, '/count', 1], 'redirect')
      })
  },
  {
    name: 'the response waits for the store (slow store): the record is there when the reply arrives',
    run: async () => {
      const store = slowStore(30)
      await serving(app(honoSession(options({ store }))).fetch, async (jar) => {
        same((await jar.fetch('/count')).body, '1', 'reply')
        same((await store.inner.get(jar.sid()))?.count, 1, 'stored count')
      })
    }
  },
  {
    name: "a store error at save time reaches Hono's onError, without the session cookie",
    run: async () => {
      const store = slowStore(0)
      store.failing.add('set')
      await serving(app(honoSession(options({ store }))).fetch, async (jar) => {
        const reply = await jar.fetch('/count')
        same([reply.status, reply.body, reply.setCookie], [500, 'onError: ESTOREDOWN', []], 'answer')
      })
    }
  },
  {
    name: "a store error when loading reaches Hono's onError",
    run: async () => {
      const store = slowStore(0)
      await serving(app(honoSession(options({ store }))).fetch, async (jar) => {
        await jar.fetch('/count')
        store.failing.add('get')
        same([(await jar.fetch('/count')).status, (await jar.fetch('/count')).body], [500, 'onError: ESTOREDOWN'], 'answer')
      })
    }
  },
  {
    name: "onSaveError: 'respond': the handler's Response goes out with its cookie, the error is logged",
    run: async () => {
      const store = slowStore(0)
      store.failing.add('set')
      const logged = await consoleErrors(() =>
        serving(app(honoSession(options({ store, onSaveError: 'respond' }))).fetch, async (jar) => {
          const reply = await jar.fetch('/count')
          same([reply.status, reply.body, reply.setCookie.length], [200, '1', 1], 'reply')
        })
      )
      same(logged.map((args) => (args[1] as any)?.code), ['ESTOREDOWN'], 'logged')
    }
  },
  {
    name: 'mounted app-wide and on a route: one session, committed once by the outer middleware',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      const sessions = honoSession(options({ store }))
      const hono = new Hono()
      hono.use('*', sessions)
      hono.use('/count', async (c, next) => {
        await next()
        c.get('session').last = '/count'
      })
      hono.use('/count', sessions)
      hono.get('/count', (c) => {
        c.get('session').count = 1
        return c.text('ok')
      })
      await serving(hono.fetch, async (jar) => {
        same((await jar.fetch('/count')).setCookie.length, 1, 'one cookie')
        same(await store.get(jar.sid()), { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, count: 1, last: '/count' }, 'record')
      })
    }
  },
  {
    name: 'Hono and Express (session()) share a store and a cookie, both ways',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      const served = await serve(scenarioApp(express, session({ secret, store, resave: false, saveUninitialized: false })))
      try {
        const onExpress = new Client(served.url)
        same((await onExpress.fetch('/count')).body, '1', 'Express')
        await serving(app(honoSession(options({ store }))).fetch, async (jar) => {
          same((await jar.fetch('/count', { cookie: onExpress.cookie })).body, '2', 'Hono')
        })
        same((await onExpress.fetch('/count')).body, '3', 'Express again')
      } finally {
        await served.close()
      }
    }
  }
]
