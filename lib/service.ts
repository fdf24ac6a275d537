import { attempt, settle, type Callback } from './callback'
import { Cookie, cookieFromRecord, setCookieLine } from './core/cookie'
import { writeMeta } from './core/meta'
import { isForward } from './core/renew'
import { Signer } from './core/signature'
import { SessionError } from './errors'
import { resolveOptions, type ResolvedOptions } from './options'
import { bridgeStore, type BridgedStore } from './store-bridge'
import type { CookieOptions, SessionOptions, SessionRecord } from './types'

/** What `SessionService#create` gives back. */
export interface CreatedSession {
  /** The new session's ID. */
  id: string
  /** The cookie's value, signed and encoded exactly as the middleware sends it. */
  cookie: string
  /** The whole `Set-Cookie` line the middleware would send for it. */
  setCookie: string
}

/** The data of a session and its `cookie`, as the store holds them. */
export type StoredSession = SessionRecord

/**
 * Sessions by ID, outside any request (bun-server's `SessionService`): the
 * records the middleware reads and writes, with its options and store.
 * `new SessionService(options)` takes `session()`'s options; `middleware.service`
 * shares a middleware's store and options. Every method takes an optional
 * callback and returns a promise.
 */
export class SessionService {
  readonly options: ResolvedOptions
  protected readonly store: BridgedStore
  private readonly signer: Signer | undefined

  /** `shared` is how `session()` hands over its own resolved options and store. */
  constructor(options?: SessionOptions, shared?: { options: ResolvedOptions; store: BridgedStore }) {
    this.options = shared ? shared.options : resolveOptions(options)
    this.store = shared ? shared.store : bridgeStore(this.options.store, this.options.storeTtl)
    this.signer = this.options.secrets && new Signer(this.options.secrets)
  }

  /**
   * Store a new session holding `data` (top-level keys), with the cookie the
   * middleware would give a new session, and return its ID and cookie: a
   * client that sends that cookie gets this session.
   */
  create(data: Record<string, unknown> = {}, callback?: Callback<CreatedSession>): Promise<CreatedSession> {
    const work = attempt(async () => {
      if (!this.signer) throw new SessionError('ENOSECRET', 'secret option required for SessionService#create')
      const req = {}
      const id = this.options.genid(req)
      const cookie = new Cookie(insecureRequest(this.cookieOptions(req)))
      if (this.options.renewAfter !== undefined) writeMeta(cookie, { issued: Date.now() })
      const record = { ...withoutCookie(data), cookie } as SessionRecord
      await this.store.set(id, record)
      const value = this.signer.cookieValue(id)
      return { id, cookie: value, setCookie: setCookieLine(this.options.name, value, cookie) }
    })
    return settle(work, callback)
  }

  /** The session's data and `cookie` as stored, or `null` when there is none. */
  get(id: string, callback?: Callback<StoredSession | null>): Promise<StoredSession | null> {
    return settle(
      attempt(() => this.find(id)),
      callback
    )
  }

  /** Merge `data` into the session's top-level keys, keeping its cookie and expiry. */
  update(id: string, data: Record<string, unknown>, callback?: Callback): Promise<void> {
    const work = attempt(async () => {
      const record = await this.existing(id)
      await this.store.set(id, { ...record, ...withoutCookie(data), cookie: record.cookie })
    })
    return settle(work, callback)
  }

  /** Give the session its full lifetime again, as a request would (`touch` when the store has it). */
  touch(id: string, callback?: Callback): Promise<void> {
    const work = attempt(async () => {
      const record = await this.existing(id)
      const cookie = cookieFromRecord(record.cookie)
      cookie.maxAge = cookie.originalMaxAge
      const touched = { ...record, cookie } as SessionRecord
      await (this.store.canTouch() ? this.store.touch(id, touched) : this.store.set(id, touched))
    })
    return settle(work, callback)
  }

  /** Remove the session: the next request with its cookie gets a new one. */
  destroy(id: string, callback?: Callback): Promise<void> {
    return settle(
      attempt(() => this.store.destroy(id)),
      callback
    )
  }

  protected async find(id: string): Promise<StoredSession | null> {
    if (typeof id !== 'string') throw new SessionError('EINVALIDSID', 'session id must be a string')
    const record = await this.store.get(id)
    return record && !isForward(record) ? record : null
  }

  private async existing(id: string): Promise<StoredSession> {
    const record = await this.find(id)
    if (!record) throw new SessionError('ESESSIONNOTFOUND', `no session ${JSON.stringify(id)}`)
    return record
  }

  private cookieOptions(req: object): CookieOptions {
    const cookie = this.options.cookie
    return (typeof cookie === 'function' ? cookie(req) : cookie) || {}
  }
}

// Outside a request, `'auto'` resolves as it would for a plain-HTTP request.
function insecureRequest(options: CookieOptions): CookieOptions {
  if (options.secure !== 'auto' && options.sameSite !== 'auto') return options
  return {
    ...options,
    secure: options.secure === 'auto' ? false : options.secure,
    sameSite: options.sameSite === 'auto' ? 'lax' : options.sameSite
  }
}

function withoutCookie(data: Record<string, unknown>): Record<string, unknown> {
  if (!data || typeof data !== 'object') throw new TypeError('session data must be an object')
  const { cookie: _cookie, ...rest } = data
  return rest
}
