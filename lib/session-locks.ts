import { debug } from './debug'
import { SessionError } from './errors'
import { canLease, type BridgedStore } from './store-bridge'

/** A request's hold on its session (`serialize`): released once, whatever the path. */
export interface SessionLock {
  release(): void
}

interface Waiter {
  grant(): void
  timer: ReturnType<typeof setTimeout>
}

interface Holding {
  /** The requests waiting for this session, first come first served. */
  waiters: Waiter[]
  /** Frees the session if its holder never releases it (a request that hangs). */
  expiry: ReturnType<typeof setTimeout> | undefined
}

/**
 * `serialize`: requests of one session take turns, from load to save. Within
 * this process by a queue per session ID; across processes, when the store
 * can lease (RedisStore), by an expiring lease as well, so that a crashed
 * process blocks a session no longer than `leaseMs`.
 */
export class SessionLocks {
  private readonly held = new Map<string, Holding>()

  constructor(
    private readonly store: BridgedStore,
    private readonly waitMs: number,
    private readonly leaseMs: number
  ) {}

  /** Wait for the session `sid`; fails with ESESSIONBUSY after `waitMs`. */
  acquire(sid: string): Promise<SessionLock> {
    const deadline = Date.now() + this.waitMs
    return this.local(sid).then((local) => {
      const store = this.store.store
      if (!canLease(store)) return local
      return this.lease(sid, deadline).then(
        (token) => ({
          release: () => {
            local.release()
            this.store.optional('release', [sid, token]).catch((err) => debug('releasing the lease of %s failed: %s', sid, err))
          }
        }),
        (err) => {
          local.release()
          throw err
        }
      )
    })
  }

  private local(sid: string): Promise<SessionLock> {
    let holding = this.held.get(sid)
    if (!holding) {
      holding = { waiters: [], expiry: undefined }
      this.held.set(sid, holding)
      return Promise.resolve(this.hold(sid, holding))
    }
    const waiting = holding
    return new Promise<SessionLock>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer)
          resolve(this.hold(sid, waiting))
        },
        timer: setTimeout(() => {
          const index = waiting.waiters.indexOf(waiter)
          if (index !== -1) waiting.waiters.splice(index, 1)
          reject(busy(sid, this.waitMs))
        }, this.waitMs)
      }
      waiting.waiters.push(waiter)
    })
  }

  /** The lock of the request now holding `sid`. */
  private hold(sid: string, holding: Holding): SessionLock {
    let released = false
    const release = () => {
      if (released) return
      released = true
      clearTimeout(holding.expiry)
      const next = holding.waiters.shift()
      if (next) next.grant()
      else this.held.delete(sid)
    }
    holding.expiry = setTimeout(() => {
      debug('session %s held longer than maxRequestTime: released', sid)
      release()
    }, this.leaseMs)
    holding.expiry.unref?.()
    return { release }
  }

  /** Take the store's lease, trying again every few milliseconds until `deadline`. */
  private async lease(sid: string, deadline: number): Promise<string> {
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      const token = await this.store.optional<string | null>('lease', [sid, this.leaseMs])
      if (token) return token
      if (Date.now() + pause > deadline) throw busy(sid, this.waitMs)
      await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random())))
    }
  }
}

function busy(sid: string, waitMs: number): SessionError {
  return new SessionError('ESESSIONBUSY', `session ${JSON.stringify(sid.slice(0, 12))}… is busy: another request held it for more than ${waitMs} ms`)
}
