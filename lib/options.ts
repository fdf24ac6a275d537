import { MemoryStore } from '../stores/memory'
import { sessionIdGenerator } from './core/session-id'
import type { Secret } from './core/signature'
import type { CookieOptions, OnSaveError, SessionOptions, SessionStoreLike } from './types'

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
  idleTimeout: number | undefined
  absoluteTimeout: number | undefined
  /** `false`: no bound. */
  storeTimeout: number | false
  userKey: string | undefined
  maxSessionsPerUser: number | undefined
  /** Whether records carry lifetime metadata (lib/core/meta.ts): any of the timeouts, or `userKey`. */
  tracksMeta: boolean
}

/** Apply express-session's defaults, with its validation and error messages. */
export function resolveOptions(options: SessionOptions = {}): ResolvedOptions {
  const opts = options || {}
  const genid = opts.genid || sessionIdGenerator()
  if (typeof genid !== 'function') throw new TypeError('genid option must be a function')

  const cookie = opts.cookie || {}
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

  const name = opts.name || opts.key || 'connect.sid'
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

  const store = opts.store || new MemoryStore()
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
    unsetDestroy: opts.unset === 'destroy'
  }
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
