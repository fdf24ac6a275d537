import { type Commit, type RequestView, type SessionEngine } from '../core/engine'
import type { Secret } from '../core/signature'
import { debug } from '../debug'

/** What the engine reads from a Fetch `Request` (Bun.serve, Hono, bun-router). */
export class FetchRequestView implements RequestView {
  readonly cookieHeader: string | undefined
  readonly url: string

  constructor(private readonly request: Request) {
    const cookie = request.headers.get('cookie')
    this.cookieHeader = cookie === null ? undefined : cookie
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

/**
 * Add a `Set-Cookie` line to `response`, keeping its other headers. Some
 * Responses (Response.redirect, fetch results) have immutable headers: those
 * are copied (status, headers and body stream kept) and the copy returned.
 */
export function withCookie(response: Response, line: string): Response {
  try {
    response.headers.append('Set-Cookie', line)
    return response
  } catch {
    const copy = new Response(response.body, response)
    copy.headers.append('Set-Cookie', line)
    return copy
  }
}

/**
 * Wait for a commit's store work, if any, then run `then`. Request → Response
 * servers have no later error path: by default (`onSaveError: 'error'`) the
 * problem is thrown to the caller (Hono's onError, the server's error
 * handling); with `'respond'` it is logged and the response goes out. No
 * promise (and no microtask) when there is no work to wait for.
 */
export function settleCommit<T>(engine: SessionEngine, commit: Commit, then: () => T): T | Promise<T> {
  const { work, error } = commit
  if (work === undefined) {
    if (error !== undefined) report(engine, error)
    return then()
  }
  return work.then(
    () => {
      if (error !== undefined) report(engine, error)
      return then()
    },
    (err) => {
      report(engine, error === undefined ? err : error)
      return then()
    }
  )
}

function report(engine: SessionEngine, problem: unknown): void {
  if (engine.options.onSaveError !== 'respond') throw problem
  console.error('sessionware: the session could not be committed:', problem)
  debug('commit failed: %s', problem)
}
