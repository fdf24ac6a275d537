import { Deadlines, type Pending } from './deadlines'
import { SessionError } from './errors'
import { expiryOf } from './record'
import type { SessionRecord, SessionStoreLike } from './types'

/** One promise-based view of any store, whatever its convention. */
export interface BridgedStore {
  readonly store: SessionStoreLike
  /** Whether the store has a `touch` method now. */
  canTouch(): boolean
  /**
   * The record, or null when there is none (a store's `ENOENT` error means
   * none, too); with `then`, what `then` makes of it, in the same promise.
   */
  get(sid: string, req?: unknown): Promise<SessionRecord | null>
  get<T>(sid: string, req: unknown, then: (record: SessionRecord | null) => T | PromiseLike<T>): Promise<T>
  set(sid: string, record: SessionRecord, req?: unknown): Promise<void>
  destroy(sid: string, req?: unknown): Promise<void>
  touch(sid: string, record: SessionRecord, req?: unknown): Promise<void>
  /** Whether the store keeps a user index (`userSessions`), or else has `all()` to search. */
  userIndex(): 'index' | 'all' | 'none'
  /** The sessions of `user`, by the store's user index. */
  userSessions(user: string): Promise<Record<string, SessionRecord>>
  /** Every session (the fallback of stores without a user index). */
  all(): Promise<Record<string, SessionRecord>>
  /** Call an optional method the store has (see `canMerge`, `canLease`), with its convention and the timeout. */
  optional<T>(method: OptionalMethod, args: unknown[], req?: unknown): Promise<T>
}

export interface BridgeOptions {
  /** The unit promise stores get lifetimes in (`SessionOptions.storeTtl`); default `'ms'`. */
  ttlUnit?: TtlUnit
  /** How long a call may take, in ms; `false` or unset: no bound. */
  timeout?: number | false
  /** Told of each call that timed out (the request is the one passed to the call, if any). */
  onTimeout?: (method: Method, sid: string | undefined, req: unknown) => void
}

export type Method = 'get' | 'set' | 'destroy' | 'touch' | 'userSessions' | 'all' | OptionalMethod

/** The optional methods of concurrent saves: `merge`, and `serialize`'s `lease` and `release`. */
export type OptionalMethod = 'merge' | 'lease' | 'release'

/** The unit a promise store gets lifetimes in (`SessionOptions.storeTtl`). */
export type TtlUnit = 'ms' | 'seconds'

/**
 * Bridge a store. Every call looks the method up on the store at the time of
 * the call, so a method replaced on the instance (a spy, a metrics wrapper)
 * or overridden by a subclass is the one that runs.
 *
 * Stores written for express-session are EventEmitters (their base class is
 * `Store`), and answer through a callback: they get one, sessionware's own
 * stores and their subclasses included, with express-session's arguments.
 * Promise stores (bunway, bun-router) are not, and get what their library
 * passes instead of a callback: by default bunway's `set(sid, session,
 * maxAgeMs)` and `touch(sid, session)`; with `ttlUnit: 'seconds'`, bun-router's
 * `set(sid, session, ttlSeconds)` and `touch(sid, ttlSeconds)`. The lifetime
 * is the time left before the cookie expires, and is left out for a cookie
 * without expiry (the store's own default applies). Either way the first
 * answer wins, a second one is ignored and a throw is an error. With a
 * `timeout`, a call that has not answered in time fails with `ETIMEDOUT`
 * (see `call`).
 */
export function bridgeStore(store: SessionStoreLike, options: BridgeOptions = {}): BridgedStore {
  const ttl = options.ttlUnit || 'ms'
  const withCallback = typeof store.on === 'function'
  const deadlines = options.timeout ? new Deadlines(options.timeout) : undefined
  const onTimeout = options.onTimeout

  /**
   * One promise per call, whatever the store's convention: the first answer
   * (callback, returned promise or value, throw, or the deadline) settles it,
   * and `map` turns the answer into the result (a store's `ENOENT` into none).
   */
  function call<T>(method: Method, args: unknown[], req?: unknown, map?: (err: any, value: any) => T | PromiseLike<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let pending: Pending | undefined
      let answered = false
      const answer = (err: any, value?: any) => {
        if (answered) return
        answered = true
        if (pending) deadlines!.remove(pending)
        if (map) {
          try {
            resolve(map(err, value))
          } catch (mapped) {
            reject(mapped)
          }
        } else if (err) reject(err)
        else resolve(value)
      }
      if (deadlines) {
        const sid = typeof args[0] === 'string' && method !== 'userSessions' ? args[0] : undefined
        pending = deadlines.add(() => {
          if (onTimeout) onTimeout(method, sid, req)
          answer(new SessionError('ETIMEDOUT', `the session store did not answer ${method} within ${deadlines.timeout} ms`))
        })
      }
      let returned: any
      try {
        returned = withCallback ? (store as any)[method](...args, answer) : (store as any)[method](...args)
      } catch (err) {
        return answer(err)
      }
      if (returned && typeof returned.then === 'function') {
        returned.then(
          (value: unknown) => answer(null, value),
          (err: unknown) => answer(err ?? new Error('store rejected without a reason'))
        )
      } else if (!withCallback) answer(null, returned)
    })
  }

  return {
    store,
    canTouch: () => typeof store.touch === 'function',
    get: (sid: string, req?: unknown, then?: (record: SessionRecord | null) => any) =>
      call('get', [sid], req, then === undefined ? recordOrNone : (err, record) => then(recordOrNone(err, record))),
    set(sid, record, req) {
      if (withCallback) return call<void>('set', [sid, record], req)
      const lifetime = lifetimeOf(record, ttl)
      return call<void>('set', lifetime === undefined ? [sid, record] : [sid, record, lifetime], req)
    },
    destroy: (sid, req) => call<void>('destroy', [sid], req),
    touch(sid, record, req) {
      if (withCallback || ttl === 'ms') return call<void>('touch', [sid, record], req)
      return call<void>('touch', [sid, lifetimeOf(record, ttl) ?? DAY_SECONDS], req)
    },
    userIndex: () =>
      typeof (store as any).userSessions === 'function' ? 'index' : typeof store.all === 'function' ? 'all' : 'none',
    optional: (method, args, req) => call(method, args, req),
    userSessions: (user) => call<Record<string, SessionRecord>>('userSessions', [user]).then(orEmpty),
    all: () => call<Record<string, SessionRecord>>('all', []).then(orEmpty)
  }
}

// bun-router's touch always has a ttl: a day (its documented default lifetime) for a cookie without expiry.
const DAY_SECONDS = 86400

/** The time left before the record's cookie expires, in `unit` (at least 1), or `undefined` for none. */
function lifetimeOf(record: SessionRecord, unit: TtlUnit): number | undefined {
  const expiry = expiryOf(record)
  if (expiry === Infinity) return undefined
  const ms = Math.max(1, expiry - Date.now())
  return unit === 'seconds' ? Math.max(1, Math.ceil(ms / 1000)) : ms
}

/** A `get` answer as a record or null: a store's `ENOENT` error means none, too. */
function recordOrNone(err: any, record: unknown): SessionRecord | null {
  if (err) {
    if (err.code === 'ENOENT') return null
    throw err
  }
  return record && typeof record === 'object' ? (record as SessionRecord) : null
}

// Stores answer `all()` with an object keyed by ID (ours, connect-redis) or an array (memorystore's older form).
function orEmpty(result: unknown): Record<string, SessionRecord> {
  if (!result || typeof result !== 'object') return Object.create(null)
  if (!Array.isArray(result)) return result as Record<string, SessionRecord>
  // connect-redis answers an array of records, each with its `id`.
  const keyed: Record<string, SessionRecord> = Object.create(null)
  for (const record of result) if (record && typeof record.id === 'string') keyed[record.id] = record
  return keyed
}

// The optional store methods of concurrent saves (issue "never lose each
// other's changes"): merge, lease and release. Kept apart from bridgeStore.

/**
 * Whether the store's own `merge` may stand in for a read-merge-write: it has
 * one, and its `get`, `set` and `destroy` are those of the object that
 * defines `merge`. A `set` replaced on the instance after mounting (a spy, a
 * wrapper) or overridden by a subclass that kept the parent's `merge` would
 * otherwise never see the write: then the middleware reads, merges and writes
 * through `get` and `set` as they are.
 */
export function canMerge(store: SessionStoreLike): boolean {
  if (typeof store.merge !== 'function') return false
  let owner: any = store
  while (owner && !Object.prototype.hasOwnProperty.call(owner, 'merge')) owner = Object.getPrototypeOf(owner)
  return owner && store.get === owner.get && store.set === owner.set && store.destroy === owner.destroy
}

/** Whether the store can lease a session across processes (`serialize`). */
export function canLease(store: SessionStoreLike): boolean {
  return typeof store.lease === 'function' && typeof store.release === 'function'
}
