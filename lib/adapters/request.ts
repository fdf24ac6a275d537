import { cookieMeta, keepCreated } from '../core/meta'
import type { RequestView } from '../core/engine'
import type { Secret } from '../core/signature'

/**
 * What the adapters share about requests: the view of an Express-style
 * request (node:http, Express, bunway), and the helpers put on requests:
 * connect-flash's `req.flash` and the promise helpers of the Bun session
 * libraries.
 */

/**
 * The engine's view of a request with Express's fields: `originalUrl`,
 * `secure` (Express applies `trust proxy`), and cookie-parser's `secret`,
 * `signedCookies` and `cookies`. Each adapter reads headers its own way.
 */
export abstract class ExpressStyleView implements RequestView {
  abstract readonly cookieHeader: string | undefined
  readonly url: string

  constructor(protected readonly req: any) {
    this.url = req.originalUrl || req.url || '/'
  }

  abstract encrypted(): boolean
  abstract forwardedProto(): string | undefined

  frameworkSecure(): boolean {
    return this.req.secure === true
  }

  secret(): Secret | undefined {
    return this.req.secret
  }

  signedCookies(): Record<string, unknown> | undefined {
    return this.req.signedCookies
  }

  cookies(): Record<string, unknown> | undefined {
    return this.req.cookies
  }
}

/** `req.flash(type, msg)`, `req.flash(type)`, `req.flash()`, with connect-flash's semantics. */
export function flash(this: any, ...args: unknown[]): any {
  if (!this.session) throw new Error('req.flash() requires sessions')
  return this.session.flash(...args)
}

/**
 * `await req.regenerateSession()`, as bun-router documents it: a new session
 * ID with the same data (and flash messages). The old record is destroyed and
 * the response carries the new cookie. `req.session.regenerate()` keeps
 * express-session's meaning: a new, empty session.
 */
export function regenerateSession(this: any): Promise<void> {
  const req = this
  const old = req.session
  if (!old || typeof old.regenerate !== 'function') return Promise.reject(new Error('no session to regenerate'))
  const { cookie: _cookie, ...data } = old
  const flash = old.flash
  const carry = () => {
    if (!req.session) return
    Object.assign(req.session, data)
    req.session.flash = flash
    // The same session under a new ID: absoluteTimeout still counts from its creation.
    if (cookieMeta(old.cookie)) keepCreated(old.cookie, req.session.cookie)
  }
  return old.regenerate().then(carry, (err: unknown) => {
    carry()
    throw err
  })
}

/** `await req.destroySession()`: remove the session from the store and the request. */
export function destroySession(this: any): Promise<void> {
  return this.session ? this.session.destroy() : Promise.resolve()
}

/**
 * connect-flash's `req.flash`, as an own property of this request. An app
 * that mounted connect-flash first keeps its own; both use `session.flash`.
 */
export function addFlash(req: any): void {
  if (typeof req.flash !== 'function') req.flash = flash
}

/** `req.flash` and the helpers of the Bun session libraries (bunway, Request → Response). */
export function decorateRequest(req: any): void {
  addFlash(req)
  req.regenerateSession = regenerateSession
  req.destroySession = destroySession
}
