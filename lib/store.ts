import { EventEmitter } from 'events'
import type { Callback } from './callback'
import { Cookie } from './cookie'
import { Session } from './session'
import type { SessionRecord } from './types'

/**
 * The base class of session stores: an EventEmitter with express-session's
 * helpers. It is a plain constructor function, so that both
 * `class MyStore extends Store {}` and the older
 * `function MyStore() { Store.call(this) }; util.inherits(MyStore, Store)` work.
 */
export interface Store extends EventEmitter {
  get(sid: string, callback?: Callback<SessionRecord | null | undefined>): unknown
  set(sid: string, session: SessionRecord, callback?: Callback): unknown
  destroy(sid: string, callback?: Callback): unknown
  touch?(sid: string, session: SessionRecord, callback?: Callback): unknown
  all?(callback?: Callback<any>): unknown
  length?(callback?: Callback<number>): unknown
  clear?(callback?: Callback): unknown
  /** Set by the session middleware: gives `req` a new session. */
  generate?(req: any): void
  /** Destroy the request's session and generate a new one. */
  regenerate(req: any, callback: Callback): void
  /** Load the session `sid` as a Session bound to a bare request object. */
  load(sid: string, callback: Callback<Session | undefined>): void
  /** Turn a stored record into `req.session`. */
  createSession(req: any, record: SessionRecord): Session
}

export interface StoreConstructor {
  new (options?: any): Store
  (this: Store): void
  prototype: Store
}

export const Store = function Store(this: Store) {
  EventEmitter.call(this)
} as unknown as StoreConstructor

Object.setPrototypeOf(Store.prototype, EventEmitter.prototype)
Object.setPrototypeOf(Store, EventEmitter)

Store.prototype.regenerate = function regenerate(this: Store, req: any, callback: Callback) {
  this.destroy(req.sessionID, (err?: any) => {
    this.generate?.(req)
    callback(err)
  })
}

Store.prototype.load = function load(this: Store, sid: string, callback: Callback<Session | undefined>) {
  this.get(sid, (err?: any, record?: SessionRecord | null) => {
    if (err) return callback(err)
    if (!record) return callback()
    callback(null, this.createSession({ sessionID: sid, sessionStore: this }, record))
  })
}

Store.prototype.createSession = function createSession(this: Store, req: any, record: SessionRecord) {
  req.session = new Session(req, { ...record, cookie: cookieFromRecord(record.cookie) })
  return req.session
}

/** Rebuild a Cookie from a stored record's `cookie` (dates arrive as strings). */
export function cookieFromRecord(data: any, defaults?: object): Cookie {
  if (!data || typeof data !== 'object') return new Cookie(defaults as any)
  const { expires, originalMaxAge } = data
  const cookie = new Cookie(data)
  if (typeof expires === 'string') {
    const date = new Date(expires)
    // A mangled date would make every response fail to serialize the cookie.
    cookie.expires = Number.isNaN(date.getTime()) ? null : date
  }
  cookie.originalMaxAge = originalMaxAge ?? null
  return cookie
}
