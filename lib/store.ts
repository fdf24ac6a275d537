import { EventEmitter } from 'events'
import { once, settle, type Callback } from './callback'
import { cookieFromRecord } from './core/cookie'
import { Session } from './core/session'
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
  regenerate(req: any, callback?: Callback): Promise<void>
  /** Load the session `sid` as a Session bound to a bare request object; `undefined` when there is none. */
  load(sid: string, callback?: Callback<Session | undefined>): Promise<Session | undefined>
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

// Both call the store's own methods with a callback, as express-session's
// Store does: that is the one convention every store that extends Store keeps.

Store.prototype.regenerate = function regenerate(this: Store, req: any, callback?: Callback) {
  const work = once<void>((done) => this.destroy(req.sessionID, done)).then(
    () => void this.generate?.(req),
    (err) => {
      this.generate?.(req)
      throw err
    }
  )
  return settle(work, callback)
}

Store.prototype.load = function load(this: Store, sid: string, callback?: Callback<Session | undefined>) {
  const work = once<any>((done) => this.get(sid, done)).then((record) =>
    record ? this.createSession({ sessionID: sid, sessionStore: this }, record) : undefined
  )
  return settle(work, callback)
}

Store.prototype.createSession = function createSession(this: Store, req: any, record: SessionRecord) {
  req.session = new Session(req, { ...record, cookie: cookieFromRecord(record.cookie) })
  return req.session
}
