import { createHash, randomBytes } from 'crypto'
import { createRequire } from 'module'
import path from 'path'
import { attempt, settle, type Callback } from '../lib/callback'
import { patchCookieJson } from '../lib/core/changes'
import { recordMeta } from '../lib/core/meta'
import { debug } from '../lib/debug'
import { Deadlines } from '../lib/deadlines'
import { checkSid, expiryOf, serializeError } from '../lib/record'
import { Store } from '../lib/store'
import type { MergeOutcome, SessionPatch, SessionRecord } from '../lib/types'
import { MERGE_SCRIPT, RELEASE_SCRIPT } from './redis-scripts'

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
  /**
   * Key prefix of the user index (`userKey`): one set of session IDs per
   * user, expiring with the longest-lived of them. Default: `prefix` with
   * `-users:` for its trailing `:` (`sess-users:`), outside the sessions' keys.
   */
  userPrefix?: string
  /**
   * Fail fast while Redis is down: after `failures` commands in a row timed
   * out or failed to reach Redis, every command fails at once with
   * `ESTOREUNAVAILABLE` for `cooldown` ms; then one command tries Redis
   * again, and its success lets all through. Default `{ failures: 3, cooldown: 1000 }`;
   * `false` turns it off (every command then waits up to `timeout`).
   */
  breaker?: { failures?: number; cooldown?: number } | false
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
  readonly userPrefix: string
  private readonly deadlines: Deadlines
  /** A client this store made (and so closes), else `undefined`. */
  private readonly ownClient: OwnClient | undefined
  private readonly breaker: Breaker | undefined
  readonly tombstonePrefix: string
  readonly leasePrefix: string
  private readonly tombstoneMs: number

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
    this.userPrefix = options.userPrefix ?? this.prefix.replace(/:?$/, '-users:')
    if (options.breaker !== false) {
      const { failures = 3, cooldown = 1000 } = options.breaker || {}
      this.breaker = new Breaker(Math.max(1, failures), Math.max(0, cooldown))
    }
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
      if (ttl <= 0) return this.destroy(sid)
      const user = recordMeta(session)?.user
      if (user === undefined) return this.run(['SET', key, json, 'EX', String(ttl)], noop)
      // The record and its user index entry, in one round trip.
      return this.script(SET_LINKED, [key, this.userPrefix + user], [json, String(ttl), sid]).then(noop)
    })
    return settle(work, callback)
  }

  /**
   * Remove a session and its entry in the user index (read from the record inside Redis), and
   * remember its ID as gone for `tombstoneMs`: one script.
   */
  destroy(sid: string, callback?: Callback): Promise<void> {
    const work = attempt(() =>
      this.script(DESTROY_LINKED, [this.key(sid), this.tombstonePrefix + sid], [this.userPrefix, sid, String(this.tombstoneMs)]).then(noop)
    )
    return settle(work, callback)
  }

  /**
   * Apply a request's changes to the record as stored now, in one round trip: a
   * server-side script splices the changed top-level keys into the stored JSON
   * (other keys keep their bytes). A missing record is stored whole, unless
   * the ID was destroyed within `tombstoneMs` (`'gone'`). A record that names
   * a user is linked to the user index in the same step.
   */
  merge(sid: string, patch: SessionPatch, callback?: Callback<MergeOutcome>): Promise<MergeOutcome> {
    const work = attempt((): Promise<MergeOutcome> => {
      const key = this.key(sid)
      let whole: string
      const args: string[] = []
      try {
        whole = JSON.stringify(patch.record)
        args.push('', patchCookieJson(patch.cookie), whole, String(Object.keys(patch.set).length), sid)
        for (const name of Object.keys(patch.set)) args.push(JSON.stringify(name), JSON.stringify(patch.set[name]) ?? 'null')
        for (const name of patch.unset) args.push(JSON.stringify(name))
      } catch (err) {
        throw serializeError(sid, err)
      }
      const ttl = this.ttlOf(patch.record)
      // An already expired session is removed rather than stored, as set does (index entry and tombstone too).
      if (ttl <= 0) return this.destroy(sid).then(() => 'merged' as const)
      args[0] = String(ttl)
      // The user index (userKey) follows the record's user: linked by the same script, as set and touch link it.
      const user = recordMeta(patch.record)?.user
      const keys = [key, this.tombstonePrefix + sid]
      if (user !== undefined) keys.push(this.userPrefix + user)
      return this.script<MergeOutcome>(MERGE, keys, args)
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
    const work = attempt(() => this.script(RELEASE, [this.leasePrefix + (checkSid(sid), sid)], [token]).then(noop))
    return settle(work, callback)
  }

  /** Refresh the expiry only: an EXPIRE, never a rewrite of the data (and the user index's expiry with it). */
  touch(sid: string, session: SessionRecord, callback?: Callback): Promise<void> {
    const work = attempt(() => {
      const key = this.key(sid)
      const ttl = String(Math.max(1, this.ttlOf(session)))
      const user = recordMeta(session)?.user
      if (user === undefined) return this.run(['EXPIRE', key, ttl], noop)
      return this.script(TOUCH_LINKED, [key, this.userPrefix + user], [ttl, sid]).then(noop)
    })
    return settle(work, callback)
  }

  /**
   * The live sessions of `user` (the record's `cookie.sessionware.user`),
   * keyed by session ID: the members of the user's set, each checked against
   * its record; members whose session is gone or changed user are removed.
   */
  userSessions(user: string, callback?: Callback<Record<string, SessionRecord>>): Promise<Record<string, SessionRecord>> {
    const work = attempt(async () => {
      const setKey = this.userPrefix + user
      const ids = ((await this.run(['SMEMBERS', setKey])) as unknown[]).map(String)
      const result: Record<string, SessionRecord> = Object.create(null)
      const stale: string[] = []
      for (let i = 0; i < ids.length; i += this.scanCount) {
        const batch = ids.slice(i, i + this.scanCount)
        const values = (await this.run(['MGET', ...batch.map((sid) => this.prefix + sid)])) as unknown[]
        batch.forEach((sid, index) => {
          const record = values[index] ? parseRecord(values[index]) : null
          if (record && recordMeta(record)?.user === user) result[sid] = record
          else stale.push(sid)
        })
      }
      if (stale.length) await this.run(['SREM', setKey, ...stale])
      return result
    })
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

  /** Remove every session under this store's prefix, and the user index. */
  clear(callback?: Callback): Promise<void> {
    const work = Promise.all([this.keys(), this.keys(this.userPrefix)]).then(async ([sessions, users]) => {
      const keys = [...sessions, ...users]
      for (let i = 0; i < keys.length; i += this.scanCount) await this.run(['DEL', ...keys.slice(i, i + this.scanCount)])
    })
    return settle(work, callback)
  }

  /** Close the client this store made; a client it was given is left alone. */
  close(callback?: Callback): Promise<void> {
    return settle(attempt(() => this.ownClient?.close()), callback)
  }

  /** Run a script by its SHA-1 (EVALSHA); Redis without it cached (a restart, SCRIPT FLUSH) gets its source once. */
  private script<T = unknown>(script: Script, keys: string[], args: string[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args]
    return this.run<T>(['EVALSHA', script.sha, ...tail]).catch((err) => {
      if (!/NOSCRIPT/.test(String(err && err.message))) throw err
      return this.run<T>(['EVAL', script.source, ...tail])
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
  private async keys(prefix = this.prefix): Promise<string[]> {
    const pattern = prefix.replace(/[*?[\]\\]/g, '\\$&') + '*'
    const keys = new Set<string>()
    let cursor = '0'
    do {
      const [next, batch] = (await this.run(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(this.scanCount)])) as [unknown, unknown[]]
      cursor = String(next)
      for (const key of batch) {
        const name = String(key)
        // With a prefix that covers them (an empty one, or one without a trailing colon), tombstones,
        // leases and the user index are no sessions.
        if (name.startsWith(this.tombstonePrefix) || name.startsWith(this.leasePrefix)) continue
        if (name.startsWith(this.userPrefix) && !prefix.startsWith(this.userPrefix)) continue
        keys.add(name)
      }
    } while (cursor !== '0')
    return [...keys]
  }

  /**
   * One command, failing with `ETIMEDOUT` when Redis does not answer in time.
   * `map` turns the reply into the result in the same step (a promise hop less per request).
   */
  private run<T = unknown>(args: string[], map?: (reply: unknown) => T): Promise<T> {
    const breaker = this.breaker
    if (breaker && !breaker.allow()) return Promise.reject(breaker.error())
    return new Promise<T>((resolve, reject) => {
      const pending = this.deadlines.add(() => {
        breaker?.failed()
        reject(timeoutError(args[0], this.deadlines.timeout))
      })
      let answer: Promise<unknown>
      try {
        answer = this.command(args)
      } catch (err) {
        this.deadlines.remove(pending)
        breaker?.failed()
        return reject(err)
      }
      // After a timeout the promise is settled already, and a late answer changes nothing.
      answer.then(
        (reply) => {
          if (!pending.linked) return
          this.deadlines.remove(pending)
          breaker?.answered()
          try {
            resolve(map ? map(reply) : (reply as T))
          } catch (err) {
            reject(err)
          }
        },
        (err) => {
          if (!pending.linked) return
          this.deadlines.remove(pending)
          // An error Redis replied with (a wrong type, a script error) says Redis is up.
          if (isReplyError(err)) breaker?.answered()
          else breaker?.failed()
          reject(err)
        }
      )
    })
  }
}

/**
 * Whether Redis is reachable, judged by the last commands: `failures` in a
 * row that timed out or could not reach it open the breaker, and commands
 * fail at once; after `cooldown` one command goes through as a probe, and
 * its answer closes the breaker again.
 */
class Breaker {
  private failures = 0
  private openUntil = 0
  private probing = false

  constructor(
    private readonly threshold: number,
    private readonly cooldown: number
  ) {}

  allow(): boolean {
    if (this.failures < this.threshold) return true
    if (this.probing || performance.now() < this.openUntil) return false
    this.probing = true
    return true
  }

  answered(): void {
    this.failures = 0
    this.probing = false
  }

  failed(): void {
    this.failures++
    this.probing = false
    if (this.failures >= this.threshold) this.openUntil = performance.now() + this.cooldown
  }

  error(): Error {
    const err = new Error(
      `RedisStore: Redis is unreachable (${this.failures} commands in a row timed out or failed); failing fast, trying again every ${this.cooldown} ms`
    ) as Error & { code: string }
    err.code = 'ESTOREUNAVAILABLE'
    return err
  }
}

// node-redis's ErrorReply, ioredis's ReplyError, Bun's RedisError with a reply: Redis answered.
function isReplyError(err: any): boolean {
  return Boolean(err) && (err.name === 'ErrorReply' || err.name === 'ReplyError' || /^(ERR|WRONGTYPE|NOSCRIPT|BUSY|OOM|READONLY) /.test(String(err.message)))
}

interface Script {
  readonly source: string
  readonly sha: string
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

// KEYS: the session, the user's set. ARGV: the record's JSON, its TTL (s), its ID.
// The set lives as long as its longest-lived session.
const SET_LINKED = Object.freeze(script(`redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1`))

// KEYS: the session, the user's set. ARGV: the TTL (s), the session's ID.
const TOUCH_LINKED = Object.freeze(script(`if redis.call('EXPIRE', KEYS[1], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[2], ARGV[2])
  if redis.call('TTL', KEYS[2]) < tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
end
return 1`))

// KEYS: the session, its tombstone. ARGV: the user index's prefix, the session's ID, the
// tombstone's life in ms (0: none). Only a record that names a user is decoded.
const DESTROY_LINKED = Object.freeze(script(`local raw = redis.call('GET', KEYS[1])
if raw and string.find(raw, '"sessionware"', 1, true) then
  local ok, record = pcall(cjson.decode, raw)
  if ok and type(record) == 'table' and type(record.cookie) == 'table' and type(record.cookie.sessionware) == 'table' then
    local user = record.cookie.sessionware.user
    if type(user) == 'string' then redis.call('SREM', ARGV[1] .. user, ARGV[2]) end
  end
end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) end
return redis.call('DEL', KEYS[1])`))

const MERGE = Object.freeze(script(MERGE_SCRIPT))
const RELEASE = Object.freeze(script(RELEASE_SCRIPT))

function noop(): void {}

function timeoutError(command: string, timeout: number): Error {
  const err = new Error(`RedisStore: Redis did not answer ${command} within ${timeout} ms`) as Error & { code: string }
  err.code = 'ETIMEDOUT'
  return err
}

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
