/**
 * The route tables the tests share, under Node (vitest) and under Bun (the
 * scripts in test/bun-runtime and test/runtime): no vitest import, no lib import.
 *
 * - scenarioApp: an Express app in callback style, which express-session
 *   itself can serve (the parity suite, and the reference side wherever a test
 *   compares with express-session);
 * - behaviourRoutes: the behaviour suite's app (test/runtime), written once and
 *   mounted on Express and bunway (mountRoutes) or answered as a Request →
 *   Response handler (webRoutes).
 */
import express5 from 'express'
import expressSession from 'express-session'
import { request, serve } from './http'
import { same } from './scenarios'

/**
 * The scenario app: a counter, login with regenerate, logout with destroy,
 * flash after redirect, reload, explicit save.
 */
export function scenarioApp(express: any, middleware: any, extra?: (app: any) => void) {
  const app = express()
  app.set('trust proxy', false)
  app.use(middleware)
  extra?.(app)
  app.get('/count', (req: any, res: any) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(String(req.session.count))
  })
  app.get('/read', (req: any, res: any) => {
    res.send(JSON.stringify(req.session ? req.session.count ?? null : 'no session'))
  })
  app.get('/noop', (_req: any, res: any) => res.send('ok'))
  app.get('/login', (req: any, res: any, next: any) => {
    req.session.regenerate((err: any) => {
      if (err) return next(err)
      req.session.user = 'ada'
      res.redirect('/whoami')
    })
  })
  app.get('/whoami', (req: any, res: any) => res.send(String(req.session.user ?? 'nobody')))
  app.get('/logout', (req: any, res: any, next: any) => {
    req.session.destroy((err: any) => (err ? next(err) : res.send('bye')))
  })
  app.get('/unset', (req: any, res: any) => {
    req.session = null
    res.send('unset')
  })
  app.get('/remember', (req: any, res: any) => {
    req.session.cookie.maxAge = 7 * 24 * 3600 * 1000
    req.session.remember = true
    res.send('remembered')
  })
  app.get('/save-then-redirect', (req: any, res: any, next: any) => {
    req.session.saved = 'yes'
    req.session.save((err: any) => (err ? next(err) : res.redirect('/read-saved')))
  })
  app.get('/read-saved', (req: any, res: any) => res.send(String(req.session.saved)))
  app.get('/reload', (req: any, res: any, next: any) => {
    req.session.count = 999
    req.session.reload((err: any) => (err ? next(err) : res.send(String(req.session.count))))
  })
  // Change detection: a nested change in place, the same data assigned anew, a Date, a key order, an undefined.
  app.get('/cart-add', (req: any, res: any) => {
    req.session.cart = req.session.cart || { items: [] }
    req.session.cart.items.push(req.session.cart.items.length + 1)
    res.send(String(req.session.cart.items.length))
  })
  app.get('/cart-same', (req: any, res: any) => {
    req.session.cart = JSON.parse(JSON.stringify(req.session.cart || { items: [] }))
    res.send('same')
  })
  app.get('/when', (req: any, res: any) => {
    req.session.when = new Date(0)
    res.send('then')
  })
  app.get('/reorder', (req: any, res: any) => {
    const count = req.session.count
    delete req.session.count
    req.session.count = count
    res.send('reordered')
  })
  app.get('/ghost', (req: any, res: any) => {
    req.session.ghost = undefined
    req.session.method = () => 1
    res.send('boo')
  })
  app.get('/write-head', (req: any, res: any) => {
    req.session.streamed = true
    res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'other=1' })
    res.end('streamed')
  })
  app.use((err: any, _req: any, res: any, _next: any) => {
    res.status(500).send('error: ' + err.message)
  })
  return app
}

/** A Set-Cookie line without its Expires date, which moves with the clock. */
export const withoutExpires = (line: string) => line.replace(/Expires=[^;]+/, 'Expires=<date>')

/**
 * The Set-Cookie lines express-session itself sends for `options` (with a
 * `secret`) on the scenario app's first /count: Express 5, trusting the
 * proxy, in this process.
 */
export async function referenceSetCookie(options: { secret: unknown } & Record<string, unknown>, headers: Record<string, string>): Promise<string[]> {
  const app = scenarioApp(express5, expressSession({ resave: false, saveUninitialized: false, ...(options as any) }))
  app.set('trust proxy', true)
  const served = await serve(app)
  try {
    return (await request(served.url + '/count', { headers })).setCookie
  } finally {
    await served.close()
  }
}

/**
 * Cookie options that between them set every attribute, each compared with
 * express-session over a trusted https proxy: `ours(options, headers)` answers
 * the Set-Cookie lines of our app's first /count (which counts, for a session
 * cookie to be due). Throws at the first difference.
 */
export async function sameSetCookieAsExpressSession(
  secret: string,
  ours: (options: Record<string, unknown>, headers: Record<string, string>) => Promise<string[]>
): Promise<void> {
  const configs = [
    { name: 'sid', cookie: { maxAge: 5000, domain: 'example.com', path: '/', httpOnly: false, sameSite: 'strict', priority: 'high', partitioned: true, secure: true } },
    { cookie: { expires: new Date(Date.now() + 60_000), sameSite: 'none', secure: 'auto', priority: 'low' } },
    { cookie: { sameSite: true, httpOnly: true, path: '/' } },
    { cookie: { sameSite: 'auto', secure: 'auto', maxAge: 1000 } }
  ]
  const headers = { 'x-forwarded-proto': 'https' }
  for (const config of configs) {
    const options = { ...config, genid: () => 'fixed-id' }
    const reference = await referenceSetCookie({ ...options, secret }, headers)
    same(reference.length, 1, 'express-session sent a cookie')
    same((await ours(options, headers)).map(withoutExpires), reference.map(withoutExpires), JSON.stringify(config))
  }
}

/** What a behaviour route answers, whatever the framework. */
export type Answer = { text: string; setCookie?: string } | { json: unknown } | { redirect: string }

/** The session calls whose spelling differs: `req.session.*` on Express and bunway, `req.*Session()` for webSession. */
interface SessionCalls {
  regenerate(req: any): Promise<void>
  destroy(req: any): Promise<void>
}

/** `req.session.touch()` moves the expiry forward and chains. */
async function touch(req: any) {
  const before = req.session.cookie.expires?.getTime() ?? null
  await new Promise((resolve) => setTimeout(resolve, 5))
  const chained = req.session.touch() === req.session
  return { chained, moved: before !== null && req.session.cookie.expires.getTime() > before }
}

/** The behaviour suite's routes (all GET), written once for every runtime. */
export const behaviourRoutes: Record<string, (req: any, calls: SessionCalls) => Promise<Answer>> = {
  async '/count'(req) {
    req.session.count = (req.session.count || 0) + 1
    return { text: String(req.session.count) }
  },
  async '/read'(req) {
    return { json: { count: req.session.count ?? null, user: req.session.user ?? null } }
  },
  async '/noop'() {
    return { text: 'ok' }
  },
  async '/login'(req, calls) {
    await calls.regenerate(req)
    req.session.user = 'ada'
    req.flash('info', 'welcome')
    return { redirect: '/whoami' }
  },
  async '/login-callback'(req) {
    await new Promise<void>((resolve, reject) => req.session.regenerate((err: any) => (err ? reject(err) : resolve())))
    req.session.user = 'grace'
    req.session.flash('info', 'hello %s', 'grace')
    return { redirect: '/whoami' }
  },
  async '/whoami'(req) {
    return { json: { user: req.session.user ?? null, info: req.session.flash('info') } }
  },
  async '/logout'(req, calls) {
    await calls.destroy(req)
    return { text: 'bye' }
  },
  async '/clear'(req) {
    req.session = {}
    return { text: 'cleared' }
  },
  async '/replace'(req) {
    req.session = { user: 'replaced' }
    return { text: 'replaced' }
  },
  async '/reload'(req) {
    req.session.count = 999
    await req.session.reload()
    return { text: String(req.session.count) }
  },
  async '/save-redirect'(req) {
    req.session.saved = 'yes'
    await req.session.save()
    return { redirect: '/read-saved' }
  },
  async '/read-saved'(req) {
    return { text: String(req.session.saved) }
  },
  async '/reload-callback'(req) {
    req.session.count = 999
    const err = await new Promise((resolve) => req.session.reload(resolve))
    return { text: err ? 'error' : String(req.session.count) }
  },
  async '/save-callback'(req) {
    req.session.saved = 'by callback'
    const err = await new Promise((resolve) => req.session.save(resolve))
    return { text: err ? 'error' : 'saved' }
  },
  async '/touch'(req) {
    return { json: await touch(req) }
  },
  // A modified session whose save the scenario makes the store fail.
  async '/fail-store'(req) {
    req.session.doomed = true
    return { text: 'should not be sent' }
  },
  async '/other-cookie'(req) {
    req.session.other = true
    return { text: 'ok', setCookie: 'other=1; Path=/' }
  },
  async '/secure'(req) {
    req.session.secure = true
    return { text: 'ok' }
  },
  async '/fail-save'(req) {
    req.session.poison = 10n
    return { text: 'should not be sent' }
  }
}

/**
 * Mount the behaviour routes on an Express (4 or 5) or bunway app, with an
 * error handler that answers `error: <code>`.
 */
export function mountRoutes(app: any): void {
  const calls: SessionCalls = { regenerate: (req) => req.session.regenerate(), destroy: (req) => req.session.destroy() }
  for (const [path, route] of Object.entries(behaviourRoutes)) {
    app.get(path, async (req: any, res: any) => {
      const answer = await route(req, calls)
      if ('redirect' in answer) res.redirect(answer.redirect)
      else if ('json' in answer) res.json(answer.json)
      else {
        if (answer.setCookie) res.append('Set-Cookie', answer.setCookie)
        res.send(answer.text)
      }
    })
  }
  app.use((err: any, _req: any, res: any, _next: any) => {
    res.status(500).send('error: ' + (err && err.code))
  })
}

/** The behaviour routes as a Request → Response handler (inside webSession's `withSession`); 404 elsewhere. */
export async function webRoutes(req: any): Promise<Response> {
  const route = behaviourRoutes[new URL(req.url).pathname]
  if (!route) return new Response('Not Found', { status: 404 })
  const answer = await route(req, { regenerate: (r) => r.regenerateSession(), destroy: (r) => r.destroySession() })
  // Response.redirect gives immutable headers: the session cookie must still get on.
  if ('redirect' in answer) return Response.redirect(new URL(answer.redirect, req.url).href, 302)
  if ('json' in answer) return Response.json(answer.json)
  const response = new Response(answer.text)
  if (answer.setCookie) response.headers.append('Set-Cookie', answer.setCookie)
  return response
}

/**
 * The concurrency app (issue: concurrent requests, logouts that stay logged
 * out), in this process and in the two-process tests' children: requests
 * that overlap from load to save, a counter, login/logout, and a slow request
 * that waits for `gate` before it changes the session.
 */
export function concurrencyApp(express: any, middleware: any, gate: () => Promise<void> = async () => {}) {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const app = express()
  app.use(middleware)
  app.get('/start', (req: any, res: any) => {
    req.session.started = true
    res.send('ok')
  })
  // Every request loads first, then changes its own key a little later: all 50 overlap.
  app.get('/set/:key', async (req: any, res: any) => {
    await pause(20)
    req.session[req.params.key] = true
    res.send('ok')
  })
  app.get('/count', async (req: any, res: any) => {
    const count = req.session.count || 0
    await pause(2)
    req.session.count = count + 1
    res.send(String(req.session.count))
  })
  app.get('/data', (req: any, res: any) => {
    const { cookie: _cookie, ...data } = req.session
    res.json(data)
  })
  app.get('/auth', (req: any, res: any) => {
    req.session.user = 'ada'
    res.send('ok')
  })
  app.get('/login', (req: any, res: any, next: any) => {
    req.session.regenerate((err: any) => {
      if (err) return next(err)
      req.session.user = 'ada'
      res.send('ok')
    })
  })
  app.get('/logout', (req: any, res: any, next: any) => req.session.destroy((err: any) => (err ? next(err) : res.send('bye'))))
  app.get('/whoami', (req: any, res: any) => res.send(String(req.session.user ?? 'anonymous')))
  // Log out or in, then wait for `gate` before answering.
  app.get('/logout-then-wait', async (req: any, res: any) => {
    await req.session.destroy()
    await gate()
    res.send('bye')
  })
  app.get('/login-then-wait', async (req: any, res: any) => {
    await req.session.regenerate()
    req.session.user = 'ada'
    await gate()
    res.send('ok')
  })
  app.get('/slow', async (req: any, res: any) => {
    await gate()
    await pause(200)
    req.session.visits = (req.session.visits || 0) + 1
    res.send('slow done')
  })
  app.use((err: any, _req: any, res: any, _next: any) => {
    res.status(500).send(`${err.code || 'error'}: ${err.message}`)
  })
  return app
}
