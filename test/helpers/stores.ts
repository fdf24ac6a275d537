import { Store } from '../../lib/index'
import { MemoryStore } from '../../stores/memory'

/**
 * Failure injection: wraps a real MemoryStore and fails, delays or misbehaves
 * on the methods named, so the middleware meets what real stores do.
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
      if (this.failing.has(method)) return callback(Object.assign(new Error(`${method} failed`), { code: 'ESTOREDOWN' }))
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

/** A promise-only store in the style bunway and bun-router document: not an EventEmitter, no callbacks. */
export function promiseStore() {
  const data = new Map<string, string>()
  const calls: unknown[][] = []
  return {
    data,
    calls,
    async get(sid: string) {
      calls.push(['get', sid])
      const json = data.get(sid)
      return json ? JSON.parse(json) : null
    },
    async set(sid: string, session: object, ...rest: unknown[]) {
      calls.push(['set', sid, ...rest])
      data.set(sid, JSON.stringify(session))
    },
    async destroy(sid: string) {
      calls.push(['destroy', sid])
      data.delete(sid)
    }
  }
}
