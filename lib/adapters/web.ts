import { afterCommit, SessionEngine, type RequestSession, type RequestView } from '../core/engine'
import type { Secret } from '../core/signature'
import { debug } from '../debug'
import { resolveOptions } from '../options'
import type { SessionOptions } from '../types'
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
  /** bun-router's middleware shape: `(req, next) => Promise<Response>`. */
  middleware(request: Request, next: () => Response | Promise<Response>): Promise<Response>
}

const STATE = Symbol('sessionware.web')

/** What the engine reads from a Fetch `Request`. */
class WebRequestView implements RequestView {
  readonly cookieHeader: string | undefined
  readonly url: string

  constructor(private readonly request: Request) {
    this.cookieHeader = request.headers.get('cookie') ?? undefined
    const url = request.url
    const start = url.indexOf('/', url.indexOf('//') + 2)
    this.url = start === -1 ? '/' : url.slice(start)
  }

  encrypted(): boolean {
    return this.request.url.startsWith('https:')
  }

  // A Fetch Request has no framework verdict of its own: only TLS, or X-Forwarded-Proto with `proxy: true`.
  frameworkSecure(): boolean {
    return false
  }

  forwardedProto(): string | undefined {
    return this.request.headers.get('x-forwarded-proto') ?? undefined
  }

  secret(): Secret | undefined {
    return (this.request as any).secret
  }

  signedCookies(): Record<string, unknown> | undefined {
    return (this.request as any).signedCookies
  }

  cookies(): Record<string, unknown> | undefined {
    return (this.request as any).cookies
  }
}

/** Create sessions for Request → Response handlers, with `session()`'s options. */
export function webSession(options?: SessionOptions): WebSessions {
  const engine = new SessionEngine(resolveOptions(options))

  /** Load the session; true when this call started it (and so commits it). */
  async function start(request: Request): Promise<boolean> {
    const state = await engine.start(request, new WebRequestView(request))
    if (!state) return false
    decorateRequest(request)
    Object.defineProperty(request, STATE, { value: state, configurable: true })
    return true
  }

  async function load(request: Request): Promise<SessionRequest> {
    await start(request)
    return request as SessionRequest
  }

  async function commit<R extends Response | undefined>(request: Request, response: R): Promise<R> {
    const state = (request as any)[STATE] as RequestSession | undefined
    if (!state) return response
    delete (request as any)[STATE]
    if (!response) {
      state.release()
      return response
    }
    const commit = state.commit()
    const problem = await afterCommit(commit, (problem) => problem)
    if (problem !== undefined) {
      // No later error path exists here: by default the caller gets the rejection.
      if (engine.options.onSaveError !== 'respond') throw problem
      console.error('sessionware: the session could not be committed:', problem)
      debug('commit failed: %s', problem)
    }
    return (commit.cookie ? withCookie(response, commit.cookie) : response) as R
  }

  // Mounted twice (a global and a route-level middleware), only the outer
  // call commits: after everything inside it, as on Express and bunway.
  async function withSession<R extends Response | undefined = Response>(
    request: Request,
    handler: (request: SessionRequest) => R | Promise<R>
  ): Promise<R> {
    const owner = await start(request)
    let response: R
    try {
      response = await handler(request as SessionRequest)
    } catch (err) {
      // serialize: a handler that throws gives its session back.
      if (owner) ((request as any)[STATE] as RequestSession | undefined)?.release()
      throw err
    }
    return owner ? commit(request, response) : response
  }

  return {
    load,
    commit,
    withSession,
    middleware: (request, next) => withSession(request, () => next())
  }
}

// Some Responses (Response.redirect, fetch results) have immutable headers.
function withCookie(response: Response, line: string): Response {
  try {
    response.headers.append('Set-Cookie', line)
    return response
  } catch {
    const copy = new Response(response.body, response)
    copy.headers.append('Set-Cookie', line)
    return copy
  }
}
