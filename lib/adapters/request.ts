/**
 * Helpers every adapter puts on the requests it serves: connect-flash's
 * `req.flash` and the promise helpers the Bun session libraries offer.
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
