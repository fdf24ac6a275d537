import { SessionEngine } from '../core/engine'
import { resolveOptions } from '../options'
import type { SessionEvents } from '../events'
import type { SessionService } from '../service'
import type { SessionOptions } from '../types'
import { FetchRequestView, settleCommit, withCookie } from './fetch-view'

/**
 * What the middleware uses of a Hono `Context`, typed structurally so that
 * sessionware's declarations need no `hono` package to compile.
 */
export interface HonoContextLike {
  readonly req: { readonly raw: Request }
  res: Response
}

/** A Hono middleware: `app.use(honoSession(options))`. */
export type HonoSessionMiddleware = ((c: HonoContextLike, next: () => Promise<void>) => Promise<void>) & {
  /** Sessions outside a request, with this middleware's store and options (see `SessionService`). */
  readonly service: SessionService
  /** The session events (see `SessionEventMap`). */
  readonly events: SessionEvents
}

/**
 * Sessions for Hono: `app.use(honoSession(options))`, then `c.get('session')`
 * in handlers. Same options, cookie and stored records as `session()`.
 */
export function honoSession(options?: SessionOptions): HonoSessionMiddleware {
  const engine = new SessionEngine(resolveOptions(options))
  const middleware = (c: HonoContextLike, next: () => Promise<void>) => handleHono(engine, c, next)
  return Object.assign(middleware, { service: engine.service, events: engine.events })
}

/** Is this a Hono Context (rather than a Fetch Request)? */
export function isHonoContext(value: any): value is HonoContextLike {
  return (
    value != null &&
    typeof value.set === 'function' &&
    typeof value.get === 'function' &&
    value.req != null &&
    typeof value.req.raw === 'object' &&
    value.req.raw !== null
  )
}

/**
 * Load the session into `c.get('session')`, run the rest of the app, then
 * commit: the response waits for the store, the cookie goes on whatever
 * Response the app produced, and a store error is thrown to Hono's onError.
 */
export async function handleHono(engine: SessionEngine, c: HonoContextLike, next: () => Promise<void>): Promise<void> {
  const context = c as any
  // Mounted twice (app-wide and on a route): the outer middleware commits.
  if (context.get('session') !== undefined) return next()
  const started = engine.start(carrier(context), new FetchRequestView(c.req.raw))
  const state = started instanceof Promise ? await started : started
  if (!state) return next()
  try {
    await next()
  } catch (err) {
    // serialize: a handler that throws gives its session back.
    state.release()
    throw err
  }
  const commit = state.commit()
  const settled = settleCommit(engine, commit, noop)
  if (settled) await settled
  if (commit.cookie !== undefined) {
    const response = c.res
    const changed = withCookie(response, commit.cookie)
    if (changed !== response) {
      // Hono's `res` setter merges the old Response's headers into a new one: clear it first.
      context.res = undefined
      context.res = changed
    }
  }
}

const noop = () => {}

/**
 * The object the engine keeps the request's session on (`req` to `genid`
 * and a `cookie` function; `raw` is the Fetch Request). Its `session` is
 * the Context's `session` variable: what the engine sets or deletes there
 * (regenerate, destroy) is what `c.get('session')` returns, and an app's
 * `c.set('session', {})` clears the data as `req.session = {}` does.
 */
function carrier(c: any): any {
  return new Proxy(
    { raw: c.req.raw as Request },
    {
      get: (target: any, key) => (key === 'session' ? c.get('session') : target[key]),
      set(target: any, key, value) {
        if (key === 'session') c.set('session', value)
        else target[key] = value
        return true
      },
      deleteProperty(target: any, key) {
        if (key === 'session') c.set('session', undefined)
        else delete target[key]
        return true
      }
    }
  )
}
