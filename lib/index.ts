import * as cookieModule from './core/cookie'
import { session as createSession, type SessionMiddleware as Middleware } from './middleware'
import * as sessionModule from './core/session'
import { Store as StoreBase } from './store'
import type * as types from './types'
import * as fileModule from '../stores/file'
import * as memoryModule from '../stores/memory'
import * as redisModule from '../stores/redis'
import * as web from './adapters/web'
import * as hono from './adapters/hono'
import * as handle from './adapters/handle'
import type { Callback as CallbackType } from './callback'
import * as errorsModule from './errors'
import type * as eventsModule from './events'
import * as serviceModule from './service'

/**
 * Create the session middleware: express-session's options, cookie and
 * stored records, with promise forms of every method.
 *
 * `const session = require('sessionware')` and `import session from 'sessionware'`
 * both give this function, with the classes attached as in express-session.
 */
function session(options?: session.SessionOptions): Middleware {
  return createSession(options)
}

const sessionFactory = session

/**
 * A store's `get` callback. It is declared as a method's parameter so that it
 * is checked both ways: a store may type the record it passes with the app's
 * own `SessionData`, as stores written against @types/express-session do
 * (`get(sid, callback: (err: any, session?: SessionData | null) => void)`).
 */
type StoreGetCallback = {
  bivariant(err?: any, session?: types.SessionRecord | null): void
}['bivariant']

namespace session {
  /**
   * The user's session data. Extend it with declaration merging:
   * `declare module 'sessionware' { interface SessionData { userId: string } }`
   */
  export interface SessionData {
    cookie: cookieModule.Cookie
  }

  /** Options accepted by `session(options)`: express-session 1.19's, one for one. */
  export interface SessionOptions extends types.SessionOptions {
    /** Where sessions live; defaults to a new MemoryStore. A name makes one: `'memory'`, `'file'` (with `files`), `'redis'` (with `redis`). */
    store?: SessionStoreLike | types.StoreName
  }
  export type CookieOptions = types.CookieOptions
  export type CookieData = types.CookieData
  export type SessionRecord = types.SessionRecord
  /** What one request changed in its session, for a store's optional `merge`. */
  export type SessionPatch = types.SessionPatch
  /** What a store's `merge` did: `'merged'`, `'created'` or `'gone'`. */
  export type MergeOutcome = types.MergeOutcome
  /**
   * Any store sessionware can use. Callback stores (express-session's contract),
   * promise stores (`async get(sid)`) and stores that do both are all accepted.
   */
  export interface SessionStoreLike extends types.SessionStoreLike {
    get(sid: string, callback?: StoreGetCallback): unknown
  }
  export type SessionMiddleware = Middleware
  export type MemoryStoreOptions = memoryModule.MemoryStoreOptions
  export type FileStoreOptions = fileModule.FileStoreOptions
  export type RedisStoreOptions = redisModule.RedisStoreOptions
  export type RedisClientLike = redisModule.RedisClientLike
  export type Callback<T = void> = CallbackType<T>

  /** The base class of session stores (see lib/store.ts); `get` as in `SessionStoreLike`. */
  export interface Store extends StoreBase {
    get(sid: string, callback?: StoreGetCallback): unknown
  }
  export const Store: { new (options?: any): Store; (this: Store, options?: any): void; prototype: Store } = StoreBase
  export import Cookie = cookieModule.Cookie
  /** The error type sessionware raises, with a stable `code`. */
  export import SessionError = errorsModule.SessionError
  export type SessionErrorCode = errorsModule.SessionErrorCode
  export type OnSaveError = types.OnSaveError
  /** `middleware.events`: an EventEmitter typed by `SessionEventMap`. */
  export type SessionEvents = eventsModule.SessionEvents
  export type SessionEventMap = eventsModule.SessionEventMap
  export type SessionEventName = eventsModule.SessionEventName
  export type ExpiryReason = eventsModule.ExpiryReason
  /** `middleware.service`: `list(user)`, `destroyAll(user, { except })`. */
  export type UserSession = serviceModule.UserSession
  export type DestroyAllOptions = serviceModule.DestroyAllOptions
  /** Optional store methods for the user index (`userKey`). */
  export type UserIndexStore = types.UserIndexStore
  export import Session = sessionModule.Session
  export import MemoryStore = memoryModule.MemoryStore
  export import FileStore = fileModule.FileStore
  /** bun-router's spelling: `fileStore({ path, encoding, fileExtension })`. */
  export const fileStore = fileModule.fileStore
  export import RedisStore = redisModule.RedisStore
  /** bun-server's name for RedisStore: `new RedisSessionStore({ host, port, password, db, keyPrefix, ttl })`. */
  export import RedisSessionStore = redisModule.RedisSessionStore
  /** Sessions by ID outside a request (bun-server's SessionService); also `session(options).service`. */
  export import SessionService = serviceModule.SessionService
  export type CreatedSession = serviceModule.CreatedSession
  export type StoreName = types.StoreName
  /** bun-router's spelling: `redisStore({ client, prefix, ttl })`, or `redisStore({ prefix, ttl })` with a client of its own. */
  export const redisStore = redisModule.redisStore
  export type WebSessions = web.WebSessions
  export type SessionRequest = web.SessionRequest
  /** Sessions for Request → Response servers (Bun.serve, Hono, bun-router middleware). */
  export const webSession: (options?: SessionOptions) => WebSessions = web.webSession
  export type WebMiddleware = web.WebMiddleware
  export type HonoContextLike = hono.HonoContextLike
  export type HonoSessionMiddleware = hono.HonoSessionMiddleware
  /**
   * Sessions for Hono: `app.use(honoSession(options))`; `c.get('session')` is
   * the request's Session (typed through Hono's `ContextVariableMap`).
   */
  export const honoSession: (options?: SessionOptions) => HonoSessionMiddleware = hono.honoSession
  export type SessionConfig = handle.SessionConfig
  export type SessionHandle = handle.SessionHandle
  export type SessionHandles = handle.SessionHandles
  /** ts-auth's handle: `const session = await sessionMiddleware(request, config)`. */
  export const sessionMiddleware: (request: Request, config: SessionConfig) => Promise<SessionHandle> = handle.sessionMiddleware
  /** The same handles without keeping them on `config`: `const open = sessionHandles(config); await open(request)`. */
  export const sessionHandles: (config: SessionConfig) => SessionHandles = handle.sessionHandles
  /** The same factory, for `import { session } from 'sessionware'`. */
  export const session: typeof sessionFactory = sessionFactory
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** This request's session; see `SessionData` to type your own fields. */
      session: session.Session & Partial<session.SessionData>
      /** This request's session ID. */
      sessionID: string
      /** The store sessions are loaded from and saved to. */
      sessionStore: session.Store
      /** connect-flash's API: add with `(type, msg)`, read and clear with `(type)` or `()`. */
      flash(): Record<string, string[]>
      flash(type: string): string[]
      flash(type: string, message: string | string[]): number
      flash(type: string, format: string, ...args: unknown[]): number
    }
  }
}

// `c.get('session')` in Hono apps. In the shipped declarations (an ambient
// context), TypeScript skips this augmentation where hono is not installed; the
// build itself does not resolve hono (node10 resolution and hono's typesVersions).
// @ts-ignore TS2664 in the build only
declare module 'hono' {
  interface ContextVariableMap {
    session: session.Session & Partial<session.SessionData>
  }
}

Object.defineProperty(session, 'default', { value: session, enumerable: false })

export = session
