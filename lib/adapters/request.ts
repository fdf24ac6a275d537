import type { RequestFields } from './engine'

/**
 * Helpers installed on every request the middleware serves: connect-flash's
 * `req.flash` and the promise helpers Bun session libraries offer.
 */

/** `req.flash(type, msg)`, `req.flash(type)`, `req.flash()`, with connect-flash's semantics. */
export function flash(this: any, ...args: unknown[]): any {
  if (!this.session) throw new Error('req.flash() requires sessions')
  return this.session.flash(...args)
}

/** `await req.regenerateSession()`: a new session ID, a fresh session. */
export function regenerateSession(this: any): Promise<void> {
  return this.session ? this.session.regenerate() : Promise.reject(new Error('no session to regenerate'))
}

/** `await req.destroySession()`: remove the session from the store and the request. */
export function destroySession(this: any): Promise<void> {
  return this.session ? this.session.destroy() : Promise.resolve()
}

/** The plain way: own properties on each request (bunway, Fetch Requests); `req.sessionID` is the request's own. */
export function decorateRequest(req: any, store: unknown): RequestFields {
  req.sessionStore = store
  // An app that mounted connect-flash first keeps its own; both use session.flash.
  if (typeof req.flash !== 'function') req.flash = flash
  req.regenerateSession = regenerateSession
  req.destroySession = destroySession
  return req
}
