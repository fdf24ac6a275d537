import type { Callback } from './callback'

/** The cookie fields kept in every stored session record (express-session's `cookie.data`). */
export interface CookieData {
  originalMaxAge: number | null
  expires?: Date | string | null
  secure?: boolean | 'auto'
  httpOnly?: boolean
  domain?: string
  path?: string
  sameSite?: boolean | 'lax' | 'strict' | 'none' | 'auto'
  priority?: 'low' | 'medium' | 'high'
  partitioned?: boolean
}

/** Cookie options, as express-session documents them. */
export interface CookieOptions {
  /** Lifetime in milliseconds; unset means a browser-session cookie. */
  maxAge?: number | null
  expires?: Date | null
  /** `true`, `false`, or `'auto'` (secure only when the request is). */
  secure?: boolean | 'auto'
  httpOnly?: boolean
  domain?: string
  path?: string
  sameSite?: boolean | 'lax' | 'strict' | 'none' | 'auto'
  priority?: 'low' | 'medium' | 'high'
  partitioned?: boolean
}

/** A session record as a store holds it: user data plus the `cookie` object. */
export interface SessionRecord {
  cookie: CookieData
  [key: string]: any
}

/**
 * Any store sessionware can use. Callback stores (express-session's contract),
 * promise stores (`async get(sid)`) and stores that do both are all accepted.
 */
export interface SessionStoreLike {
  get(sid: string, callback?: Callback<SessionRecord | null | undefined>): unknown
  set(sid: string, session: SessionRecord, callback?: Callback): unknown
  destroy(sid: string, callback?: Callback): unknown
  touch?(sid: string, session: SessionRecord, callback?: Callback): unknown
  all?(callback?: Callback<any>): unknown
  length?(callback?: Callback<number>): unknown
  clear?(callback?: Callback): unknown
  /** See `UserIndexStore`. */
  userSessions?(user: string, callback?: Callback<Record<string, SessionRecord>>): unknown
  on?(event: string, listener: (...args: any[]) => void): unknown
}

/** Options accepted by `session(options)`: express-session 1.19's, one for one. */
export interface SessionOptions {
  /** Secret(s) used to sign the session ID cookie, strings or Buffers: the first signs, all verify. Falls back to `req.secret`. */
  secret?: string | Buffer | Array<string | Buffer>
  /** Cookie settings, or a function of the request returning them. */
  cookie?: CookieOptions | ((req: any) => CookieOptions)
  /** Generates a new session ID; defaults to 24 random bytes, base64url. */
  genid?: (req: any) => string
  /** The cookie name (default `connect.sid`). */
  name?: string
  /** Deprecated alias of `name`, still read by express-session. */
  key?: string
  /** Trust the reverse proxy (`X-Forwarded-Proto`) when deciding whether a request is secure. */
  proxy?: boolean
  /** Save the session back even when it was not modified (default `true`, as in express-session). */
  resave?: boolean
  /** Send the cookie on every response, resetting its expiry. */
  rolling?: boolean
  /** Save new sessions that were not modified (default `true`, as in express-session). */
  saveUninitialized?: boolean
  /** Where sessions live; defaults to a new MemoryStore. */
  store?: SessionStoreLike
  /** What happens when `req.session` is deleted or set to null: `'keep'` (default) or `'destroy'`. */
  unset?: 'destroy' | 'keep'
  /**
   * A store error at the end of the response (save, touch, destroy), data
   * that cannot be serialized, or a cookie that cannot be written.
   * `'respond'` sends the app's response as written and reports the error
   * afterwards (`next(err)` on Node; logged on bunway and Request → Response
   * servers, which have no later error path). `'error'` holds the response
   * and lets the error handler answer instead, without the session cookie
   * (on bunway: a 500; on Request → Response servers: a rejection).
   * Default: `'respond'` on Node and Express, as express-session; `'error'`
   * on bunway and Request → Response servers, so that no error goes unseen.
   */
  onSaveError?: OnSaveError
  /**
   * End a session not used for this long (ms). Checked when the session is
   * loaded, from the last-use time kept in the stored record (never from the
   * cookie); an expired session is destroyed and the request gets a new one.
   * The last-use time is rewritten at most once per tenth of `idleTimeout`,
   * so a session may end up to 10% early, never late. Default: none.
   */
  idleTimeout?: number
  /**
   * End a session this long (ms) after it was created, however active it is:
   * `rolling`, `touch`, renewing or regenerating with data kept never extend
   * it. Checked when the session is loaded, from the creation time kept in the
   * stored record. Default: none.
   */
  absoluteTimeout?: number
  /**
   * How long (ms) any store call (get, set, touch, destroy) may take before
   * the request fails with `next(err)`, `err.code === 'ETIMEDOUT'`; a late
   * answer is ignored. Default 10 000; `false` turns the bound off.
   */
  storeTimeout?: number | false
  /**
   * The session key that names the user (`'userId'`): the stores index
   * sessions by its value, for `middleware.service.list(user)` and
   * `destroyAll(user)`. Default: none.
   */
  userKey?: string
  /** With `userKey`: the most sessions one user may have; a new one ends the oldest. Default: no limit. */
  maxSessionsPerUser?: number
}

/**
 * Optional store methods for the user index (`userKey`). A store that has
 * them answers `middleware.service.list()` from its index; other stores are
 * searched through `all()`. The user of a record is
 * `record.cookie.sessionware.user` (lib/core/meta.ts), written by the
 * middleware on every save and touch.
 */
export interface UserIndexStore {
  /** The live sessions of `user`, keyed by session ID. */
  userSessions(user: string, callback?: Callback<Record<string, SessionRecord>>): unknown
}

/** See `SessionOptions.onSaveError`. */
export type OnSaveError = 'respond' | 'error'
