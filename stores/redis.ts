import { createHash, randomBytes } from 'crypto'
import { attempt, settle, type Callback } from '../lib/callback'
import { checkSid, expiryOf, serializeError } from '../lib/record'
import { Store } from '../lib/store'
import type { MergeOutcome, SessionPatch, SessionRecord } from '../lib/types'
import { DESTROY_SCRIPT, MERGE_SCRIPT, RELEASE_SCRIPT } from './redis-scripts'

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
  /**
   * How long a destroyed ID is remembered as gone, in ms (default 60 000): a key
   * `<tombstonePrefix><id>` with that expiry, and a later `merge` of the ID, from
   * any process, writes nothing.
   */
  tombstoneMs?: number
  /** Key prefix of tombstones (default `gone:` + prefix). */
  tombstonePrefix?: string
  /** Key prefix of `serialize` leases (default `lock:` + prefix). */
  leasePrefix?: string
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
  private readonly scanCount: number
  private readonly command: Command
  private readonly deadlines: Deadlines
  readonly tombstonePrefix: string
  readonly leasePrefix: string
  private readonly tombstoneMs: number
  /** SHA-1 of the merge and release scripts, for EVALSHA. */
  private readonly scriptIds = new Map<string, string>()

  constructor(options: RedisStoreOptions) {
    super()
    if (!options || !options.client) throw new TypeError('RedisStore needs a client: node-redis, ioredis or Bun RedisClient')
    this.command = commandOf(options.client)
    this.prefix = options.prefix ?? 'sess:'
    this.ttl = options.ttl && options.ttl > 0 ? options.ttl : 86400
    this.deadlines = new Deadlines(options.timeout && options.timeout > 0 ? options.timeout : 2000)
    this.scanCount = options.scanCount && options.scanCount > 0 ? options.scanCount : 100
    this.tombstonePrefix = options.tombstonePrefix ?? 'gone:' + this.prefix
    this.leasePrefix = options.leasePrefix ?? 'lock:' + this.prefix
    this.tombstoneMs = options.tombstoneMs === undefined ? 60_000 : Math.max(0, options.tombstoneMs)
  }

  get(sid: string, callback?: Callback<SessionRecord | null>): Promise<SessionRecord | null> {
    return settle(attempt(() => this.run(['GET', this.key(sid)], parseRecord)), callback)
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
      if (ttl <= 0) return this.run(['DEL', key], noop)
      return this.run(['SET', key, json, 'EX', String(ttl)], noop)
    })
    return settle(work, callback)
  }

  /** Remove a session; its ID is remembered as gone for `tombstoneMs` (one script: DEL and the tombstone's SET). */
  destroy(sid: string, callback?: Callback): Promise<void> {
    const work = attempt(() => {
      const key = this.key(sid)
      if (this.tombstoneMs <= 0) return this.run(['DEL', key], noop)
      return this.script(DESTROY_SCRIPT, [key, this.tombstonePrefix + sid], [String(this.tombstoneMs)]).then(noop)
    })
    return settle(work, callback)
  }

  /**
   * Apply a request's changes to the record as stored now, in one round trip: a
   * server-side script splices the changed top-level keys into the stored JSON
   * (other keys keep their bytes). A missing record is stored whole, unless
   * the ID was destroyed within `tombstoneMs` (`'gone'`).
   */
  merge(sid: string, patch: SessionPatch, callback?: Callback<MergeOutcome>): Promise<MergeOutcome> {
    const work = attempt((): Promise<MergeOutcome> => {
      const key = this.key(sid)
      let whole: string
      const args: string[] = []
      try {
        whole = JSON.stringify(patch.record)
        args.push('', JSON.stringify(patch.cookie), whole, String(Object.keys(patch.set).length))
        for (const name of Object.keys(patch.set)) args.push(JSON.stringify(name), JSON.stringify(patch.set[name]) ?? 'null')
        for (const name of patch.unset) args.push(JSON.stringify(name))
      } catch (err) {
        throw serializeError(sid, err)
      }
      const ttl = this.ttlOf(patch.record)
      // An already expired session is removed rather than stored, as set does.
      if (ttl <= 0) return this.run(['DEL', key], () => 'merged' as const)
      args[0] = String(ttl)
      return this.script(MERGE_SCRIPT, [key, this.tombstonePrefix + sid], args) as Promise<MergeOutcome>
    })
    return settle(work, callback)
  }

  /** `serialize` across processes: take the session's lease for `ms` (SET NX PX); a token, or null when it is held. */
  lease(sid: string, ms: number, callback?: Callback<string | null>): Promise<string | null> {
    const work = attempt(() => {
      const token = randomBytes(12).toString('base64url')
      const key = this.leasePrefix + (checkSid(sid), sid)
      return this.run(['SET', key, token, 'NX', 'PX', String(Math.max(1, Math.ceil(ms)))], (reply) => (reply ? token : null))
    })
    return settle(work, callback)
  }

  /** Give a lease back, if it is still the one `token` names (an expired lease may be someone else's now). */
  release(sid: string, token: string, callback?: Callback): Promise<void> {
    const work = attempt(() => this.script(RELEASE_SCRIPT, [this.leasePrefix + (checkSid(sid), sid)], [token]).then(noop))
    return settle(work, callback)
  }

  /** Refresh the expiry only: an EXPIRE, never a rewrite of the data. */
  touch(sid: string, session: SessionRecord, callback?: Callback): Promise<void> {
    const work = attempt(() => this.run(['EXPIRE', this.key(sid), String(Math.max(1, this.ttlOf(session)))], noop))
    return settle(work, callback)
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

  /** Run a script by its SHA-1 (EVALSHA), sending its text (EVAL) only when Redis does not know it yet. */
  private script(source: string, keys: string[], args: string[]): Promise<unknown> {
    let sha = this.scriptIds.get(source)
    if (!sha) this.scriptIds.set(source, (sha = createHash('sha1').update(source).digest('hex')))
    const tail = [String(keys.length), ...keys, ...args]
    return this.run(['EVALSHA', sha, ...tail]).catch((err) => {
      if (!/NOSCRIPT/.test(String(err && err.message))) throw err
      return this.run(['EVAL', source, ...tail])
    })
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
      for (const key of batch) {
        const name = String(key)
        // With a prefix that covers them (an empty one, say), tombstones and leases are no sessions.
        if (!name.startsWith(this.tombstonePrefix) && !name.startsWith(this.leasePrefix)) keys.add(name)
      }
    } while (cursor !== '0')
    return [...keys]
  }

  /**
   * One command, failing with `ETIMEDOUT` when Redis does not answer in time.
   * `map` turns the reply into the result in the same step (a promise hop less per request).
   */
  private run<T = unknown>(args: string[], map?: (reply: unknown) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = this.deadlines.add(args[0], reject)
      let answer: Promise<unknown>
      try {
        answer = this.command(args)
      } catch (err) {
        this.deadlines.remove(pending)
        return reject(err)
      }
      // After a timeout the promise is settled already, and a late answer changes nothing.
      answer.then(
        (reply) => {
          this.deadlines.remove(pending)
          try {
            resolve(map ? map(reply) : (reply as T))
          } catch (err) {
            reject(err)
          }
        },
        (err) => {
          this.deadlines.remove(pending)
          reject(err)
        }
      )
    })
  }
}

/** A command waiting for its reply. */
class Pending {
  prev: Pending | undefined
  next: Pending | undefined
  linked = true
  constructor(
    readonly deadline: number,
    readonly command: string,
    readonly reject: (err: Error) => void
  ) {}
}

/**
 * The commands awaiting a reply, oldest first. They share one timeout, so
 * they join in deadline order: adding and removing are O(1), and one unref'd
 * timer, armed for the front's deadline, rejects the expired ones from the
 * front. Cheaper than a timer (or a Set entry) per command.
 */
class Deadlines {
  private head: Pending | undefined
  private tail: Pending | undefined
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly timeout: number) {}

  add(command: string, reject: (err: Error) => void): Pending {
    const pending = new Pending(performance.now() + this.timeout, command, reject)
    if (this.tail) {
      this.tail.next = pending
      pending.prev = this.tail
    } else this.head = pending
    this.tail = pending
    if (!this.timer) this.watch()
    return pending
  }

  remove(pending: Pending): void {
    if (!pending.linked) return
    pending.linked = false
    if (pending.prev) pending.prev.next = pending.next
    else this.head = pending.next
    if (pending.next) pending.next.prev = pending.prev
    else this.tail = pending.prev
    pending.prev = pending.next = undefined
  }

  /**
   * Arm the timer for the front's deadline. A command answered before it is
   * not waited for: the timer fires for it anyway, finds it gone, and is armed
   * again for the new front, whose deadline is later (never a busy loop).
   */
  private watch(): void {
    this.timer = setTimeout(() => this.expire(), Math.max(0, this.head!.deadline - performance.now()))
    this.timer.unref?.()
  }

  private expire(): void {
    this.timer = undefined
    const now = performance.now()
    while (this.head && this.head.deadline <= now) {
      const expired = this.head
      this.remove(expired)
      const err = new Error(`RedisStore: Redis did not answer ${expired.command} within ${this.timeout} ms`) as Error & { code: string }
      err.code = 'ETIMEDOUT'
      expired.reject(err)
    }
    if (this.head) this.watch()
  }
}

function noop(): void {}

function parseRecord(raw: unknown): SessionRecord | null {
  return raw ? JSON.parse(String(raw)) : null
}

// ioredis also has a `sendCommand`, taking a Command object: test `call` first.
function commandOf(client: any): Command {
  if (typeof client.call === 'function') return ([name, ...args]) => client.call(name, ...args)
  if (typeof client.sendCommand === 'function') return (args) => client.sendCommand(args)
  if (typeof client.send === 'function') return ([name, ...args]) => client.send(name, args)
  throw new TypeError('RedisStore: unsupported client (expected node-redis, ioredis or Bun RedisClient)')
}
