/** The codes a `SessionError` carries; stable across versions, safe to match on. */
export type SessionErrorCode =
  /** No `secret` option and no `req.secret` (cookie-parser). */
  | 'ENOSECRET'
  /** The session's data cannot be stored as JSON (a cycle, a BigInt). */
  | 'ESESSIONSERIALIZE'
  /** A session ID that is not a string, or that a store cannot hold. */
  | 'EINVALIDSID'
  /** `req.session` was given something that is not a session, a plain object or null. */
  | 'EINVALIDSESSION'
  /** `session.reload()` found nothing in the store. */
  | 'ESESSIONNOTFOUND'
  /** A cookie option that cannot be written into `Set-Cookie` (an invalid domain, path, expires…). */
  | 'EINVALIDCOOKIE'
  /** A session method was used where there is no store (`req.sessionStore` unset). */
  | 'ENOSTORE'
  /** The store did not answer within `storeTimeout`. */
  | 'ETIMEDOUT'
  /** `userKey` is not set, or the store has neither a user index nor `all()`. */
  | 'ENOUSERINDEX'
  /** `serialize`: another request of the same session held it longer than the wait allows. */
  | 'ESESSIONBUSY'

/**
 * The one error type sessionware raises. `code` is stable; `message` keeps
 * express-session's wording where users match on it (`secret option required
 * for sessions`, `failed to load session`).
 */
export class SessionError extends Error {
  readonly code: SessionErrorCode

  constructor(code: SessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message)
    this.name = 'SessionError'
    this.code = code
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause
  }
}
