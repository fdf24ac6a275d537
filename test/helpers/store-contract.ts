import { afterEach, beforeEach, describe, expect, it } from 'vitest'

/** A store under test: sessionware's dual callback/promise store API. */
export interface ContractStore {
  get(sid: string, cb?: (err: any, value?: any) => void): Promise<any>
  set(sid: string, record: any, cb?: (err?: any) => void): Promise<void>
  destroy(sid: string, cb?: (err?: any) => void): Promise<void>
  touch(sid: string, record: any, cb?: (err?: any) => void): Promise<void>
  all(cb?: (err: any, value?: any) => void): Promise<any>
  length(cb?: (err: any, value?: number) => void): Promise<number>
  clear(cb?: (err?: any) => void): Promise<void>
}

export interface ContractOptions {
  /** Skip the contract (reported as skipped), e.g. where the store's server is missing. */
  skip?: boolean
  /** Make a fresh, empty store. */
  create(): Promise<ContractStore> | ContractStore
  /** Release it (close timers, connections, remove files). */
  dispose?(store: ContractStore): Promise<void> | void
  /**
   * Whether `touch` also writes the new `cookie.expires` into the record
   * (true by default). Redis refreshes the key's TTL only, as connect-redis does.
   */
  touchWritesCookie?: boolean
}

type Style = 'promise' | 'callback'

/**
 * Call `store[method](...args)` in the given style. In callback style the
 * callback must be called exactly once and a promise must be returned too.
 */
async function call(store: any, style: Style, method: string, ...args: unknown[]): Promise<any> {
  if (style === 'promise') return store[method](...args)
  let calls = 0
  const answer = new Promise((resolve, reject) => {
    const returned = store[method](...args, (err: any, value: any) => {
      calls++
      if (err) reject(err)
      else resolve(value)
    })
    expect(typeof returned?.then).toBe('function')
    returned.catch(() => {})
  })
  try {
    return await answer
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(calls).toBe(1)
  }
}

function record(data: object, maxAge: number | null = 60_000) {
  return {
    cookie: {
      originalMaxAge: maxAge,
      expires: maxAge === null ? null : new Date(Date.now() + maxAge).toISOString(),
      httpOnly: true,
      path: '/'
    },
    ...data
  }
}

/** The behaviour every session store must have, in callback and promise form. */
export function storeContract(name: string, options: ContractOptions): void {
  for (const style of ['promise', 'callback'] as Style[]) {
    describe.skipIf(Boolean(options.skip))(`${name} store contract (${style})`, () => {
      let store: ContractStore
      const op = (method: string, ...args: unknown[]) => call(store, style, method, ...args)

      beforeEach(async () => {
        store = await options.create()
      })
      afterEach(async () => {
        await options.dispose?.(store)
      })

      it('answers a missing session with null', async () => {
        expect((await op('get', 'nope')) ?? null).toBeNull()
      })

      it('returns what was set, with the cookie as stored JSON', async () => {
        const rec = record({ user: { name: 'zoë', roles: ['a', 'b'] }, n: 1 })
        await op('set', 'sid-1', rec)
        expect(await op('get', 'sid-1')).toEqual(rec)
      })

      it('overwrites a session on set', async () => {
        await op('set', 'sid-1', record({ n: 1 }))
        await op('set', 'sid-1', record({ n: 2 }))
        expect((await op('get', 'sid-1')).n).toBe(2)
      })

      it('hands out copies, never its own objects', async () => {
        const rec = record({ list: [1] })
        await op('set', 'sid-1', rec)
        rec.list.push(2)
        const first = await op('get', 'sid-1')
        first.list.push(3)
        expect((await op('get', 'sid-1')).list).toEqual([1])
      })

      it('destroys a session, and destroying a missing one is fine', async () => {
        await op('set', 'sid-1', record({ n: 1 }))
        await op('destroy', 'sid-1')
        expect((await op('get', 'sid-1')) ?? null).toBeNull()
        await op('destroy', 'sid-1')
      })

      it('never returns or counts an expired session', async () => {
        await op('set', 'old', record({ n: 1 }, -1000))
        await op('set', 'live', record({ n: 2 }))
        expect((await op('get', 'old')) ?? null).toBeNull()
        expect(await op('length')).toBe(1)
        expect(Object.keys(await op('all'))).toEqual(['live'])
      })

      it('touch refreshes the expiry without writing back stale data', async () => {
        const stale = record({ n: 1 }, 1000)
        await op('set', 'sid-1', stale)
        await op('set', 'sid-1', record({ n: 2 }, 1000))
        const later = new Date(Date.now() + 3_600_000).toISOString()
        await op('touch', 'sid-1', { ...stale, cookie: { ...stale.cookie, expires: later } })
        const got = await op('get', 'sid-1')
        expect(got.n).toBe(2)
        if (options.touchWritesCookie !== false) expect(got.cookie.expires).toBe(later)
      })

      it('lists, counts and clears sessions', async () => {
        await op('set', 'a', record({ n: 1 }))
        await op('set', 'b', record({ n: 2 }))
        expect(await op('length')).toBe(2)
        const all = await op('all')
        const sessions = Array.isArray(all) ? all : Object.values(all)
        expect(sessions.map((s: any) => s.n).sort()).toEqual([1, 2])
        await op('clear')
        expect(await op('length')).toBe(0)
      })

      it('keeps a session with no cookie expiry', async () => {
        await op('set', 'forever', record({ n: 1 }, null))
        expect((await op('get', 'forever')).n).toBe(1)
      })

      it('reports a session it cannot serialize, and keeps the old one', async () => {
        await op('set', 'sid-1', record({ n: 1 }))
        const circular: any = record({ n: 2 })
        circular.self = circular
        await expect(op('set', 'sid-1', circular)).rejects.toThrow()
        expect((await op('get', 'sid-1')).n).toBe(1)
      })
    })
  }
}
