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
  on?(event: string, listener: (...args: any[]) => void): unknown
  /**
   * Optional: apply `patch` to the stored record atomically (see `SessionPatch`).
   * Used by the middleware only while the store's `get`, `set` and `destroy`
   * are those of the class that defines `merge` (a method replaced on the
   * instance or overridden by a subclass is then honoured through a
   * read-merge-write with it instead).
   */
  merge?(sid: string, patch: SessionPatch, callback?: Callback<MergeOutcome>): unknown
  /**
   * Optional: take the store-wide lease of `sid` for `ms` milliseconds
   * (`serialize` across processes). Answers a token, or null when another holds it.
   */
  lease?(sid: string, ms: number, callback?: Callback<string | null>): unknown
  /** Optional: give back the lease `token` of `sid` (only if it is still that one). */
  release?(sid: string, token: string, callback?: Callback): unknown
}

/**
 * What one request changed in its session, applied by `store.merge` to the
 * record as it is in the store at that moment, so that concurrent requests of
 * one session keep each other's changes.
 */
export interface SessionPatch {
  /** Top-level keys the request set or changed (deep compare with what it loaded), with their new values (JSON data). */
  set: Record<string, unknown>
  /** Top-level keys the request deleted. */
  unset: string[]
  /** The session's cookie now: it replaces the stored one (and gives the record's expiry). */
  cookie: CookieData
  /**
   * The whole session: what is stored when the store has no record of `sid`
   * (it expired meanwhile) and the ID was not destroyed recently.
   */
  record: SessionRecord
}

/**
 * What a merge did: `'merged'` into the stored record, `'created'` the whole
 * record (none was stored), or nothing because the ID was destroyed recently
 * (`'gone'`: no resurrection).
 */
export type MergeOutcome = 'merged' | 'created' | 'gone'

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
   * Requests that carry the same session wait for each other, from load to
   * save: `true` (wait at most 10 s) or the longest wait in ms. Within a
   * process for every store; across processes on stores with `lease`
   * (RedisStore). A request that cannot get its session in time gets
   * `next(err)` with `code: 'ESESSIONBUSY'`. New sessions never wait.
   * Default `false`: requests run concurrently, and their changes are merged.
   */
  serialize?: boolean | number
  /**
   * The longest a request may take, in ms (default 60 000). A destroyed or
   * regenerated session's ID is remembered as gone at least this long, so no
   * slower request that loaded it can write it back; a `serialize` lease lasts
   * this long when its process dies without releasing it.
   */
  maxRequestTime?: number
}

/** See `SessionOptions.onSaveError`. */
export type OnSaveError = 'respond' | 'error'
