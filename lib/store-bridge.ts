import { once } from './callback'
import type { SessionRecord, SessionStoreLike } from './types'

/**
 * Marks a store whose methods return a promise when called without a
 * callback (sessionware's own stores), so the bridge can skip the callback.
 */
export const PROMISE_API = Symbol.for('sessionware.promiseApi')

/**
 * A store that can answer synchronously (sessionware's MemoryStore) exposes
 * this under `SYNC_API`, and saves every request three promise hops.
 */
export const SYNC_API = Symbol.for('sessionware.syncApi')

export interface SyncStore {
  /** The stored record as JSON, or `undefined` when there is none. */
  read(sid: string): StoredJson | undefined
  /**
   * Store `record`, given `data`: its JSON without the cookie, as
   * `dataJson` wrote it (the middleware already has it).
   */
  write(sid: string, record: SessionRecord, data: string): void
  touch(sid: string, record: SessionRecord): void
  destroy(sid: string): void
}

/**
 * A stored record as JSON, in two parts: its cookie's JSON, and the JSON of
 * the rest, which is what `dataJson` gives for a session. A session loaded
 * from it knows its unchanged data's JSON without serializing it again, and
 * cookies that serialize alike can share one string.
 */
export interface StoredJson {
  /** The record's `cookie` as JSON, or `undefined` for a record without one. */
  readonly cookieJson: string | undefined
  /** The record's other members as a JSON object (the whole record when it has no cookie). */
  readonly dataJson: string
}

/** One promise-based view of any store, whatever its convention. */
export interface BridgedStore {
  readonly store: SessionStoreLike
  readonly canTouch: boolean
  /** Synchronous access, when the store offers it. */
  readonly sync: SyncStore | undefined
  get(sid: string): Promise<SessionRecord | null>
  set(sid: string, record: SessionRecord): Promise<void>
  destroy(sid: string): Promise<void>
  touch(sid: string, record: SessionRecord): Promise<void>
}

type Method = 'get' | 'set' | 'destroy' | 'touch'

/**
 * Bridge a store. Stores written for express-session are EventEmitters and
 * answer through a callback; promise stores (bunway, bun-router) are not, and
 * get no callback, since their third argument means something else. Either
 * way the first answer wins, a second one is ignored and a throw is an error.
 */
export function bridgeStore(store: SessionStoreLike): BridgedStore {
  const promiseOnly = (store as any)[PROMISE_API] === true || typeof store.on !== 'function'

  function call<T>(method: Method, args: unknown[]): Promise<T> {
    const fn = (store as any)[method] as Function
    if (promiseOnly) {
      try {
        const result = fn.apply(store, args)
        return result && typeof result.then === 'function' ? result : Promise.resolve(result)
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return once<T>((callback) => fn.apply(store, [...args, callback]))
  }

  return {
    store,
    canTouch: typeof store.touch === 'function',
    sync: (store as any)[SYNC_API],
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
