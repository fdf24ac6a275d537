import { SessionEngine, type RequestSession } from '../core/engine'
import { resolveOptions } from '../options'
import type { SessionEvents } from '../events'
import type { SessionService } from '../service'
import type { SessionOptions } from '../types'
import { FetchRequestView, settleCommit, withCookie } from './fetch-view'
import { handleHono, isHonoContext, type HonoContextLike } from './hono'
import { decorateRequest } from './request'

/** A Fetch `Request` carrying its session, as handlers see it. */
export type SessionRequest = Request & {
  session: any
  sessionID: string
  sessionStore: any
  flash(...args: unknown[]): any
  regenerateSession(): Promise<void>
  destroySession(): Promise<void>
}

/** Sessions for Request → Response servers: Bun.serve, Hono, bun-router-style middleware. */
export interface WebSessions {
  /** Load (or start) the session of `request`; sets `request.session`. */
  load(request: Request): Promise<SessionRequest>
  /**
   * Save the session as express-session would at the end of a response and
   * add its Set-Cookie line to `response` (other cookies are kept). Resolves
   * once the store has answered. No Response (a Bun.serve WebSocket upgrade)
   * means no commit: nothing is saved and no cookie is sent.
   */
  commit<R extends Response | undefined>(request: Request, response: R): Promise<R>
  /**
   * `load`, run `handler`, `commit`: the whole cycle in one call. When the
   * session was already loaded (mounted twice), the outer call commits.
   */
  withSession<R extends Response | undefined = Response>(request: Request, handler: (request: SessionRequest) => R | Promise<R>): Promise<R>
  /**
   * A middleware in two shapes: bun-router's `(req, next)`, which calls
   * `next(req)` and commits on the Response it returns; and Hono's
   * `(c, next)`, as `honoSession` (`app.use('*', sessions.middleware)`).
   */
  middleware: WebMiddleware
  /** Sessions outside a request, with these sessions' store and options (see `SessionService`). */
  readonly service: SessionService
  /** The session events (see `SessionEventMap`). */
  readonly events: SessionEvents
}

/** `WebSessions.middleware`: bun-router's `(req, next)` or Hono's `(c, next)`. */
export interface WebMiddleware {
  (request: Request, next: (request: SessionRequest) => Response | Promise<Response>): Promise<Response>
  (c: HonoContextLike, next: () => Promise<void>): Promise<void>
}

/** Create sessions for Request → Response handlers, with `session()`'s options. */
export function webSession(options?: SessionOptions): WebSessions {
  const engine = new SessionEngine(resolveOptions(options))
  // Sessions `load` started, until their `commit`: this instance's own, and
  // no property added to (and deleted from) each Request, which costs more.
  const loaded = new WeakMap<Request, RequestSession>()

  /** Load the session; its state when this call started it (and so commits it). */
  function start(request: Request): RequestSession | Promise<RequestSession> | undefined {
    const started = engine.start(request, new FetchRequestView(request))
    // Decorated while the store is asked: one promise step less; a failed load rejects anyway.
    if (started !== undefined) decorateRequest(request)
    return started
  }

  async function load(request: Request): Promise<SessionRequest> {
    const state = await start(request)
    if (state) loaded.set(request, state)
    return request as SessionRequest
  }

  async function commit<R extends Response | undefined>(request: Request, response: R): Promise<R> {
    const state = loaded.get(request)
    if (!state) return response
    loaded.delete(request)
    if (!response) {
      // No Response (a WebSocket upgrade): nothing is committed; serialize's hold is given back.
      state.release()
      return response
    }
    return finish(state, response) as R
  }

  /** Commit, then the response with the session's cookie: at once when the store has nothing to do. */
  function finish<R extends Response>(state: RequestSession, response: R): R | Promise<R> {
    const commit = state.commit()
    const cookie = commit.cookie
    return settleCommit(engine, commit, () => (cookie === undefined ? response : (withCookie(response, cookie) as R)))
  }

  // Mounted twice (a global and a route-level middleware), only the outer
  // call commits: after everything inside it, as on Express and bunway.
  // Promises are awaited only when there is one: each await is a microtask.
  async function withSession<R extends Response | undefined = Response>(
    request: Request,
    handler: (request: SessionRequest) => R | Promise<R>
  ): Promise<R> {
    const started = start(request)
    const state = started instanceof Promise ? await started : started
    let response: R
    try {
      const returned = handler(request as SessionRequest)
      response = returned && typeof (returned as any).then === 'function' ? await returned : (returned as R)
    } catch (err) {
      // serialize: a handler that throws gives its session back.
      state?.release()
      throw err
    }
    if (!state) return response
    if (!response) {
      state.release()
      return response
    }
    const finished = finish(state, response as Response)
    return (finished instanceof Promise ? await finished : finished) as R
  }

  return {
    load,
    commit,
    withSession,
    middleware: ((request: any, next: (request?: any) => any) => {
      if (isHonoContext(request)) return handleHono(engine, request, next)
      return withSession(request, next)
    }) as WebMiddleware,
    service: engine.service,
    events: engine.events
  }
}
