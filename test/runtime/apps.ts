/**
 * The same session app on every runtime sessionware serves: Express 4 and 5
 * (on Node, or on Bun's node:http), the bunway double, and a Request →
 * Response server (Bun.serve with webSession). Each answers the routes the
 * behaviour scenarios drive.
 */
import http from 'http'
import type { AddressInfo } from 'net'
// The build, as users get it (Bun cannot load the `export =` source directly).
import sessionware from '../../dist/lib/index.js'
import { bunway, cookieParser } from '../bunway-double'
import { slowStore } from '../bun-runtime/harness'

const session: any = sessionware
const { MemoryStore } = session
export const SECRET = 'behaviour suite'

export type Variant = 'express4' | 'express5' | 'bunway' | 'web'

export interface Running {
  url: string
  store: any
  stop(): Promise<void> | void
}

/** A store whose `set` rejects (a store outage at save time) for a record with `failSet`. */
function countedStore() {
  const store = slowStore(1)
  const set = store.set
  store.set = (sid: string, record: any) =>
    record.failSet ? Promise.reject(Object.assign(new Error('store down'), { code: 'ESTOREDOWN' })) : set(sid, record)
  return store
}

/**
 * Options of the app instances the scenarios run against. `onSaveError:
 * 'error'` is explicit where a scenario makes the commit fail, so that every
 * runtime answers alike (Node's default is express-session's 'respond').
 */
export const instances = {
  plain: () => ({ store: new MemoryStore({ sweepInterval: false }), resave: false, saveUninitialized: false, onSaveError: 'error' }),
  slow: () => ({ store: slowStore(25), resave: false, saveUninitialized: true, rolling: true }),
  // A store that records its calls (and fails a save on request), a cookie with an expiry.
  counted: () => ({ store: countedStore(), resave: false, saveUninitialized: false, cookie: { maxAge: 60_000 }, onSaveError: 'error' }),
  resave: () => ({ store: countedStore(), resave: true, saveUninitialized: false, cookie: { maxAge: 60_000 } })
}
export type Instance = keyof typeof instances

function cookieFor(req: any) {
  const url: string = req.originalUrl || req.url || ''
  return url.includes('/secure') ? { secure: true, maxAge: 60_000 } : {}
}

/** `req.session.touch()` moves the expiry forward and chains. */
async function touch(req: any) {
  const before = req.session.cookie.expires?.getTime() ?? null
  await new Promise((resolve) => setTimeout(resolve, 5))
  const chained = req.session.touch() === req.session
  return { chained, moved: before !== null && req.session.cookie.expires.getTime() > before }
}

/** The routes, written once for every (req, res) framework. */
function mountRoutes(app: any) {
  app.get('/count', async (req: any, res: any) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(String(req.session.count))
  })
  app.get('/read', async (req: any, res: any) => res.json({ count: req.session.count ?? null, user: req.session.user ?? null }))
  app.get('/noop', async (_req: any, res: any) => res.send('ok'))
  app.get('/login', async (req: any, res: any) => {
    await req.session.regenerate()
    req.session.user = 'ada'
    req.flash('info', 'welcome')
    res.redirect('/whoami')
  })
  app.get('/login-callback', async (req: any, res: any) => {
    await new Promise<void>((resolve, reject) => req.session.regenerate((err: any) => (err ? reject(err) : resolve())))
    req.session.user = 'grace'
    req.session.flash('info', 'hello %s', 'grace')
    res.redirect('/whoami')
  })
  app.get('/whoami', async (req: any, res: any) => res.json({ user: req.session.user ?? null, info: req.session.flash('info') }))
  app.get('/logout', async (req: any, res: any) => {
    await req.session.destroy()
    res.send('bye')
  })
  app.get('/clear', async (req: any, res: any) => {
    req.session = {}
    res.send('cleared')
  })
  app.get('/replace', async (req: any, res: any) => {
    req.session = { user: 'replaced' }
    res.send('replaced')
  })
  app.get('/reload', async (req: any, res: any) => {
    req.session.count = 999
    await req.session.reload()
    res.send(String(req.session.count))
  })
  app.get('/save-redirect', async (req: any, res: any) => {
    req.session.saved = 'yes'
    await req.session.save()
    res.redirect('/read-saved')
  })
  app.get('/read-saved', async (req: any, res: any) => res.send(String(req.session.saved)))
  app.get('/reload-callback', async (req: any, res: any) => {
    req.session.count = 999
    const err = await new Promise((resolve) => req.session.reload(resolve))
    res.send(err ? 'error' : String(req.session.count))
  })
  app.get('/save-callback', async (req: any, res: any) => {
    req.session.saved = 'by callback'
    const err = await new Promise((resolve) => req.session.save(resolve))
    res.send(err ? 'error' : 'saved')
  })
  app.get('/touch', async (req: any, res: any) => res.json(await touch(req)))
  app.get('/fail-store', async (req: any, res: any) => {
    req.session.failSet = true
    res.send('should not be sent')
  })
  app.get('/other-cookie', async (req: any, res: any) => {
    req.session.other = true
    res.append('Set-Cookie', 'other=1; Path=/')
    res.send('ok')
  })
  app.get('/secure', async (req: any, res: any) => {
    req.session.secure = true
    res.send('ok')
  })
  app.get('/fail-save', async (req: any, res: any) => {
    req.session.poison = 10n
    res.send('should not be sent')
  })
  app.use((err: any, _req: any, res: any, _next: any) => {
    res.status(500).send('error: ' + (err && err.code))
  })
}

function listenNode(app: any): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer(app)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        stop: () => new Promise<void>((done) => (server.closeAllConnections?.(), server.close(() => done())))
      })
    })
  )
}

/**
 * The Set-Cookie lines express-session itself sends for `options` (Express 5
 * on node:http, in this process), for comparison.
 */
export async function referenceSetCookie(options: Record<string, unknown>, headers: Record<string, string>): Promise<string[]> {
  const express = (await import('express')).default as any
  const expressSession = (await import('express-session')).default as any
  const app = express()
  app.set('trust proxy', true)
  app.use(expressSession({ secret: SECRET, resave: false, saveUninitialized: false, ...options }))
  app.get('/count', (req: any, res: any) => {
    req.session.count = 1
    res.send('1')
  })
  const server = await listenNode(app)
  try {
    return (await fetch(server.url + '/count', { headers })).headers.getSetCookie()
  } finally {
    await server.stop()
  }
}

/** Start `variant` with an instance's options (and `extra` on top). */
export async function start(variant: Variant, instance: Instance, extra: Record<string, unknown> = {}): Promise<Running> {
  const options = { secret: SECRET, cookie: cookieFor, ...instances[instance](), ...extra }
  const store = options.store
  if (variant === 'express4' || variant === 'express5') {
    const express = (await import(variant === 'express4' ? 'express4' : 'express')).default as any
    const app = express()
    app.set('trust proxy', true)
    app.use(session(options))
    mountRoutes(app)
    return { ...(await listenNode(app)), store }
  }
  if (variant === 'bunway') {
    const app = bunway()
    app.set('trust proxy', true)
    app.use(cookieParser('bunway secret'))
    const middleware = session(options)
    app.use(middleware)
    mountRoutes(app)
    const server = app.listen(0)
    return { url: server.url, store, stop: () => server.stop() }
  }
  const sessions = session.webSession({ ...options, proxy: true })
  const server = (globalThis as any).Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request: Request) => sessions.withSession(request, (req) => webRoutes(req)).catch((err: any) => new Response('error: ' + err.code, { status: 500 }))
  })
  return { url: `http://127.0.0.1:${server.port}`, store, stop: () => server.stop(true) }
}

/** The same routes for a Request → Response handler. */
async function webRoutes(req: any): Promise<Response> {
  const path = new URL(req.url).pathname
  const text = (body: string) => new Response(body)
  switch (path) {
    case '/count':
      req.session.count = (req.session.count || 0) + 1
      return text(String(req.session.count))
    case '/read':
      return Response.json({ count: req.session.count ?? null, user: req.session.user ?? null })
    case '/noop':
      return text('ok')
    case '/login':
      await req.regenerateSession()
      req.session.user = 'ada'
      req.flash('info', 'welcome')
      return Response.redirect(new URL('/whoami', req.url).href, 302)
    case '/login-callback':
      await new Promise<void>((resolve, reject) => req.session.regenerate((err: any) => (err ? reject(err) : resolve())))
      req.session.user = 'grace'
      req.session.flash('info', 'hello %s', 'grace')
      return Response.redirect(new URL('/whoami', req.url).href, 302)
    case '/whoami':
      return Response.json({ user: req.session.user ?? null, info: req.session.flash('info') })
    case '/logout':
      await req.destroySession()
      return text('bye')
    case '/clear':
      req.session = {}
      return text('cleared')
    case '/replace':
      req.session = { user: 'replaced' }
      return text('replaced')
    case '/reload':
      req.session.count = 999
      await req.session.reload()
      return text(String(req.session.count))
    case '/save-redirect':
      req.session.saved = 'yes'
      await req.session.save()
      return new Response(null, { status: 302, headers: { location: '/read-saved' } })
    case '/read-saved':
      return text(String(req.session.saved))
    case '/reload-callback': {
      req.session.count = 999
      const err = await new Promise((resolve) => req.session.reload(resolve))
      return text(err ? 'error' : String(req.session.count))
    }
    case '/save-callback': {
      req.session.saved = 'by callback'
      const err = await new Promise((resolve) => req.session.save(resolve))
      return text(err ? 'error' : 'saved')
    }
    case '/touch':
      return Response.json(await touch(req))
    case '/fail-store':
      req.session.failSet = true
      return text('should not be sent')
    case '/other-cookie': {
      req.session.other = true
      const response = text('ok')
      response.headers.append('Set-Cookie', 'other=1; Path=/')
      return response
    }
    case '/secure':
      req.session.secure = true
      return text('ok')
    case '/fail-save':
      req.session.poison = 10n
      return text('should not be sent')
  }
  return new Response('Not Found', { status: 404 })
}
