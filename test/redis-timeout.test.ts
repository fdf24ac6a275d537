import { describe, expect, it } from 'vitest'
import { RedisStore } from '../stores/redis'

const TIMEOUT = 200
// Within 10% of the timeout; never early.
const LATE_MAX = TIMEOUT * 0.1

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A client that never answers: every command can only time out. */
const silent = () => ({ call: () => new Promise<unknown>(() => {}) })

/** How long after `start` the promise rejected, with its error. */
async function rejection(work: Promise<unknown>, start: number): Promise<{ elapsed: number; code: string }> {
  const err: any = await work.then(
    () => new Error('answered'),
    (e) => e
  )
  return { elapsed: performance.now() - start, code: err.code }
}

describe('RedisStore timeout', () => {
  it('rejects with ETIMEDOUT within 10% of the timeout, also for a command sent while another waits', async () => {
    const store = new RedisStore({ client: silent(), timeout: TIMEOUT, breaker: false })
    // The machine may be busy: the best of a few rounds is judged, each one for lateness.
    const lateness: number[] = []
    for (let round = 0; round < 3; round++) {
      const first = performance.now()
      const a = rejection(store.get('a'), first)
      // Not on the first command's schedule: 70 ms into its wait.
      await sleep(70)
      const second = performance.now()
      const b = rejection(store.get('b'), second)
      const results = await Promise.all([a, b])
      for (const { elapsed, code } of results) {
        expect(code).toBe('ETIMEDOUT')
        expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT - 1)
      }
      lateness.push(Math.max(...results.map((r) => r.elapsed - TIMEOUT)))
    }
    expect(Math.min(...lateness)).toBeLessThanOrEqual(LATE_MAX)
  })

  it('times a command out on time after earlier ones were answered', async () => {
    let answer = true
    const client = { call: () => (answer ? Promise.resolve(null) : new Promise<unknown>(() => {})) }
    const store = new RedisStore({ client, timeout: TIMEOUT, breaker: false })
    const lateness: number[] = []
    for (let round = 0; round < 3; round++) {
      answer = true
      expect(await store.get('answered')).toBeNull()
      // The timer stays armed for the answered command's deadline, 50 ms before this one's.
      await sleep(50)
      answer = false
      const start = performance.now()
      const { elapsed, code } = await rejection(store.get('silent'), start)
      expect(code).toBe('ETIMEDOUT')
      expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT - 1)
      lateness.push(elapsed - TIMEOUT)
    }
    expect(Math.min(...lateness)).toBeLessThanOrEqual(LATE_MAX)
  })

  it('ignores an answer that comes after the timeout', async () => {
    const late: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = []
    const client = { call: () => new Promise<unknown>((resolve, reject) => late.push({ resolve, reject })) }
    const store = new RedisStore({ client, timeout: 50 })
    const calls: unknown[][] = []
    const done = new Promise<void>((resolve) =>
      store.get('sid', (...args: unknown[]) => {
        calls.push(args)
        resolve()
      })
    )
    const set = store.set('sid', { cookie: { originalMaxAge: 1000, expires: new Date(Date.now() + 1000).toISOString() } } as any)
    await done
    await expect(set).rejects.toMatchObject({ code: 'ETIMEDOUT' })
    expect(calls).toHaveLength(1)
    expect((calls[0][0] as any).code).toBe('ETIMEDOUT')
    // The late answers: a reply to GET, a failure of SET. Neither is seen, nor unhandled.
    late[0].resolve(JSON.stringify({ n: 1 }))
    late[1].reject(new Error('late failure'))
    await sleep(10)
    expect(calls).toHaveLength(1)
  })

  it('answers commands that reply in time, and fails a throwing client at once', async () => {
    const client = { call: async (name: string) => (name === 'GET' ? JSON.stringify({ n: 1 }) : 'OK') }
    const store = new RedisStore({ client, timeout: 50 })
    const calls: unknown[][] = []
    await new Promise<void>((resolve) =>
      store.get('sid', (...args: unknown[]) => {
        calls.push(args)
        resolve()
      })
    )
    await sleep(80) // past the timeout: an answered command never times out
    expect(calls).toEqual([[null, { n: 1 }]])
    const throwing = new RedisStore({
      client: {
        call: () => {
          throw new Error('closed')
        }
      },
      timeout: 50
    })
    await expect(throwing.get('sid')).rejects.toThrow('closed')
  })
})

describe('RedisStore with a client of its own, Redis unreachable', () => {
  it('fails a command with ETIMEDOUT and close() returns: nothing keeps reconnecting', async () => {
    // Port 1: nothing listens, every connection attempt is refused.
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', timeout: 200, breaker: false } as any)
    await expect(store.get('a')).rejects.toMatchObject({ code: 'ETIMEDOUT' })
    await expect(store.close()).resolves.toBeUndefined()
  })
})
