/**
 * express-session's end-of-response rules as pure functions of plain values:
 * whether the response sends the cookie, and what the store is asked to do.
 * The engine gathers the facts; these decide.
 */

/** The options the rules depend on. */
export interface Rules {
  resave: boolean
  saveUninitialized: boolean
  rolling: boolean
  /** `unset: 'destroy'`. */
  unsetDestroy: boolean
  /** The store has a `touch` method. */
  storeCanTouch: boolean
}

/** What one request did to its session, as the engine saw it. */
export interface Facts {
  /** `req.session` is still there (not deleted or set to null). */
  hasSession: boolean
  /** `req.sessionID` is a string: no other value can name a stored session, be saved or be signed. */
  hasId: boolean
  /** The session's ID did not come from the request's cookie: a generated or regenerated session. */
  isNew: boolean
  /** The session was loaded from the store when the request started. */
  loaded: boolean
  /** The ID changed since the request started (`regenerate`). */
  idChanged: boolean
  /** The data (everything but the cookie) differs from what the request started with. */
  dataChanged: boolean
  /** `save()` was called during the request: `'never'`, or whether the data is as it was then. */
  saved: 'never' | 'unchanged' | 'changed'
  /** The app changed the cookie's attributes ("remember me": `cookie.maxAge = …`). */
  cookieChanged: boolean
  /** The cookie has an expiry (it is not a browser-session cookie). */
  cookieExpires: boolean
  /** The stored last-use time is due to be rewritten (`idleTimeout`, `userKey`: lib/core/timeouts.ts). */
  metaStale?: boolean
}

/** What the store is asked to do at the end of the response. */
export type StoreAction = 'save' | 'touch' | 'destroy' | 'none'

/** Why a response carries no session cookie (also the debug line). */
export type NoCookieReason =
  | 'no session'
  | 'session id is not a string'
  | 'new session not modified (saveUninitialized is false)'
  | 'session not modified'
  | 'session cookie has no expiry and rolling is false'

/** express-session's "modified": another ID, or other data. */
export function isModified(facts: Facts): boolean {
  return facts.idChanged || facts.dataChanged
}

/**
 * Whether the store already holds the session as it is now. A session loaded
 * with `resave: false` counts as saved until it changes; `save()` during the
 * request makes it saved until it changes again; a new ID is never saved.
 */
export function isSaved(rules: Rules, facts: Facts): boolean {
  if (facts.idChanged) return false
  if (facts.saved !== 'never') return facts.saved === 'unchanged'
  return facts.loaded && !rules.resave && !facts.dataChanged
}

/** Whether the session should be written to the store. */
export function shouldSave(rules: Rules, facts: Facts): boolean {
  if (!facts.hasSession || !facts.hasId) return false
  // Our addition: a changed cookie is stored, so the store's expiry follows it.
  if (facts.cookieChanged) return true
  // Ours too: a loaded session whose last-use time is due is written with the new time.
  if (facts.metaStale && facts.loaded && !facts.isNew) return true
  const savedBefore = facts.saved !== 'never' || (facts.loaded && !rules.resave)
  if (!rules.saveUninitialized && !savedBefore && facts.isNew) return isModified(facts)
  return !isSaved(rules, facts)
}

/** Whether the store should refresh the session's expiry instead. */
export function shouldTouch(rules: Rules, facts: Facts): boolean {
  return mayTouch(rules, facts) && !shouldSave(rules, facts)
}

// A session the request loaded by its cookie, with a store that can touch.
function mayTouch(rules: Rules, facts: Facts): boolean {
  return rules.storeCanTouch && facts.hasSession && facts.hasId && !facts.isNew
}

/** Whether the stored session should be removed (`unset: 'destroy'` and `req.session` gone). */
export function shouldDestroy(rules: Rules, facts: Facts): boolean {
  return rules.unsetDestroy && !facts.hasSession && facts.hasId
}

/** The one store action for the end of the response. */
export function storeAction(rules: Rules, facts: Facts): StoreAction {
  if (shouldDestroy(rules, facts)) return 'destroy'
  if (shouldSave(rules, facts)) return 'save'
  return mayTouch(rules, facts) ? 'touch' : 'none'
}

/**
 * Whether the response sends the cookie, or why not. A changed cookie counts
 * as a modification (our addition: "remember me" reaches the browser).
 */
export function cookieVerdict(rules: Rules, facts: Facts): true | NoCookieReason {
  if (!facts.hasSession) return 'no session'
  if (!facts.hasId) return 'session id is not a string'
  const modified = isModified(facts) || facts.cookieChanged
  if (facts.isNew) return rules.saveUninitialized || modified ? true : 'new session not modified (saveUninitialized is false)'
  if (rules.rolling) return true
  if (!modified) return 'session not modified'
  return facts.cookieExpires ? true : 'session cookie has no expiry and rolling is false'
}

/** What a request says about its own security; methods, since some reads cost and most requests need none. */
export interface SecureFacts {
  /** The connection itself is TLS. */
  encrypted(): boolean
  /** The framework's `req.secure` (Express applies `trust proxy`). */
  frameworkSecure(): boolean
  /** The `X-Forwarded-Proto` header. */
  forwardedProto(): string | undefined
}

/**
 * express-session's rule for a secure request. `proxy`: `true` trusts
 * X-Forwarded-Proto, `false` only TLS, unset the framework's `req.secure`.
 */
export function isSecure(request: SecureFacts, proxy: boolean | undefined): boolean {
  if (request.encrypted()) return true
  if (proxy === false) return false
  if (proxy !== true) return request.frameworkSecure()
  const header = request.forwardedProto() || ''
  const comma = header.indexOf(',')
  return (comma === -1 ? header : header.slice(0, comma)).trim().toLowerCase() === 'https'
}

/** Whether a request for `url` is inside the cookie's `path` (else it gets no session). */
export function onCookiePath(url: string, cookiePath: string | undefined): boolean {
  if ((!cookiePath || cookiePath === '/') && url.charCodeAt(0) === 0x2f /* / */) return true
  return pathname(url).startsWith(cookiePath || '/')
}

/** The path part of a request URL, as express-session reads it (parseurl.original). */
export function pathname(url: string): string {
  let start = 0
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    const scheme = url.indexOf('://')
    if (scheme !== -1) {
      // The host ends at the first '/', '?' or '#'; without a '/' there, the path is '/'.
      const host = scheme + 3
      start = url.indexOf('/', host)
      const query = url.indexOf('?', host)
      const hash = url.indexOf('#', host)
      if (start === -1 || (query !== -1 && query < start) || (hash !== -1 && hash < start)) return '/'
    }
  }
  let end = url.length
  const query = url.indexOf('?', start)
  if (query !== -1) end = query
  const hash = url.indexOf('#', start)
  if (hash !== -1 && hash < end) end = hash
  return url.slice(start, end) || '/'
}
