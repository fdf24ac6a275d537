/**
 * The stores the tests inject faults into or watch, under Node (vitest) and
 * under Bun (the scripts in test/bun-runtime and test/runtime): no vitest
 * import, and no `lib/index` (an `export =` module Bun will not load as source).
 */
import { Store } from '../../lib/store'
import { MemoryStore } from '../../stores/memory'

/** What a failing store method answers: a store outage. */
export const storeDown = (method: string) => Object.assign(new Error(`${method} failed`), { code: 'ESTOREDOWN' })

/**
 * A callback store (express-session's contract) over a real MemoryStore that
 * fails, delays or misbehaves on the methods named, so the middleware meets
 * what real stores do.
 */
export class FaultyStore extends Store {
  readonly inner = new MemoryStore({ sweepInterval: false })
  /** Methods that call back with an error. */
  failing = new Set<string>()
  /** Methods that throw synchronously. */
  throwing = new Set<string>()
  /** Methods that call back twice (error second). */
  twice = new Set<string>()
  /** Delay before answering, ms. */
  delay = 0
  /** Answer `get` with an ENOENT error, as file stores do for missing files. */
  enoent = false
  calls: string[] = []

  private answer(method: string, work: () => Promise<any>, callback: (err?: any, value?: any) => void): void {
    this.calls.push(method)
    if (this.throwing.has(method)) throw new Error(`${method} threw`)
    const run = async () => {
      if (this.delay) await new Promise((resolve) => setTimeout(resolve, this.delay))
      if (this.failing.has(method)) return callback(storeDown(method))
      if (method === 'get' && this.enoent) return callback(Object.assign(new Error('no such file'), { code: 'ENOENT' }))
      const value = await work()
      callback(null, value)
      if (this.twice.has(method)) callback(new Error('second answer'))
    }
    void run()
  }

  get(sid: string, callback: any) {
    this.answer('get', () => this.inner.get(sid), callback)
  }
  set(sid: string, session: any, callback: any) {
    this.answer('set', () => this.inner.set(sid, session), callback)
  }
  destroy(sid: string, callback: any) {
    this.answer('destroy', () => this.inner.destroy(sid), callback)
  }
  touch(sid: string, session: any, callback: any) {
    this.answer('touch', () => this.inner.touch(sid, session), callback)
  }
}

/**
 * A promise-only store in the style bunway and bun-router document (not an
 * EventEmitter, no callbacks) over a MemoryStore (`inner`). It answers after
 * `delay` ms, records every call with its arguments, and rejects with a store
 * outage for the methods in `failing`.
 */
export function promiseStore({ delay = 0 }: { delay?: number } = {}) {
  const inner = new MemoryStore({ sweepInterval: false })
  const received: Array<{ method: string; args: unknown[] }> = []
  const failing = new Set<string>()
  const answer = async <T>(method: string, args: unknown[], work: () => Promise<T>) => {
    received.push({ method, args })
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay))
    if (failing.has(method)) throw storeDown(method)
    return work()
  }
  return {
    inner,
    received,
    failing,
    /** The methods called, in order. */
    get calls(): string[] {
      return received.map((call) => call.method)
    },
    get: (sid: string, ...rest: unknown[]) => answer('get', [sid, ...rest], () => inner.get(sid)),
    set: (sid: string, record: any, ...rest: unknown[]) => answer('set', [sid, record, ...rest], () => inner.set(sid, record)),
    destroy: (sid: string, ...rest: unknown[]) => answer('destroy', [sid, ...rest], () => inner.destroy(sid)),
    touch: (sid: string, record: any, ...rest: unknown[]) => answer('touch', [sid, record, ...rest], () => inner.touch(sid, record))
  }
}

/** A promise store that answers after `delay` ms: the session must wait for it. */
export const slowStore = (delay = 15) => promiseStore({ delay })
