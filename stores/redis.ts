import { attempt, settle, type Callback } from '../lib/callback'
import { checkSid, expiryOf, serializeError } from '../lib/record'
import { Store } from '../lib/store'
import { PROMISE_API } from '../lib/store-bridge'
import type { SessionRecord } from '../lib/types'

/**
 * A Redis client, duck-typed: node-redis v4+ (`sendCommand`), ioredis
 * (`call`) and Bun's `RedisClient` (`send`) all work. No Redis package is a
 * dependency of sessionware.
 */
export type RedisClientLike =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { call(command: string, ...args: string[]): Promise<unknown> }
  | { send(command: string, args: string[]): Promise<unknown> }

export interface RedisStoreOptions {
  /** A connected client: node-redis, ioredis or Bun's RedisClient. */
  client: RedisClientLike
  /** Key prefix (default `sess:`, as connect-redis). */
  prefix?: string
  /** Lifetime in seconds of sessions whose cookie has no expiry (default 86400, as connect-redis). */
  ttl?: number
  /** How long a command may take before it fails, in ms (default 2000). */
  timeout?: number
  /** Keys asked for per SCAN call (default 100). */
  scanCount?: number
}

/** bun-router's spelling: `redisStore({ client, prefix, ttl })`. */
export function redisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options)
}

type Command = (args: string[]) => Promise<unknown>

/**
 * Sessions in Redis, with connect-redis's keys and records (`sess:<id>`,
 * JSON, TTL from the cookie's expiry), so apps can move in either direction
 * without logging anyone out.
 *
 * The client's connection events are deliberately not forwarded as the
 * store's `disconnect`/`connect`: express-session would then serve requests
 * without a session, silently. Instead a command that fails or takes longer
 * than `timeout` reaches `next(err)`, and requests work again once the client
 * has reconnected.
 */
export class RedisStore extends Store {
  readonly prefix: string
  private readonly ttl: number
  private readonly timeout: number
  private readonly scanCount: number
  private readonly command: Command
  private readonly pending = new Set<Pending>()
  private watcher: ReturnType<typeof setInterval> | undefined

  constructor(options: RedisStoreOptions) {
    super()
    if (!options || !options.client) throw new TypeError('RedisStore needs a client: node-redis, ioredis or Bun RedisClient')
    this.command = commandOf(options.client)
    this.prefix = options.prefix ?? 'sess:'
    this.ttl = options.ttl && options.ttl > 0 ? options.ttl : 86400
    this.timeout = options.timeout && options.timeout > 0 ? options.timeout : 2000
    this.scanCount = options.scanCount && options.scanCount > 0 ? options.scanCount : 100
  }

  get(sid: string, callback?: Callback<SessionRecord | null>): Promise<SessionRecord | null> {
    const work = attempt(() => this.run(['GET', this.key(sid)])).then((raw) => (raw ? JSON.parse(String(raw)) : null))
    return settle(work, callback)
  }

  set(sid: string, session: SessionRecord, callback?: Callback): Promise<void> {
    const work = attempt(() => {
      const key = this.key(sid)
      if (!session || typeof session !== 'object') throw new TypeError('session must be an object')
      let json: string
      try {
        json = JSON.stringify(session)
      } catch (err) {
        throw serializeError(sid, err)
      }
      const ttl = this.ttlOf(session)
      // An already expired session is removed rather than stored (as connect-redis does).
      if (ttl <= 0) return this.run(['DEL', key])
      return this.run(['SET', key, json, 'EX', String(ttl)])
    })
    return settle(work.then(noop), callback)
  }

  destroy(sid: string, callback?: Callback): Promise<void> {
    return settle(attempt(() => this.run(['DEL', this.key(sid)])).then(noop), callback)
  }

  /** Refresh the expiry only: an EXPIRE, never a rewrite of the data. */
  touch(sid: string, session: SessionRecord, callback?: Callback): Promise<void> {
    const work = attempt(() => this.run(['EXPIRE', this.key(sid), String(Math.max(1, this.ttlOf(session)))]))
    return settle(work.then(noop), callback)
  }

  /** Every session, keyed by session ID. */
  all(callback?: Callback<Record<string, SessionRecord>>): Promise<Record<string, SessionRecord>> {
    const work = this.keys().then(async (keys) => {
      const result: Record<string, SessionRecord> = Object.create(null)
      for (let i = 0; i < keys.length; i += this.scanCount) {
        const batch = keys.slice(i, i + this.scanCount)
        const values = (await this.run(['MGET', ...batch])) as unknown[]
        batch.forEach((key, index) => {
          if (values[index]) result[key.slice(this.prefix.length)] = JSON.parse(String(values[index]))
        })
      }
      return result
    })
    return settle(work, callback)
  }

  /** Every session ID. */
  ids(callback?: Callback<string[]>): Promise<string[]> {
    return settle(
      this.keys().then((keys) => keys.map((key) => key.slice(this.prefix.length))),
      callback
    )
  }

  length(callback?: Callback<number>): Promise<number> {
    return settle(
      this.keys().then((keys) => keys.length),
      callback
    )
  }

  /** Remove every session under this store's prefix. */
  clear(callback?: Callback): Promise<void> {
    const work = this.keys().then(async (keys) => {
      for (let i = 0; i < keys.length; i += this.scanCount) await this.run(['DEL', ...keys.slice(i, i + this.scanCount)])
    })
    return settle(work, callback)
  }

  private key(sid: string): string {
    checkSid(sid)
    return this.prefix + sid
  }

  // Seconds, rounded up, as connect-redis computes it from a valid `cookie.expires`.
  // Unlike connect-redis, an unparsable `expires` falls back to `maxAge`, then to `ttl`.
  private ttlOf(session: SessionRecord): number {
    return Math.ceil((expiryOf(session, this.ttl * 1000) - Date.now()) / 1000)
  }

  /** Every key under the prefix, by SCAN in batches (never KEYS). */
  private async keys(): Promise<string[]> {
    const pattern = this.prefix.replace(/[*?[\]\\]/g, '\\$&') + '*'
    const keys = new Set<string>()
    let cursor = '0'
    do {
      const [next, batch] = (await this.run(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(this.scanCount)])) as [unknown, unknown[]]
      cursor = String(next)
      for (const key of batch) keys.add(String(key))
    } while (cursor !== '0')
    return [...keys]
  }

  /** One command, failing with `ETIMEDOUT` when Redis does not answer in time. */
  private run(args: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { deadline: Date.now() + this.timeout, command: args[0], reject }
      this.pending.add(pending)
      this.watch()
      const settle = (fn: () => void) => {
        if (this.pending.delete(pending)) fn()
      }
      let answer: Promise<unknown>
      try {
        answer = this.command(args)
      } catch (err) {
        return settle(() => reject(err))
      }
      answer.then(
        (value) => settle(() => resolve(value)),
        (err) => settle(() => reject(err))
      )
    })
  }

  // One unref'd timer checks every pending command's deadline: cheaper than a
  // timer per command, at the price of up to half a timeout of lateness.
  private watch(): void {
    if (this.watcher) return
    this.watcher = setInterval(() => {
      const now = Date.now()
      for (const pending of this.pending) {
        if (pending.deadline > now) continue
        this.pending.delete(pending)
        const err = new Error(`RedisStore: Redis did not answer ${pending.command} within ${this.timeout} ms`) as Error & { code: string }
        err.code = 'ETIMEDOUT'
        pending.reject(err)
      }
      if (this.pending.size === 0) {
        clearInterval(this.watcher)
        this.watcher = undefined
      }
    }, Math.max(10, Math.floor(this.timeout / 2)))
    this.watcher.unref?.()
  }
}

interface Pending {
  deadline: number
  command: string
  reject(err: Error): void
}

;(RedisStore.prototype as any)[PROMISE_API] = true

function noop(): void {}

// ioredis also has a `sendCommand`, taking a Command object: test `call` first.
function commandOf(client: any): Command {
  if (typeof client.call === 'function') return ([name, ...args]) => client.call(name, ...args)
  if (typeof client.sendCommand === 'function') return (args) => client.sendCommand(args)
  if (typeof client.send === 'function') return ([name, ...args]) => client.send(name, args)
  throw new TypeError('RedisStore: unsupported client (expected node-redis, ioredis or Bun RedisClient)')
}
