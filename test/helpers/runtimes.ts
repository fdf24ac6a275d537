/**
 * The behaviour suite's app (helpers/routes.ts) on every runtime sessionware
 * serves: Express 4 and 5 (on Node, or on Bun's node:http), the bunway
 * double, and a Request → Response server (Bun.serve with webSession, Bun only).
 */
// The build, as users get it (Bun cannot load the `export =` source directly).
import sessionware from '../../dist/lib/index.js'
import { bunway, cookieParser } from '../bunway-double'
import { serve } from './http'
import { mountRoutes, webRoutes } from './routes'
import { slowStore } from './stores'

const session: any = sessionware
const { MemoryStore } = session
export const SECRET = 'behaviour suite'

export type Variant = 'express4' | 'express5' | 'bunway' | 'web'

export interface Running {
  url: string
  store: any
  stop(): Promise<void> | void
}

/**
 * Options of the app instances the scenarios run against. `onSaveError:
 * 'error'` is explicit where a scenario makes the commit fail, so that every
 * runtime answers alike (Node's default is express-session's 'respond').
 */
export const instances = {
  plain: () => ({ store: new MemoryStore({ sweepInterval: false }), resave: false, saveUninitialized: false, onSaveError: 'error' }),
  slow: () => ({ store: slowStore(25), resave: false, saveUninitialized: true, rolling: true }),
  // A store that records its calls (and that a scenario can make fail), a cookie with an expiry.
  counted: () => ({ store: slowStore(1), resave: false, saveUninitialized: false, cookie: { maxAge: 60_000 }, onSaveError: 'error' }),
  resave: () => ({ store: slowStore(1), resave: true, saveUninitialized: false, cookie: { maxAge: 60_000 } })
}
export type Instance = keyof typeof instances

function cookieFor(req: any) {
  const url: string = req.originalUrl || req.url || ''
  return url.includes('/secure') ? { secure: true, maxAge: 60_000 } : {}
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
    const served = await serve(app)
    return { url: served.url, store, stop: served.close }
  }
  if (variant === 'bunway') {
    const app = bunway()
    app.set('trust proxy', true)
    app.use(cookieParser('bunway secret'))
    app.use(session(options))
    mountRoutes(app)
    const server = app.listen(0)
    return { url: server.url, store, stop: () => server.stop() }
  }
  const sessions = session.webSession({ ...options, proxy: true })
  const server = (globalThis as any).Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request: Request) => sessions.withSession(request, webRoutes).catch((err: any) => new Response('error: ' + err.code, { status: 500 }))
  })
  return { url: `http://127.0.0.1:${server.port}`, store, stop: () => server.stop(true) }
}

/** Start `variant` (as `start` does), hand it to `use`, and stop it whatever happens. */
export async function running<T>(variant: Variant, instance: Instance, extra: Record<string, unknown>, use: (app: Running) => Promise<T>): Promise<T> {
  const app = await start(variant, instance, extra)
  try {
    return await use(app)
  } finally {
    await app.stop()
  }
}
