import { SessionEngine, type RequestAccess, type RequestState } from '../engine'
import { resolveOptions } from '../options'
import { decorateRequest } from '../request'
import type { SessionOptions } from '../types'

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
   * once the store has answered.
   */
  commit(request: Request, response: Response): Promise<Response>
  /** `load`, run `handler`, `commit`: the whole cycle in one call. */
  withSession(request: Request, handler: (request: SessionRequest) => Response | Promise<Response>): Promise<Response>
  /** bun-router's middleware shape: `(req, next) => Promise<Response>`. */
  middleware(request: Request, next: () => Response | Promise<Response>): Promise<Response>
}

const STATE = Symbol('sessionware.web')

export const webAccess: RequestAccess = {
  header: (req: Request, name: string) => req.headers.get(name) ?? undefined,
  encrypted: (req: Request) => req.url.startsWith('https:'),
  originalUrl(req: Request) {
    const url = req.url
    const start = url.indexOf('/', url.indexOf('//') + 2)
    return start === -1 ? '/' : url.slice(start)
  },
  decorate: decorateRequest
}

/** Create sessions for Request → Response handlers, with `session()`'s options. */
export function webSession(options?: SessionOptions): WebSessions {
  const engine = new SessionEngine(resolveOptions(options))

  async function load(request: Request): Promise<SessionRequest> {
    const state = await engine.start(request, webAccess)
    if (state) Object.defineProperty(request, STATE, { value: state, configurable: true })
    return request as SessionRequest
  }

  async function commit(request: Request, response: Response): Promise<Response> {
    const state = (request as any)[STATE] as RequestState | undefined
    if (!state) return response
    delete (request as any)[STATE]
    const { cookie, work } = state.commit()
    if (work) await work
    return cookie ? withCookie(response, cookie) : response
  }

  async function withSession(request: Request, handler: (request: SessionRequest) => Response | Promise<Response>) {
    const loaded = await load(request)
    return commit(loaded, await handler(loaded))
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
