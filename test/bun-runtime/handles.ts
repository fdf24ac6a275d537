/**
 * ts-auth-style handles (`await sessionMiddleware(request, config)`), as
 * ../shared/docs/seeds/ts-auth-session-middleware.md writes them, through
 * real HTTP: under Bun (node_modules/.bin/bun test/bun-runtime/run.ts handles)
 * and under Node (test/handles.test.ts).
 */
import express from 'express'
import fs from 'fs'
import os from 'os'
import path from 'path'
import { Hono } from 'hono'
import { sessionHandles, sessionMiddleware, type SessionConfig } from '../../lib/adapters/handle'
import { session as expressStyle } from '../../lib/middleware'
import { MemoryStore } from '../../stores/memory'
import { serving } from '../helpers/fetch-server'
import { Client, serve } from '../helpers/http'
import { scenarioApp } from '../helpers/routes'
import { check, json, same, type Scenario } from '../helpers/scenarios'

const secret = 'ts-auth secret'
const config = (extra: Partial<SessionConfig> = {}): SessionConfig => ({ secret, driver: 'memory', lifetime: 120, ...extra })

/** The Bun.serve handler of ts-auth's docs, plus a few routes of our own. */
function fetchWith(sessionConfig: SessionConfig) {
  return async (req: Request): Promise<Response> => {
    const session = await sessionMiddleware(req, sessionConfig)
    const url = new URL(req.url)
    const userId = session.get('user_id')
    const reply = async (body: unknown) => {
      await session.save()
      return Response.json(body, { headers: session.getCookieHeader() })
    }
    switch (url.pathname) {
      case '/login': {
        const before = session.getId()
        session.put('user_id', 123)
        await session.regenerate()
        return reply({ regenerated: session.getId() !== before, user_id: session.get('user_id') })
      }
      case '/dashboard':
        return userId ? new Response(`Welcome, user ${userId}`) : new Response('Unauthorized', { status: 401 })
      case '/visits':
        session.put('visits', session.get('visits', 0) + 1)
        return reply({ visits: session.get('visits') })
      case '/flash':
        session.flash('success', 'Profile updated successfully')
        session.flash('errors', { email: 'Email already taken' })
        return reply({ flashed: true })
      case '/read':
        return reply({ success: session.get('_flash.success', null), email: session.get('_flash.errors.email', null) })
      case '/reflash':
        session.reflash()
        return reply({ success: session.get('_flash.success', null) })
      case '/keep':
        session.keep(['success'])
        return reply({ success: session.get('_flash.success', null), email: session.get('_flash.errors.email', null) })
      case '/logout': {
        const before = session.getId()
        await session.invalidate()
        return reply({ changed: session.getId() !== before, all: session.all() })
      }
      case '/nothing':
        await session.save()
        return Response.json({ header: session.getCookieHeader(), line: session.getCookieString() }, { headers: session.getCookieHeader() })
      default:
        return new Response('Not Found', { status: 404 })
    }
  }
}

export const scenarios: Scenario[] = [
  {
    name: 'login: put, regenerate (new ID, data kept), save, getCookieHeader; the next request is logged in',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      await serving(fetchWith(config({ store })), async (jar) => {
        same((await jar.fetch('/dashboard')).status, 401, 'before')
        await jar.fetch('/visits')
        const before = jar.sid()
        const reply = await jar.fetch('/login')
        same([json(reply), reply.setCookie.length], [{ regenerated: true, user_id: 123 }, 1], 'login')
        check(jar.sid() !== before && (await store.get(before)) === null, 'new ID, old record gone')
        same((await jar.fetch('/dashboard')).body, 'Welcome, user 123', 'after')
        same(json(await jar.fetch('/visits')), { visits: 2 }, 'data kept by regenerate')
      })
    }
  },
  {
    name: "the cookie: config.cookie names it, lifetime (minutes) sets its expiry, path/domain/sameSite/httpOnly as given",
    run: () =>
      serving(fetchWith(config({ cookie: 'app_session', lifetime: 30, sameSite: 'lax', domain: '127.0.0.1', path: '/' })), async (jar) => {
        const line = (await jar.fetch('/visits')).setCookie[0] ?? ''
        check(line.startsWith('app_session=s%3A'), `name: ${line}`)
        check(/; Max-Age=1800; /.test(line) || / Expires=/.test(line), `expiry: ${line}`)
        check(line.includes('; Domain=127.0.0.1') && line.includes('; HttpOnly') && /SameSite=Lax/.test(line), `attributes: ${line}`)
        const again = await jar.fetch('/visits', { cookie: `app_session=${jar.cookies.get('app_session')}` })
        same([json(again), again.setCookie.length], [{ visits: 2 }, 1], 'idle lifetime: the cookie again on each save')
      })
  },
  {
    name: 'get with dot paths and fallback, put (paths, objects), has, forget, all',
    run: async () => {
      const open = sessionHandles(config())
      const session = await open(new Request('http://localhost/'))
      session.put('user.name', 'ada')
      session.put({ role: 'admin', cart: [] })
      session.put('a.b', null)
      same(
        [session.get('user.name'), session.get('user'), session.get('missing', 'fallback'), session.get('user.name.deeper', 1), session.get('cookie', 'not data')],
        ['ada', { name: 'ada' }, 'fallback', 1, 'not data'],
        'get'
      )
      same([session.has('user.name'), session.has('a.b'), session.has('a'), session.has('nope')], [true, false, true, false], 'has')
      session.forget(['user.name', 'role'])
      same(session.all(), { user: {}, cart: [], a: { b: null } }, 'all')
      let error: any
      try {
        session.put('save', 1)
      } catch (err) {
        error = err
      }
      check(error instanceof TypeError && /own API/.test(error.message), 'put of a method name')
    }
  },
  {
    name: "flash: readable the next request only ('_flash.key'), then gone",
    run: () =>
      serving(fetchWith(config()), async (jar) => {
        await jar.fetch('/flash')
        same(json(await jar.fetch('/read')), { success: 'Profile updated successfully', email: 'Email already taken' }, 'next request')
        same(json(await jar.fetch('/read')), { success: null, email: null }, 'the one after')
      })
  },
  {
    name: 'reflash() carries every flash value one more request; keep([...]) only those named',
    run: () =>
      serving(fetchWith(config()), async (jar) => {
        await jar.fetch('/flash')
        same(json(await jar.fetch('/reflash')), { success: 'Profile updated successfully' }, 'reflash')
        same(json(await jar.fetch('/keep')), { success: 'Profile updated successfully', email: 'Email already taken' }, 'kept over')
        same(json(await jar.fetch('/read')), { success: 'Profile updated successfully', email: null }, 'only success kept')
        same(json(await jar.fetch('/read')), { success: null, email: null }, 'then gone')
      })
  },
  {
    name: 'invalidate(): a new ID, no data, the old record gone',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      await serving(fetchWith(config({ store })), async (jar) => {
        await jar.fetch('/login')
        const id = jar.sid()
        same(json(await jar.fetch('/logout')), { changed: true, all: {} }, 'logout')
        same([(await jar.fetch('/dashboard')).status, await store.get(id)], [401, null], 'after')
      })
    }
  },
  {
    name: 'no cookie due (an untouched new session): getCookieHeader() is {}, getCookieString() is empty',
    run: () => serving(fetchWith(config()), async (jar) => same(json(await jar.fetch('/nothing')), { header: {}, line: '' }, 'nothing due'))
  },
  {
    name: 'handles of the same config object share one store; a copied config is another one',
    run: async () => {
      const shared = config()
      const first = await sessionMiddleware(new Request('http://localhost/'), shared)
      first.put('n', 1)
      await first.save()
      const cookie = first.getCookieString().split(';')[0]
      const again = await sessionMiddleware(new Request('http://localhost/', { headers: { cookie } }), shared)
      const copied = await sessionMiddleware(new Request('http://localhost/', { headers: { cookie } }), { ...shared })
      same([again.getId(), again.get('n'), copied.get('n', 'absent')], [first.getId(), 1, 'absent'], 'shared')
      same(Object.keys(shared).includes('store') || JSON.stringify(shared).includes('handles'), false, 'the config stays as written')
    }
  },
  {
    name: 'config errors are clear: no secret, a frozen config, an unknown driver',
    run: async () => {
      const message = async (make: () => Promise<unknown>) => {
        try {
          await make()
          return 'no error'
        } catch (err: any) {
          return err.message as string
        }
      }
      const request = new Request('http://localhost/')
      check(/config\.secret is required/.test(await message(() => sessionMiddleware(request, {} as any))), 'secret')
      check(/frozen/.test(await message(() => sessionMiddleware(request, Object.freeze(config()))) ), 'frozen')
      check(/unknown driver/.test(await message(() => sessionMiddleware(request, config({ driver: 'mongo' as any })))), 'driver')
    }
  },
  {
    name: "driver 'file': sessions are files in config.files",
    run: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-handles-'))
      try {
        await serving(fetchWith(config({ driver: 'file', files: dir })), async (jar) => {
          await jar.fetch('/visits')
          same(json(await jar.fetch('/visits')), { visits: 2 }, 'counted')
          same(fs.readdirSync(dir).filter((name) => name.includes(Buffer.from(jar.sid()).toString('hex'))).length, 1, 'one file for the session')
        })
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  },
  {
    name: 'a hand-written Hono middleware (ts-auth docs) with a handle per request',
    run: async () => {
      const sessionConfig = config({ cookie: 'app_session' })
      const app = new Hono<{ Variables: { handle: Awaited<ReturnType<typeof sessionMiddleware>> } }>()
      app.use('*', async (c, next) => {
        const sess = await sessionMiddleware(c.req.raw, sessionConfig)
        c.set('handle', sess)
        await next()
        await sess.save()
        const line = sess.getCookieString()
        if (line) c.header('Set-Cookie', line, { append: true })
      })
      app.get('/', (c) => {
        const session = c.get('handle')
        session.put('visits', (session.get('visits') || 0) + 1)
        return c.json({ visits: session.get('visits') })
      })
      await serving(app.fetch, async (jar) => {
        same(json(await jar.fetch('/')), { visits: 1 }, 'first')
        same(json(await jar.fetch('/')), { visits: 2 }, 'second')
      })
    }
  },
  {
    name: 'a session written through a handle is read by session() on Express, and the other way round',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      const served = await serve(scenarioApp(express, expressStyle({ secret, store, resave: false, saveUninitialized: false })))
      try {
        await serving(fetchWith(config({ store })), async (jar) => {
          await jar.fetch('/visits')
          const onExpress = new Client(served.url)
          onExpress.cookies.set('connect.sid', jar.cookies.get('connect.sid')!)
          same((await onExpress.fetch('/count')).body, '1', 'Express counts on the handle’s session')
          same(json(await jar.fetch('/visits')), { visits: 2 }, 'the handle reads Express’s save')
          const record = await store.get(jar.sid())
          same([record?.visits, record?.count], [2, 1], 'one record')
          const fromExpress = new Client(served.url)
          await fromExpress.fetch('/count')
          same(json(await jar.fetch('/visits', { cookie: fromExpress.cookie })), { visits: 1 }, 'a session started on Express')
          same((await fromExpress.fetch('/count')).body, '2', 'Express again')
        })
      } finally {
        await served.close()
      }
    }
  }
]
