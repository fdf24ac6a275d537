import type { RequestView } from '../core/engine'
import type { Secret } from '../core/signature'

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
