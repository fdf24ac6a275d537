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
  /** `serialize`: the longest wait in ms, or 0 for no serialization. */
  serializeWait: number
  maxRequestTime: number
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
    serializeWait,
    maxRequestTime
  }
}

function isSecret(secret: unknown): secret is Secret {
  return (typeof secret === 'string' || Buffer.isBuffer(secret)) && secret.length > 0
}

function deprecate(message: string): void {
  process.emitWarning(message, { type: 'DeprecationWarning', code: 'SESSIONWARE' })
}
