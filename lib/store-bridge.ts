import { once } from './callback'
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

/**
 * Bridge a store. Every call looks the method up on the store at the time of
 * the call, so a method replaced on the instance (a spy, a metrics wrapper)
 * or overridden by a subclass is the one that runs.
 *
 * Stores written for express-session are EventEmitters (their base class is
 * `Store`), and answer through a callback: they get one, sessionware's own
 * stores and their subclasses included. Promise stores (bunway, bun-router)
 * are not, and get none, since their third argument means something else.
 * Either way the first answer wins, a second one is ignored and a throw is
 * an error.
 */
export function bridgeStore(store: SessionStoreLike): BridgedStore {
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
    set: (sid, record) => call<void>('set', [sid, record]),
    destroy: (sid) => call<void>('destroy', [sid]),
    touch: (sid, record) => call<void>('touch', [sid, record])
  }
}

// The optional store methods of concurrent saves (issue "never lose each
// other's changes"): merge, lease and release. Kept apart from bridgeStore.

/**
 * Call an optional store method with the store's convention: a callback for
 * stores that are EventEmitters, none for promise stores (as bridgeStore).
 */
export function callOptional<T>(store: SessionStoreLike, method: 'merge' | 'lease' | 'release', args: unknown[]): Promise<T> {
  if (typeof store.on === 'function') return once<T>((callback) => (store as any)[method](...args, callback))
  try {
    const result = (store as any)[method](...args)
    return result && typeof result.then === 'function' ? result : Promise.resolve(result)
  } catch (err) {
    return Promise.reject(err)
  }
}

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
