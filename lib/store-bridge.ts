import { once } from './callback'
import { Deadlines } from './deadlines'
import { SessionError } from './errors'
import type { SessionRecord, SessionStoreLike } from './types'

/** One promise-based view of any store, whatever its convention. */
export interface BridgedStore {
  readonly store: SessionStoreLike
  /** Whether the store has a `touch` method now. */
  canTouch(): boolean
  /** The record, or null when there is none (a store's `ENOENT` error means none, too). */
  get(sid: string, req?: unknown): Promise<SessionRecord | null>
  set(sid: string, record: SessionRecord, req?: unknown): Promise<void>
  destroy(sid: string, req?: unknown): Promise<void>
  touch(sid: string, record: SessionRecord, req?: unknown): Promise<void>
  /** Whether the store keeps a user index (`userSessions`), or else has `all()` to search. */
  userIndex(): 'index' | 'all' | 'none'
  /** The sessions of `user`, by the store's user index. */
  userSessions(user: string): Promise<Record<string, SessionRecord>>
  /** Every session (the fallback of stores without a user index). */
  all(): Promise<Record<string, SessionRecord>>
}

export interface BridgeOptions {
  /** How long a call may take, in ms; `false` or unset: no bound. */
  timeout?: number | false
  /** Told of each call that timed out (the request is the one passed to the call, if any). */
  onTimeout?: (method: Method, sid: string | undefined, req: unknown) => void
}

export type Method = 'get' | 'set' | 'destroy' | 'touch' | 'userSessions' | 'all'

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
 * an error. With a `timeout`, a call that has not answered in time fails
 * with `ETIMEDOUT` (see `withDeadline`).
 */
export function bridgeStore(store: SessionStoreLike, options: BridgeOptions = {}): BridgedStore {
  const withCallback = typeof store.on === 'function'
  const deadlines = options.timeout ? new Deadlines(options.timeout) : undefined
  const onTimeout = options.onTimeout

  function invoke<T>(method: Method, args: unknown[]): Promise<T> {
    if (withCallback) return once<T>((callback) => (store as any)[method](...args, callback))
    try {
      const result = (store as any)[method](...args)
      return result && typeof result.then === 'function' ? result : Promise.resolve(result)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  function call<T>(method: Method, args: unknown[], req?: unknown): Promise<T> {
    if (!deadlines) return invoke<T>(method, args)
    const sid = typeof args[0] === 'string' && method !== 'userSessions' ? args[0] : undefined
    return withDeadline(deadlines, invoke<T>(method, args), () => {
      if (onTimeout) onTimeout(method, sid, req)
      return new SessionError('ETIMEDOUT', `the session store did not answer ${method} within ${deadlines.timeout} ms`)
    })
  }

  return {
    store,
    canTouch: () => typeof store.touch === 'function',
    get(sid, req) {
      return call<SessionRecord | null | undefined>('get', [sid], req).then(
        (record) => (record && typeof record === 'object' ? record : null),
        (err) => {
          if (err && err.code === 'ENOENT') return null
          throw err
        }
      )
    },
    set: (sid, record, req) => call<void>('set', [sid, record], req),
    destroy: (sid, req) => call<void>('destroy', [sid], req),
    touch: (sid, record, req) => call<void>('touch', [sid, record], req),
    userIndex: () =>
      typeof (store as any).userSessions === 'function' ? 'index' : typeof store.all === 'function' ? 'all' : 'none',
    userSessions: (user) => call<Record<string, SessionRecord>>('userSessions', [user]).then(orEmpty),
    all: () => call<Record<string, SessionRecord>>('all', []).then(orEmpty)
  }
}

/**
 * `work`'s answer, or a rejection with `timedOut()` when it has not come
 * before the deadline. A late answer (or failure) is ignored.
 */
export function withDeadline<T>(deadlines: Deadlines, work: Promise<T>, timedOut: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const pending = deadlines.add(() => reject(timedOut()))
    work.then(
      (value) => {
        deadlines.remove(pending)
        resolve(value)
      },
      (err) => {
        deadlines.remove(pending)
        reject(err)
      }
    )
  })
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
