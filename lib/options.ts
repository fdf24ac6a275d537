import { FileStore } from '../stores/file'
import { MemoryStore } from '../stores/memory'
import { RedisStore } from '../stores/redis'
import { sessionIdGenerator } from './core/session-id'
import type { Secret } from './core/signature'
import type { CookieOptions, OnSaveError, SessionOptions, SessionStoreLike } from './types'

/** Every option `session()` reads. */
// A frozen array, not a Set: Object.freeze does not stop a Set's add().
const KNOWN: readonly string[] = Object.freeze([
  'secret', 'cookie', 'genid', 'name', 'key', 'proxy', 'resave', 'rolling', 'saveUninitialized', 'store', 'unset', 'onSaveError',
  'maxAge', 'httpOnly', 'secure', 'sameSite', 'domain', 'path', 'driver', 'lifetime', 'files', 'redis',
  'autoCommit', 'renew', 'renewAfter', 'renewGrace', 'storeTtl',
  'idleTimeout', 'absoluteTimeout', 'storeTimeout', 'userKey', 'maxSessionsPerUser',
  'serialize', 'maxRequestTime'
])

/** Options of the Bun session libraries that mean nothing here, and why. */
const MEANINGLESS: Readonly<Record<string, string>> = Object.freeze({
  id: "the session ID comes from the request's cookie; for a session by ID outside a request use SessionService#get(id)"
})

/** The cookie attributes that may also be given at the top level (bun-router, bun-server, ts-auth). */
const TOP_LEVEL_COOKIE = Object.freeze(['maxAge', 'httpOnly', 'secure', 'sameSite', 'domain', 'path'] as const)

/** Options after defaults and validation; the user's object is never changed. */
export interface ResolvedOptions {
  cookie: CookieOptions | ((req: any) => CookieOptions)
  genid: (req: any) => string
  name: string
  /** Unset: the adapter's default (see `SessionOptions.onSaveError`). */
  onSaveError: OnSaveError | undefined
  proxy: boolean | undefined
  resave: boolean
  rolling: boolean
  saveUninitialized: boolean
  /** Undefined when the secret comes from `req.secret` (cookie-parser). */
  secrets: Secret[] | undefined
  store: SessionStoreLike
  unsetDestroy: boolean
  /** `false`: the app saves with `req.session.save()`; nothing happens at the end of the request. */
  autoCommit: boolean
  /** `renewAfter` when `renew` is on, else `undefined`. */
  renewAfter: number | undefined
  renewGrace: number
  /** The unit promise stores get their lifetime in. */
  storeTtl: 'ms' | 'seconds'

  idleTimeout: number | undefined
  absoluteTimeout: number | undefined
  /** `false`: no bound. */
  storeTimeout: number | false
  userKey: string | undefined
  maxSessionsPerUser: number | undefined
  /** Whether records carry lifetime metadata (lib/core/meta.ts): any of the timeouts, or `userKey`. */
  tracksMeta: boolean

  /** `serialize`: the longest wait in ms, or 0 for no serialization. */
  serializeWait: number
  maxRequestTime: number
}

/** Apply express-session's defaults, with its validation and error messages. */
export function resolveOptions(options: SessionOptions = {}): ResolvedOptions {
  const opts = options || {}
  const genid = opts.genid || sessionIdGenerator()
  if (typeof genid !== 'function') throw new TypeError('genid option must be a function')

  warnUnknown(opts)
  // ts-auth names the cookie with `cookie: 'app_session'`.
  const cookieName = typeof opts.cookie === 'string' ? (opts.cookie as string) : undefined
  const cookie = topLevelCookie(opts, cookieName === undefined ? opts.cookie || {} : {})
  if (typeof cookie !== 'object' && typeof cookie !== 'function') {
    throw new TypeError('argument options must be a object')
  }

  let resave = opts.resave
  if (resave === undefined) {
    deprecate('undefined resave option; provide resave option')
    resave = true
  }

  let saveUninitialized = opts.saveUninitialized
  if (saveUninitialized === undefined) {
    deprecate('undefined saveUninitialized option; provide saveUninitialized option')
    saveUninitialized = true
  }

  if (opts.unset && opts.unset !== 'destroy' && opts.unset !== 'keep') {
    throw new TypeError('unset option must be "destroy" or "keep"')
  }

  const name = opts.name || opts.key || cookieName || 'connect.sid'
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new TypeError(`argument name is invalid: ${name}`)

  const secret = opts.secret
  if (Array.isArray(secret) && secret.length === 0) {
    throw new TypeError('secret option array must contain one or more strings')
  }
  const secrets = secret ? (Array.isArray(secret) ? [...secret] : [secret]) : undefined
  if (secrets && !secrets.every(isSecret)) {
    throw new TypeError('secret option must be a non-empty string or Buffer, or an array of them')
  }
  if (!secrets) deprecate('req.secret; provide secret option')

  const onSaveError = opts.onSaveError
  if (onSaveError !== undefined && onSaveError !== 'respond' && onSaveError !== 'error') {
    throw new TypeError('onSaveError option must be "respond" or "error"')
  }

  const store = makeStore(opts)
  for (const method of ['get', 'set', 'destroy'] as const) {
    if (typeof (store as any)[method] !== 'function') {
      throw new TypeError(`store must implement ${method}(sid, ...)`)
    }
  }

  const idleTimeout = positive(opts.idleTimeout, 'idleTimeout')
  const absoluteTimeout = positive(opts.absoluteTimeout, 'absoluteTimeout')
  const storeTimeout = opts.storeTimeout === false ? false : (positive(opts.storeTimeout, 'storeTimeout') ?? 10_000)
  const userKey = opts.userKey
  if (userKey !== undefined && (typeof userKey !== 'string' || userKey === '' || userKey === 'cookie')) {
    throw new TypeError('userKey option must be the name of a session key (a non-empty string other than "cookie")')
  }
  const maxSessionsPerUser = positive(opts.maxSessionsPerUser, 'maxSessionsPerUser', 'a positive whole number')
  if (maxSessionsPerUser !== undefined && (!userKey || !Number.isInteger(maxSessionsPerUser))) {
    throw new TypeError('maxSessionsPerUser option must be a whole number, and needs the userKey option')
  }
  const serialize = opts.serialize
  const serializeWait = serialize === true ? 10_000 : serialize === false || serialize == null ? 0 : Number(serialize)
  if (!(serializeWait >= 0) || !Number.isFinite(serializeWait)) {
    throw new TypeError('serialize option must be true, false or a number of milliseconds')
  }
  const maxRequestTime = opts.maxRequestTime === undefined ? 60_000 : Number(opts.maxRequestTime)
  if (!(maxRequestTime > 0) || !Number.isFinite(maxRequestTime)) {
    throw new TypeError('maxRequestTime option must be a positive number of milliseconds')
  }

  return {
    idleTimeout,
    absoluteTimeout,
    storeTimeout,
    userKey,
    maxSessionsPerUser,
    tracksMeta: Boolean(idleTimeout || absoluteTimeout || userKey),
    cookie,
    genid,
    name,
    onSaveError,
    proxy: opts.proxy,
    resave: Boolean(resave),
    rolling: Boolean(opts.rolling),
    saveUninitialized: Boolean(saveUninitialized),
    secrets,
    store,
    unsetDestroy: opts.unset === 'destroy',
    autoCommit: opts.autoCommit !== false,
    renewAfter: opts.renew ? duration(opts.renewAfter, 3600_000, 'renewAfter') : undefined,
    renewGrace: duration(opts.renewGrace, 30_000, 'renewGrace'),
    storeTtl: storeTtl(opts.storeTtl),
    serializeWait,
    maxRequestTime
  }
}

function duration(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError(`${name} option must be a number of milliseconds, 0 or more`)
  }
  return value
}

function storeTtl(value: unknown): 'ms' | 'seconds' {
  if (value === undefined || value === 'ms') return 'ms'
  if (value === 'seconds') return 'seconds'
  throw new TypeError('storeTtl option must be "ms" or "seconds"')
}

/**
 * `cookie` with the top-level attributes (and ts-auth's `lifetime`, in
 * minutes) filled in where it does not set them; `cookie` itself when there
 * are none.
 */
function topLevelCookie(opts: SessionOptions, cookie: any): any {
  const defaults: Record<string, unknown> = {}
  let any = false
  for (const key of TOP_LEVEL_COOKIE) {
    if (opts[key] !== undefined) {
      defaults[key] = opts[key]
      any = true
    }
  }
  if (defaults.maxAge === undefined && opts.lifetime !== undefined) {
    if (typeof opts.lifetime !== 'number' || !(opts.lifetime > 0)) throw new TypeError('lifetime option must be a number of minutes')
    defaults.maxAge = opts.lifetime * 60_000
    any = true
  }
  if (!any) return cookie
  if (typeof cookie === 'function') return (req: any) => fillIn(defaults, cookie(req))
  if (typeof cookie !== 'object') return cookie
  return fillIn(defaults, cookie)
}

function fillIn(defaults: Record<string, unknown>, cookie: any): CookieOptions {
  const merged: Record<string, unknown> = { ...defaults }
  for (const key of Object.keys(cookie || {})) if (cookie[key] !== undefined) merged[key] = cookie[key]
  return merged as CookieOptions
}

/** The store: the one given, one made by name (`store`, or ts-auth's `driver`), or a new MemoryStore. */
function makeStore(opts: SessionOptions): SessionStoreLike {
  const store = opts.store ?? opts.driver
  if (opts.files !== undefined && store !== 'file') warn('option "files" is ignored: it configures store: \'file\' only')
  if (opts.redis !== undefined && store !== 'redis') warn('option "redis" is ignored: it configures store: \'redis\' only')
  if (store && typeof store === 'object') return store
  if (!store) return new MemoryStore()
  switch (store) {
    case 'memory':
      return new MemoryStore()
    case 'file':
      return new FileStore(opts.files)
    case 'redis':
      return new RedisStore(opts.redis || {})
    default:
      throw new TypeError(`store option must be a store, or "memory", "file" or "redis", not ${JSON.stringify(store)}`)
  }
}

/** One warning per option this call does not know: a misspelled or foreign option is never silent. */
function warnUnknown(opts: object): void {
  for (const key of Object.keys(opts)) {
    if (KNOWN.includes(key)) continue
    const reason = MEANINGLESS[key]
    const message = reason
      ? `option "${key}" has no meaning in sessionware and is ignored: ${reason}`
      : `unknown option "${key}" is ignored (see the README for sessionware's options)`
    warn(message)
  }
}

function warn(message: string): void {
  process.emitWarning(message, { type: 'Warning', code: 'SESSIONWARE_OPTION' })
}


function positive(value: unknown, name: string, what = 'a positive number of milliseconds'): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !(value > 0) || value === Infinity) throw new TypeError(`${name} option must be ${what}`)
  return value
}

function isSecret(secret: unknown): secret is Secret {
  return (typeof secret === 'string' || Buffer.isBuffer(secret)) && secret.length > 0
}

function deprecate(message: string): void {
  process.emitWarning(message, { type: 'DeprecationWarning', code: 'SESSIONWARE' })
}
