import { createRequire } from 'module'
import path from 'path'
import { attempt, settle, type Callback } from '../lib/callback'
import { debug } from '../lib/debug'
import { checkSid, expiryOf, serializeError } from '../lib/record'
import { Store } from '../lib/store'
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

/**
 * A client and how keys are kept, or, without `client`, where to connect:
 * the store then makes its own client (Bun's built-in one under Bun, else
 * the `redis` or `ioredis` package the app has installed) and `close()`
 * closes it.
 */
export interface RedisStoreOptions {
  /** A client: node-redis (connected), ioredis or Bun's RedisClient. The store never closes it. */
  client?: RedisClientLike
  /** Where to connect when there is no `client`: default `REDIS_URL`, else `redis://localhost:6379`. */
  url?: string
  /** Host, when there is no `client` nor `url` (bun-server's settings; default `localhost`). */
  host?: string
  port?: number
  username?: string
  password?: string
  /** Database number. */
  db?: number
  /** Key prefix (default `sess:`, as connect-redis). */
  prefix?: string
  /** bun-server's name for `prefix`. */
  keyPrefix?: string
  /** Lifetime in seconds of sessions whose cookie has no expiry (default 86400, as connect-redis). */
  ttl?: number
  /** How long a command may take before it fails, in ms (default 2000). */
  timeout?: number
  /** Keys asked for per SCAN call (default 100). */
  scanCount?: number
}

/** bun-router's spelling: `redisStore({ client, prefix, ttl })`, or `redisStore({ prefix, ttl })` with a client of its own. */
export function redisStore(options: RedisStoreOptions = {}): RedisStore {
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
  /** A client this store made (and so closes), else `undefined`. */
  private readonly ownClient: OwnClient | undefined

  constructor(options: RedisStoreOptions = {}) {
    super()
    options = options || {}
    if (options.client) this.command = commandOf(options.client)
    else {
      this.ownClient = connect(options)
      this.command = this.ownClient.command
    }
    this.prefix = options.prefix ?? options.keyPrefix ?? 'sess:'
    this.ttl = options.ttl && options.ttl > 0 ? options.ttl : 86400
    this.deadlines = new Deadlines(options.timeout && options.timeout > 0 ? options.timeout : 2000)
    this.scanCount = options.scanCount && options.scanCount > 0 ? options.scanCount : 100
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

  destroy(sid: string, callback?: Callback): Promise<void> {
    return settle(attempt(() => this.run(['DEL', this.key(sid)], noop)), callback)
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

  /** Close the client this store made; a client it was given is left alone. */
  close(callback?: Callback): Promise<void> {
    return settle(attempt(() => this.ownClient?.close()), callback)
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

/** sessionware's own name for bun-server users: `new RedisSessionStore({ host, port, keyPrefix, ttl })`. */
export const RedisSessionStore = RedisStore
export type RedisSessionStore = RedisStore

interface OwnClient {
  command: Command
  close(): Promise<void>
}

/** The URL for a store's own client: `url`, else one from the settings, else `REDIS_URL`, else localhost. */
export function redisUrl(options: RedisStoreOptions): string {
  if (options.url) return options.url
  const { host, port, username, password, db } = options
  if (host === undefined && port === undefined && password === undefined && db === undefined && username === undefined) {
    return process.env.REDIS_URL || 'redis://localhost:6379'
  }
  const auth = password !== undefined ? `${encodeURIComponent(username ?? '')}:${encodeURIComponent(password)}@` : username ? `${encodeURIComponent(username)}@` : ''
  const hostname = host ?? 'localhost'
  return `redis://${auth}${hostname.includes(':') ? `[${hostname}]` : hostname}:${port ?? 6379}${db ? `/${db}` : ''}`
}

/**
 * Make a client: Bun's built-in RedisClient under Bun; under Node the
 * `redis` package, else `ioredis`, as installed by the app (optional peers,
 * never dependencies of sessionware).
 */
function connect(options: RedisStoreOptions): OwnClient {
  const url = redisUrl(options)
  if (process.versions.bun) {
    const { RedisClient } = load('bun')
    const client = new RedisClient(url)
    return { command: commandOf(client), close: async () => client.close() }
  }
  const redis = tryLoad('redis')
  if (redis && typeof redis.createClient === 'function') {
    const client = redis.createClient({ url })
    // An 'error' event with no listener would crash the process; commands fail (or time out) instead.
    client.on('error', (err: Error) => debug('redis client error: %s', err.message))
    const ready: Promise<unknown> = client.connect()
    ready.catch(() => {})
    return {
      command: (args) => ready.then(() => client.sendCommand(args)),
      // A client still trying to connect (Redis down) would never let quit() finish: disconnect it.
      close: async () => {
        if (client.isReady) await client.quit()
        else if (client.isOpen) await client.disconnect().catch(() => {})
      }
    }
  }
  const IORedis = tryLoad('ioredis')
  if (IORedis) {
    const Client = IORedis.default || IORedis.Redis || IORedis
    const client = new Client(url)
    client.on('error', (err: Error) => debug('ioredis client error: %s', err.message))
    return {
      command: commandOf(client),
      close: async () => {
        if (client.status === 'ready') await client.quit()
        else client.disconnect()
      }
    }
  }
  throw new TypeError(
    'RedisStore: no Redis client. Pass a connected client ({ client }), or install the `redis` or `ioredis` package ' +
      '(npm install redis) so that the store can connect by itself; under Bun, its built-in client is used.'
  )
}

/** A package as the app has it installed: from sessionware's place, else from the working directory. */
function tryLoad(name: string): any {
  try {
    return load(name)
  } catch (err: any) {
    if (err && err.code !== 'MODULE_NOT_FOUND' && err.code !== 'ERR_MODULE_NOT_FOUND') throw err
    try {
      return createRequire(path.join(process.cwd(), 'package.json'))(name)
    } catch {
      return undefined
    }
  }
}

function load(name: string): any {
  return require(name)
}

// ioredis also has a `sendCommand`, taking a Command object: test `call` first.
function commandOf(client: any): Command {
  if (typeof client.call === 'function') return ([name, ...args]) => client.call(name, ...args)
  if (typeof client.sendCommand === 'function') return (args) => client.sendCommand(args)
  if (typeof client.send === 'function') return ([name, ...args]) => client.send(name, args)
  throw new TypeError('RedisStore: unsupported client (expected node-redis, ioredis or Bun RedisClient)')
}
