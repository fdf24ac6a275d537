import { once } from './callback'
import { expiryOf } from './record'
import type { SessionRecord, SessionStoreLike } from './types'

/** One promise-based view of any store, whatever its convention. */
export interface BridgedStore {
  readonly store: SessionStoreLike
  /** Whether the store has a `touch` method now. */
  canTouch(): boolean
  /** The record, or null when there is none (a store's `ENOENT` error means none, too). */
  get(sid: string): Promise<SessionRecord | null>
  set(sid: string, record: SessionRecord): Promise<void>
  destroy(sid: string): Promise<void>
  touch(sid: string, record: SessionRecord): Promise<void>
}

type Method = 'get' | 'set' | 'destroy' | 'touch'

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
 * maxAgeMs)` and `touch(sid, session)`; with `ttl: 'seconds'`, bun-router's
 * `set(sid, session, ttlSeconds)` and `touch(sid, ttlSeconds)`. The lifetime
 * is the time left before the cookie expires, and is left out for a cookie
 * without expiry (the store's own default applies). Either way the first
 * answer wins, a second one is ignored and a throw is an error.
 */
export function bridgeStore(store: SessionStoreLike, ttl: TtlUnit = 'ms'): BridgedStore {
  const withCallback = typeof store.on === 'function'

  function call<T>(method: Method, args: unknown[]): Promise<T> {
    if (withCallback) return once<T>((callback) => (store as any)[method](...args, callback))
    try {
      const result = (store as any)[method](...args)
      return result && typeof result.then === 'function' ? result : Promise.resolve(result)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  return {
    store,
    canTouch: () => typeof store.touch === 'function',
    get(sid) {
      return call<SessionRecord | null | undefined>('get', [sid]).then(
        (record) => (record && typeof record === 'object' ? record : null),
        (err) => {
          if (err && err.code === 'ENOENT') return null
          throw err
        }
      )
    },
    set(sid, record) {
      if (withCallback) return call<void>('set', [sid, record])
      const lifetime = lifetimeOf(record, ttl)
      return call<void>('set', lifetime === undefined ? [sid, record] : [sid, record, lifetime])
    },
    destroy: (sid) => call<void>('destroy', [sid]),
    touch(sid, record) {
      if (withCallback || ttl === 'ms') return call<void>('touch', [sid, record])
      return call<void>('touch', [sid, lifetimeOf(record, ttl) ?? DAY_SECONDS])
    }
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
