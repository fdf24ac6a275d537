import { attempt, settle, type Callback } from './callback'
import { Cookie, cookieFromRecord, setCookieLine } from './core/cookie'
import { SessionEngine } from './core/engine'
import { META_KEY, readMeta, recordMeta, userOf, writeMeta } from './core/meta'
import { isForward } from './core/renew'
import { Signer } from './core/signature'
import { expiryReason } from './core/timeouts'
import { SessionError } from './errors'
import { resolveOptions, type ResolvedOptions } from './options'
import type { BridgedStore } from './store-bridge'
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

/** One session of a user, as `service.list` gives it. */
export interface UserSession {
  /** The session ID (as the store keys it: treat it as a secret). */
  id: string
  /** When the session was created (epoch ms), if known. */
  created: number | undefined
  /** When it was last used (epoch ms, to within a tenth of `idleTimeout`), if known. */
  used: number | undefined
}

export interface DestroyAllOptions {
  /** Session IDs to keep: "log out other devices" passes `req.sessionID`. */
  except?: string | string[]
}

/**
 * Sessions outside a request, with a middleware's store and options:
 * `middleware.service`, or `new SessionService(options)` with `session()`'s
 * options. By ID (bun-server's `SessionService`): `create`, `get`, `update`,
 * `touch`, `destroy`, on the records the middleware reads and writes. By
 * user: `list` and `destroyAll`, which need the `userKey` option and use the
 * store's user index (`userSessions`) when it has one, else search `all()`.
 * Every method takes an optional callback and returns a promise.
 */
export class SessionService {
  readonly options: ResolvedOptions
  protected readonly store: BridgedStore
  private readonly engine: SessionEngine
  private readonly signer: Signer | undefined

  /** `engine` is how a middleware hands over its own options and store. */
  constructor(options?: SessionOptions, engine?: SessionEngine) {
    this.engine = engine ?? new SessionEngine(resolveOptions(options))
    this.options = this.engine.options
    this.store = this.engine.store
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
      const fields = withoutCookie(data)
      const now = Date.now()
      if (this.options.renewAfter !== undefined) writeMeta(cookie, { issued: now })
      // As the middleware stamps a new session: the start of absoluteTimeout, and the user for the user index.
      if (this.options.tracksMeta) writeMeta(cookie, { created: now, used: now, user: this.userOf(fields) })
      const record = { ...fields, cookie } as SessionRecord
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
      const mark = this.engine.merger.mark()
      const record = await this.existing(id)
      const fields = withoutCookie(data)
      const updated = { ...record, ...fields, cookie: record.cookie }
      const userKey = this.options.userKey
      if (userKey !== undefined) {
        // The user index follows the record's user: keep its metadata in step with the data.
        updated.cookie = { ...record.cookie, [META_KEY]: { ...readMeta(record.cookie), user: this.userOf(updated) } } as any
      }
      // Through the merger, as a request's save: only these keys change in the record as stored now.
      await this.engine.merger.merge(id, { set: fields, unset: [], cookie: updated.cookie as any, record: updated }, mark)
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
      attempt(() => this.end(id, undefined)),
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

  private userOf(data: object): string | undefined {
    const userKey = this.options.userKey
    return userKey === undefined ? undefined : userOf(data, userKey)
  }

  private cookieOptions(req: object): CookieOptions {
    const cookie = this.options.cookie
    return (typeof cookie === 'function' ? cookie(req) : cookie) || {}
  }

  /** The live sessions of `user`, oldest first. */
  list(user: string | number, callback?: Callback<UserSession[]>): Promise<UserSession[]> {
    const work = this.sessionsOf(user).then((sessions) =>
      Object.keys(sessions)
        .map((id) => {
          const meta = recordMeta(sessions[id])
          return { id, created: meta && meta.created, used: meta && meta.used }
        })
        .sort((a, b) => (a.created ?? 0) - (b.created ?? 0))
    )
    return settle(work, callback)
  }

  /** Destroy every session of `user` but those in `except`; resolves with how many were destroyed. */
  destroyAll(user: string | number, options?: DestroyAllOptions | Callback<number>, callback?: Callback<number>): Promise<number> {
    if (typeof options === 'function') {
      callback = options
      options = undefined
    }
    const except = new Set(([] as unknown[]).concat(options?.except ?? []))
    const work = this.list(user).then(async (sessions) => {
      const ended = sessions.filter((session) => !except.has(session.id))
      await this.destroyEach(ended.map((session) => session.id), undefined)
      return ended.length
    })
    return settle(work, callback)
  }

  /** End the oldest sessions of `user` past `maxSessionsPerUser`, never `current`. */
  async enforceLimit(user: string, current: string, req: unknown): Promise<void> {
    const max = this.options.maxSessionsPerUser
    if (max === undefined) return
    const sessions = await this.list(user)
    const others = sessions.filter((session) => session.id !== current)
    const excess = others.length + 1 - max
    if (excess > 0) await this.destroyEach(others.slice(0, excess).map((session) => session.id), req)
  }

  private async destroyEach(ids: string[], req: unknown): Promise<void> {
    await Promise.all(ids.map((id) => this.end(id, req)))
  }

  /**
   * Destroy a session as a request's `destroy()` does: its ID is remembered
   * as gone (no slower request that loaded it may write it back), and the
   * `destroyed` event is emitted.
   */
  private end(id: string, req: unknown): Promise<void> {
    const { store, events, merger } = this.engine
    merger.destroyed(id)
    return store.destroy(id, req).then(() => events.notify('destroyed', id, req))
  }

  /** The user's live sessions; expired ones met on the way are destroyed. */
  private async sessionsOf(user: string | number): Promise<Record<string, SessionRecord>> {
    const { options, store } = this.engine
    const userKey = options.userKey
    if (userKey === undefined) throw new SessionError('ENOUSERINDEX', 'listing the sessions of a user needs the userKey option')
    if ((typeof user !== 'string' && typeof user !== 'number') || user === '') throw new TypeError('user must be a non-empty string or a number')
    const name = String(user)
    let sessions: Record<string, SessionRecord>
    const kind = store.userIndex()
    if (kind === 'index') sessions = await store.userSessions(name)
    else if (kind === 'all') {
      const every = await store.all()
      sessions = Object.create(null)
      for (const id of Object.keys(every)) {
        const record = every[id]
        if (record && typeof record === 'object' && userOf(record, userKey) === name) sessions[id] = record
      }
    } else {
      throw new SessionError('ENOUSERINDEX', 'the session store has no user index (userSessions) and no all(): it cannot list the sessions of a user')
    }
    const now = Date.now()
    const live: Record<string, SessionRecord> = Object.create(null)
    const expired: string[] = []
    for (const id of Object.keys(sessions)) {
      const record = sessions[id]
      if (expiryReason(recordMeta(record), record.cookie && record.cookie.expires, options, now)) expired.push(id)
      else live[id] = record
    }
    await Promise.all(expired.map((id) => this.end(id, undefined)))
    return live
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
