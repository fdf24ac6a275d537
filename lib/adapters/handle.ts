import { cookieMeta, keepCreated } from '../core/meta'
import { afterCommit, SessionEngine, type RequestSession } from '../core/engine'
import { dataJson, type Session } from '../core/session'
import { SessionError } from '../errors'
import { resolveOptions } from '../options'
import type { SessionOptions, SessionStoreLike } from '../types'
import { FileStore } from '../../stores/file'
import { MemoryStore } from '../../stores/memory'
import { RedisStore, type RedisClientLike, type RedisStoreOptions } from '../../stores/redis'
import { FetchRequestView } from './fetch-view'

/**
 * ts-auth's session API (Laravel's, in TypeScript) on sessionware's engine:
 * `const session = await sessionMiddleware(request, config)`, then
 * `get/put/forget`, flash with `reflash/keep`, `save()` and
 * `getCookieHeader()`. Same cookie bytes and stored records as `session()`.
 */

/** ts-auth's session config. */
export interface SessionConfig {
  /** Signs the session cookie (required). Several: the first signs, all verify. */
  secret: string | Buffer | Array<string | Buffer>
  /** The cookie's name (default `connect.sid`, as `session()`, so both read one cookie). */
  cookie?: string
  /** Idle lifetime in minutes (default 120): the cookie and the stored record expire that long after the last save. */
  lifetime?: number
  path?: string
  domain?: string
  secure?: boolean | 'auto'
  /** Default `true`. */
  httpOnly?: boolean
  sameSite?: boolean | 'lax' | 'strict' | 'none'
  /** Where sessions live when no `store` is given: `'memory'` (default), `'file'` (in `files`) or `'redis'` (`client`, else `redis` settings, else `REDIS_URL`). */
  driver?: 'memory' | 'file' | 'redis'
  /** The directory of the `'file'` driver (default `./sessions`). */
  files?: string
  /** The `'redis'` driver's connected client: node-redis, ioredis or Bun's RedisClient. */
  client?: RedisClientLike
  /** The `'redis'` driver's key prefix (default `sess:`). */
  prefix?: string
  /**
   * The `'redis'` driver's connection settings when there is no `client`
   * (`url`, `host`, `port`, `password`, `db`, `keyPrefix`, `ttl`): as
   * `new RedisStore(settings)`; by default `REDIS_URL`, else `redis://localhost:6379`.
   */
  redis?: RedisStoreOptions
  /** Any session store (overrides `driver`). */
  store?: SessionStoreLike
}

/** A request's session, as ts-auth hands it out. */
export interface SessionHandle {
  /** The session ID. */
  getId(): string
  /** A value by key or dot path (`'user.name'`, `'_flash.success'`), else `fallback`. */
  get<T = any>(key: string, fallback?: T): T
  /** Set a value by key or dot path, or several from an object. */
  put(key: string | Record<string, unknown>, value?: unknown): void
  /** Remove values by key or dot path. */
  forget(keys: string | string[]): void
  /** Whether a value is set and not null. */
  has(key: string): boolean
  /** A copy of all the session's data. */
  all(): Record<string, any>
  /** A value readable (as `_flash.<key>`) during this request and the next one only. */
  flash(key: string, value: unknown): void
  /** Keep every flash value of the previous request for one more request. */
  reflash(): void
  /** Keep these flash values of the previous request for one more request. */
  keep(keys: string | string[]): void
  /** A new session ID, the data kept; the old record is removed. */
  regenerate(): Promise<void>
  /** A new session ID and no data; the old record is removed. */
  invalidate(): Promise<void>
  /** Write the session to the store and prepare its cookie, as `session()` would at the end of a response. */
  save(): Promise<void>
  /** `{ 'Set-Cookie': line }` after `save()` when a cookie is due, else `{}`: for `new Response(body, { headers })`. */
  getCookieHeader(): Record<string, string>
  /** The `Set-Cookie` line after `save()` when a cookie is due, else `''`. */
  getCookieString(): string
}

/** Opens the session handle of one request. */
export type SessionHandles = (request: Request) => Promise<SessionHandle>

const HANDLES = Symbol('sessionware.handles')
const FLASH = '_flash'

/**
 * `await sessionMiddleware(request, config)`: the request's session handle.
 * Handles opened with the same config object share one engine and store:
 * they are kept on the config object itself (a non-enumerable property
 * under a symbol of this module) rather than in a process-wide registry.
 */
export function sessionMiddleware(request: Request, config: SessionConfig): Promise<SessionHandle> {
  let handles = config != null ? ((config as any)[HANDLES] as SessionHandles | undefined) : undefined
  if (handles === undefined) {
    if (config == null || typeof config !== 'object') throw new TypeError('sessionMiddleware(request, config): config must be an object')
    if (!Object.isExtensible(config)) {
      throw new TypeError('sessionMiddleware: the config object is frozen, so it cannot keep its store; use sessionHandles(config) once instead')
    }
    handles = sessionHandles(config)
    Object.defineProperty(config, HANDLES, { value: handles })
  }
  return handles(request)
}

/** One engine and store for `config`; the returned function opens a request's handle. */
export function sessionHandles(config: SessionConfig): SessionHandles {
  const engine = new SessionEngine(resolveOptions(optionsOf(config)))
  return (request) => open(engine, request)
}

function optionsOf(config: SessionConfig): SessionOptions {
  if (!config || !config.secret) {
    throw new SessionError('ENOSECRET', 'sessionMiddleware: config.secret is required (the key that signs the session cookie)')
  }
  if (config.cookie !== undefined && typeof config.cookie !== 'string') {
    throw new TypeError("sessionMiddleware: config.cookie is the cookie's name, a string")
  }
  const lifetime = config.lifetime === undefined ? 120 : config.lifetime
  if (lifetime !== null && (typeof lifetime !== 'number' || !(lifetime >= 0))) {
    throw new TypeError('sessionMiddleware: config.lifetime is a number of minutes')
  }
  const cookie: Record<string, unknown> = { httpOnly: config.httpOnly !== false }
  if (lifetime) cookie.maxAge = lifetime * 60_000
  for (const key of ['path', 'domain', 'secure', 'sameSite'] as const) {
    if (config[key] !== undefined) cookie[key] = config[key]
  }
  return {
    // Keys a handle's config does not know go through, so that session()'s warning names them.
    ...unknownKeys(config),
    secret: config.secret,
    name: config.cookie,
    cookie,
    store: config.store || storeOf(config),
    // Laravel's lifetime is an idle one: every saved response carries the cookie again.
    rolling: true,
    resave: false,
    saveUninitialized: false
  }
}

const CONFIG_KEYS: readonly string[] = Object.freeze([
  'secret', 'cookie', 'lifetime', 'path', 'domain', 'secure', 'httpOnly', 'sameSite', 'driver', 'files', 'client', 'prefix', 'redis', 'store'
])

function unknownKeys(config: SessionConfig): Record<string, unknown> {
  const unknown: Record<string, unknown> = {}
  for (const key of Object.keys(config)) if (!CONFIG_KEYS.includes(key)) unknown[key] = (config as any)[key]
  return unknown
}

function storeOf(config: SessionConfig): SessionStoreLike {
  const driver = config.driver || 'memory'
  if (driver === 'memory') return new MemoryStore()
  if (driver === 'file') return new FileStore({ path: config.files })
  if (driver === 'redis') {
    const settings = { ...config.redis }
    if (config.client) settings.client = config.client
    if (config.prefix !== undefined) settings.prefix = config.prefix
    return new RedisStore(settings)
  }
  throw new TypeError(`sessionMiddleware: unknown driver ${JSON.stringify(driver)} (use 'memory', 'file', 'redis' or a store)`)
}

async function open(engine: SessionEngine, request: Request): Promise<SessionHandle> {
  // The engine's carrier: it sets `session`, `sessionID` and `sessionStore` here.
  const carrier: { raw: Request; session?: Session } = { raw: request }
  const state = await engine.start(carrier, new FetchRequestView(request))
  return new Handle(carrier, state)
}

class Handle implements SessionHandle {
  readonly #carrier: { session?: Session }
  readonly #state: RequestSession | undefined
  /** Flash keys of the previous request (dropped at save) and of this one (kept). */
  #oldFlash: Set<string>
  readonly #newFlash = new Set<string>()
  #committed = false
  #cookie = ''

  constructor(carrier: { session?: Session }, state: RequestSession | undefined) {
    this.#carrier = carrier
    this.#state = state
    // Outside the cookie's path, or with the store disconnected: a session that is never stored.
    if (!carrier.session) carrier.session = {} as Session
    const flashed = (carrier.session as any)[FLASH]
    this.#oldFlash = new Set(isObject(flashed) ? Object.keys(flashed) : [])
  }

  get #data(): any {
    return this.#carrier.session
  }

  getId(): string {
    return this.#data.id
  }

  get<T = any>(key: string, fallback?: T): T {
    const value = lookup(this.#data, key)
    return (value === undefined ? fallback : value) as T
  }

  put(key: string | Record<string, unknown>, value?: unknown): void {
    if (isObject(key)) {
      for (const name of Object.keys(key)) this.put(name, key[name])
      return
    }
    const data = this.#data
    const parts = String(key).split('.')
    reserved(data, parts[0])
    let holder = data
    for (const part of parts.slice(0, -1)) {
      if (!isObject(holder[part])) holder[part] = {}
      holder = holder[part]
    }
    holder[parts[parts.length - 1]] = value
  }

  forget(keys: string | string[]): void {
    for (const key of Array.isArray(keys) ? keys : [keys]) {
      const parts = String(key).split('.')
      if (parts.length === 1 || Object.prototype.hasOwnProperty.call(this.#data, key)) {
        if (key !== 'cookie') delete this.#data[key]
        continue
      }
      const holder = lookup(this.#data, parts.slice(0, -1).join('.'))
      if (isObject(holder)) delete holder[parts[parts.length - 1]]
    }
  }

  has(key: string): boolean {
    return lookup(this.#data, key) != null
  }

  all(): Record<string, any> {
    const { cookie, ...data } = this.#data
    return data
  }

  flash(key: string, value: unknown): void {
    const data = this.#data
    if (!isObject(data[FLASH])) data[FLASH] = {}
    data[FLASH][key] = value
    this.#newFlash.add(key)
  }

  reflash(): void {
    for (const key of this.#oldFlash) this.#newFlash.add(key)
  }

  keep(keys: string | string[]): void {
    for (const key of Array.isArray(keys) ? keys : [keys]) if (this.#oldFlash.has(key)) this.#newFlash.add(key)
  }

  async regenerate(): Promise<void> {
    const session = this.#data
    if (!this.#state) return
    const { cookie, ...data } = JSON.parse(dataJson(session))
    await session.regenerate()
    Object.assign(this.#data, data)
    // The same session under a new ID: absoluteTimeout still counts from its creation.
    if (cookieMeta(session.cookie)) keepCreated(session.cookie, this.#data.cookie)
  }

  async invalidate(): Promise<void> {
    if (!this.#state) {
      this.#carrier.session = {} as Session
    } else {
      await this.#data.regenerate()
    }
    this.#oldFlash = new Set()
    this.#newFlash.clear()
  }

  async save(): Promise<void> {
    this.#ageFlash()
    if (!this.#state) return
    if (this.#committed) return this.#data.save()
    this.#committed = true
    const commit = this.#state.commit()
    const problem = await afterCommit(commit, (problem) => problem)
    if (problem !== undefined) throw problem
    this.#cookie = commit.cookie || ''
  }

  getCookieHeader(): Record<string, string> {
    return this.#cookie ? { 'Set-Cookie': this.#cookie } : {}
  }

  getCookieString(): string {
    return this.#cookie
  }

  /** Laravel's ageing: flash values of the previous request go, unless kept. */
  #ageFlash(): void {
    const data = this.#data
    const flashed = data[FLASH]
    if (!isObject(flashed)) return
    for (const key of Object.keys(flashed)) if (!this.#newFlash.has(key)) delete flashed[key]
    if (Object.keys(flashed).length === 0) delete data[FLASH]
    this.#oldFlash = new Set()
  }
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A key, else a dot path; the cookie is not data. */
function lookup(data: any, key: string): any {
  if (key === 'cookie') return undefined
  if (Object.prototype.hasOwnProperty.call(data, key)) return data[key]
  let value = data
  for (const part of String(key).split('.')) {
    if (!isObject(value) || !Object.prototype.hasOwnProperty.call(value, part) || (value === data && part === 'cookie')) return undefined
    value = value[part]
  }
  return value
}

/** The session's own API (`cookie`, `id`, `save`, `flash`...) cannot be data. */
function reserved(data: any, key: string): void {
  if (key === 'cookie' || (key in data && !Object.prototype.hasOwnProperty.call(data, key))) {
    throw new TypeError(`session.put: "${key}" is a name of the session's own API, not a data key`)
  }
}
