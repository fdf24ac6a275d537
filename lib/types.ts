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

/**
 * Options accepted by `session(options)`: express-session 1.19's, one for
 * one, plus the spellings of the Bun session libraries (bun-router, bunway,
 * bun-server, ts-auth). An option sessionware does not know gets a warning.
 */
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
  /**
   * Where sessions live; defaults to a new MemoryStore. A name makes one:
   * `'memory'`, `'file'` (with `files`), `'redis'` (with `redis`).
   */
  store?: SessionStoreLike | StoreName
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

  // The Bun session libraries' spellings.

  /** Cookie lifetime in ms, when `cookie.maxAge` is not set (bun-router, bun-server). */
  maxAge?: number | null
  /** `cookie.httpOnly`, when `cookie` does not set it (bun-server). */
  httpOnly?: boolean
  /** `cookie.secure`, when `cookie` does not set it (bun-server). */
  secure?: boolean | 'auto'
  /** `cookie.sameSite`, when `cookie` does not set it (bun-server). */
  sameSite?: boolean | 'lax' | 'strict' | 'none' | 'auto'
  /** `cookie.domain`, when `cookie` does not set it. */
  domain?: string
  /** `cookie.path`, when `cookie` does not set it (ts-auth). */
  path?: string
  /** ts-auth's name for `store` when it names a store: `'memory'`, `'file'` or `'redis'`. */
  driver?: StoreName
  /** ts-auth's cookie lifetime in minutes, when neither `cookie.maxAge` nor `maxAge` is set. */
  lifetime?: number
  /** FileStore options for `store: 'file'` (`{ path, ttl, encoding, fileExtension, ... }`). */
  files?: import('../stores/file').FileStoreOptions
  /** RedisStore options for `store: 'redis'`: `{ client }` or `{ url }` or `{ host, port, password, db, keyPrefix, ttl }`. */
  redis?: import('../stores/redis').RedisStoreOptions
  /**
   * `false`: nothing is saved or touched at the end of the request; the app
   * calls `await req.session.save()`, which also makes the response carry the
   * cookie (bun-router). Default `true`.
   */
  autoCommit?: boolean
  /**
   * Give a session a new ID once its ID is older than `renewAfter`, keeping
   * its data; the old ID forwards to the new one for `renewGrace` (bun-router).
   * Default `false`.
   */
  renew?: boolean
  /** The age, in ms, after which `renew` gives a session a new ID (default one hour). */
  renewAfter?: number
  /**
   * For how long, in ms, a request with a renewed session's old cookie is
   * served the renewed session (and given its cookie) instead of an empty one
   * (default 30 s).
   */
  renewGrace?: number
  /**
   * What a promise store (one that is not an EventEmitter) gets as `set`'s
   * third argument and as `touch`'s second: `'ms'` (default, bunway's
   * `set(sid, session, maxAgeMs)` and `touch(sid, session)`) or `'seconds'`
   * (bun-router's `set(sid, session, ttlSeconds)` and `touch(sid, ttlSeconds)`).
   * Stores written for express-session always get its convention.
   */
  storeTtl?: 'ms' | 'seconds'

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

/** A store `session()` can make by name. */
export type StoreName = 'memory' | 'file' | 'redis'

/** See `SessionOptions.onSaveError`. */
export type OnSaveError = 'respond' | 'error'
