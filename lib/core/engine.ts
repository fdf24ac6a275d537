import { debug, debugEnabled } from '../debug'
import { SessionError } from '../errors'
import { SessionEvents, type ExpiryReason } from '../events'
import type { ResolvedOptions } from '../options'
import { serializeError } from '../record'
import { SessionMerger } from '../merger'
import { SessionService } from '../service'
import { SessionLocks, type SessionLock } from '../session-locks'
import { bridgeStore, type BridgedStore } from '../store-bridge'
import type { CookieOptions, SessionRecord } from '../types'
import { Cookie, CookieShape, cookieFromRecord, readCookie, setCookieLine } from './cookie'
import { cookieVerdict, isModified, isSecure, onCookiePath, storeAction, type Facts, type Rules, type SecureFacts } from './decide'
import { cookieMeta, recordMeta, setCookieMeta, userOf, writeMeta, type SessionMeta } from './meta'
import { dueForRenewal, forwardOf, forwardRecord, isForward } from './renew'
import { Session, type SessionHost } from './session'
import { changesBetween, snapshotOf, type DataSnapshot } from './snapshot'
import { Signer, type Secret } from './signature'
import { expiryReason, usedIsStale } from './timeouts'

/**
 * What the engine reads from a request. Each adapter builds one per request
 * from its framework's request; the engine knows nothing else about it.
 */
export interface RequestView extends SecureFacts {
  /** The raw `Cookie` header. */
  readonly cookieHeader: string | undefined
  /** The request's original URL: path and query, or an absolute URL. */
  readonly url: string
  /** cookie-parser's `req.secret`, used when `session()` has no `secret`. */
  secret(): Secret | undefined
  /** cookie-parser's `req.signedCookies` and `req.cookies`, read when the header has no valid session cookie. */
  signedCookies(): Record<string, unknown> | undefined
  cookies(): Record<string, unknown> | undefined
}

/**
 * What the adapter must do when the response goes out: add `cookie` as a
 * `Set-Cookie` line, hold the response until `work` settles, and report
 * `error`. A commit with none of them asks for nothing.
 */
export interface Commit {
  readonly cookie?: string
  readonly work?: Promise<void>
  /** Data that cannot be serialized, or a cookie that cannot be written. */
  readonly error?: unknown
}

const NOTHING: Commit = Object.freeze({})


/**
 * Call `done` with the commit's first problem (its own error, else the
 * store's), or `undefined`, once its work has settled: at once when there is
 * no work to wait for.
 */
export function afterCommit<T>(commit: Commit, done: (problem: unknown) => T): T | Promise<T> {
  const { work, error } = commit
  if (!work) return done(error)
  return work.then(
    () => done(error),
    (err) => done(error === undefined ? err : error)
  )
}

/**
 * The framework-free session engine behind `session(options)`: it loads or
 * creates a request's session and, once per response, decides what to send
 * and store (lib/core/decide.ts holds the rules).
 *
 * The request object (`req`) is only a carrier: the engine sets its
 * `session`, `sessionID` and `sessionStore`, as express-session does, and
 * hands it to `genid` and a `cookie` function.
 */
export class SessionEngine {
  readonly options: ResolvedOptions
  readonly store: BridgedStore
  /** `middleware.events`. */
  readonly events = new SessionEvents()
  /** `middleware.service`. */
  readonly service: SessionService
  /** Saves of loaded sessions (merged), and the IDs destroyed here. */
  readonly merger: SessionMerger
  /** `serialize`: undefined when off. */
  readonly locks: SessionLocks | undefined
  private readonly signer: Signer | undefined
  // Signers for `req.secret` values (cookie-parser), by secret; at most a few.
  private readonly requestSigners = new Map<string, Signer>()
  private ready = true
  /** renew: the renewals in progress in this process, by old ID, each resolving to the new ID. */
  readonly renewing = new Map<string, Promise<string>>()

  constructor(options: ResolvedOptions) {
    this.options = options
    this.store = bridgeStore(options.store, {
      ttlUnit: options.storeTtl,
      timeout: options.storeTimeout,
      onTimeout: (method, sid, req) => {
        debug('store timeout: %s did not answer within %d ms', method, options.storeTimeout)
        if (sid !== undefined) this.events.notify('timeout', sid, req, { method })
      }
    })
    this.service = new SessionService(undefined, this)
    this.merger = new SessionMerger(this.store, options.maxRequestTime)
    this.locks = options.serializeWait > 0 ? new SessionLocks(this.store, options.serializeWait, options.maxRequestTime) : undefined
    this.signer = options.secrets && new Signer(options.secrets)
    const store = options.store
    if (typeof store.on === 'function') {
      store.on('disconnect', () => {
        debug('store disconnected: requests get no session until it connects')
        this.ready = false
      })
      store.on('connect', () => {
        debug('store connected')
        this.ready = true
      })
    }
    // express-session's Store#regenerate calls this, as every store's does.
    ;(store as any).generate = (req: any) => this.generate(req, this.cookieOptions(req))
  }

  /**
   * Load or create `req.session`. Returns the request's session state (a
   * promise when the store must be asked), or `undefined` when this request
   * gets no session: it has one already, the store is disconnected, or the
   * URL is outside the cookie's path. Throws when no secret is available.
   */
  start(req: any, view: RequestView): RequestSession | Promise<RequestSession> | undefined {
    if (req.session) {
      debug('session already present: this middleware leaves the request alone')
      return undefined
    }
    if (!this.ready) {
      debug('store is disconnected: no session, no Set-Cookie')
      return undefined
    }
    const cookieOptions = this.cookieOptions(req)
    if (!onCookiePath(view.url, cookieOptions.path)) {
      debug('pathname mismatch: %s is outside cookie path %s: no session, no Set-Cookie', view.url, cookieOptions.path)
      return undefined
    }
    const signer = this.signerFor(view)
    req.sessionStore = this.options.store
    const cookieId = (req.sessionID = this.readCookie(view, signer))
    const state = new RequestSession(this, req, view, signer, cookieOptions, cookieId)
    if (!cookieId) {
      debug('no valid session ID in the request: generating a session')
      state.generate()
      return state
    }
    if (this.locks) return this.startSerialized(state, cookieId, this.locks)
    debug('fetching %s', cookieId)
    state.mark = this.merger.mark()
    return this.store.get(cookieId, req, (record) => state.load(record))
  }

  /** `serialize`: wait for the session, then load it; the lock is given back on failure. */
  private startSerialized(state: RequestSession, cookieId: string, locks: SessionLocks): Promise<RequestSession> {
    debug('waiting for %s (serialize)', cookieId)
    return locks.acquire(cookieId).then((lock) => {
      state.lock = lock
      debug('fetching %s', cookieId)
      state.mark = this.merger.mark()
      // Loading can fail after the hold was taken (the store's get, or an expired
      // session's destroy, or a renewal's writes): give the hold back then.
      return this.store
        .get(cookieId, state.req, (record) => state.load(record))
        .catch((err) => {
          state.release()
          throw err
        })
    })
  }

  /** Give `req` a brand-new session with a new ID (also `store.generate`). */
  generate(req: any, cookieOptions: CookieOptions, host?: RequestSession): Session {
    const id = (req.sessionID = this.options.genid(req))
    if (host) host.id = id
    const session = new Session(req, undefined, host, new Cookie(cookieOptions))
    if (this.options.renewAfter !== undefined) writeMeta(session.cookie, { issued: Date.now() })
    if (cookieOptions.secure === 'auto' || cookieOptions.sameSite === 'auto') {
      const secure = host ? host.isSecure() : req.secure === true
      if (cookieOptions.secure === 'auto') session.cookie.secure = secure
      if (cookieOptions.sameSite === 'auto') session.cookie.sameSite = secure ? 'none' : 'lax'
    }
    if (this.options.tracksMeta) {
      const now = Date.now()
      setCookieMeta(session.cookie, { created: now, used: now })
    }
    req.session = session
    this.events.notify('created', id, req)
    return session
  }

  /**
   * The metadata of a session about to be stored: its user (from `userKey`)
   * brought up to date, and, when `stamp`, its last-use time set to now.
   */
  stampMeta(session: Session, stamp: boolean): SessionMeta | undefined {
    const cookie = session.cookie
    if (!this.options.tracksMeta || !cookie) return undefined
    let meta = cookieMeta(cookie)
    if (meta === undefined) setCookieMeta(cookie, (meta = { created: Date.now() }))
    else if (meta.created === undefined) meta.created = Date.now()
    if (stamp) meta.used = Date.now()
    const userKey = this.options.userKey
    if (userKey !== undefined) meta.user = userOf(session, userKey)
    return meta
  }

  /** The rules, with the store's `touch` as it is now. */
  rules(): Rules {
    const { resave, saveUninitialized, rolling, unsetDestroy } = this.options
    return { resave, saveUninitialized, rolling, unsetDestroy, storeCanTouch: this.store.canTouch() }
  }

  private cookieOptions(req: any): CookieOptions {
    const cookie = this.options.cookie
    return (typeof cookie === 'function' ? cookie(req) : cookie) || {}
  }

  private signerFor(view: RequestView): Signer {
    if (this.signer) return this.signer
    const secret = view.secret()
    if (!secret) throw new SessionError('ENOSECRET', 'secret option required for sessions')
    if (typeof secret !== 'string') return new Signer([secret])
    let signer = this.requestSigners.get(secret)
    if (!signer) {
      if (this.requestSigners.size >= 16) this.requestSigners.clear()
      this.requestSigners.set(secret, (signer = new Signer([secret])))
    }
    return signer
  }

  private readCookie(view: RequestView, signer: Signer): string | undefined {
    const name = this.options.name
    const header = view.cookieHeader
    let id: string | undefined
    if (header) {
      const encoded = readCookie(header, name)
      if (encoded) {
        id = signer.unsign(encoded)
        if (!id) debug('cookie unsigned or its signature invalid: a fresh session')
      }
    }
    // Fallbacks kept from express-session, for apps that run cookie-parser first.
    if (!id) {
      const signedCookies = view.signedCookies()
      if (signedCookies && typeof signedCookies[name] === 'string') id = signedCookies[name] as string
    }
    if (!id) {
      const cookies = view.cookies()
      if (cookies && typeof cookies[name] === 'string') id = signer.unsignDecoded(cookies[name] as string)
    }
    return id || undefined
  }
}

/**
 * One request's session: what it started with, what `save()` wrote, and the
 * one commit at the end of the response. It is also what `req.session`'s
 * methods call (SessionHost), so that a save or regenerate in the middle of
 * the request keeps the change tracking right.
 */
export class RequestSession implements SessionHost {
  /**
   * The ID the engine last gave `req.sessionID`, kept here so that building
   * the session reads nothing back from the request: on an Express request
   * every property read is a slow lookup (its hidden class is new each time).
   */
  id: string | undefined
  /** What the merger's `mark()` gave when the session was read. */
  mark = 0
  /** `serialize`: the request's hold on its session. */
  lock: SessionLock | undefined
  private loaded = false
  /** The data a merge compares with: as loaded, reloaded or last merged. */
  private mergeBase: DataSnapshot | undefined
  private originalId: string | undefined
  private original: DataSnapshot | undefined
  private originalCookie: CookieShape | undefined
  /** The data when `save()` last ran in this request. */
  private saved: DataSnapshot | undefined
  /** The Session this request last installed: an assigned plain object keeps its cookie. */
  private session: Session | undefined
  private committed = false
  private secure: boolean | undefined
  /** The session moved to another ID when it was loaded (renew): the response must carry the new cookie. */
  private moved = false
  /** The user (`userKey`) the loaded record belonged to. */
  private originalUser: string | undefined

  constructor(
    private readonly engine: SessionEngine,
    readonly req: any,
    private readonly view: RequestView,
    private readonly signer: Signer,
    private readonly cookieOptions: CookieOptions,
    /** The ID the request's cookie carried, if valid. */
    readonly cookieId: string | undefined
  ) {
    this.id = cookieId
  }

  /** Start with a new session. */
  generate(): this {
    const session = (this.session = this.engine.generate(this.req, this.cookieOptions, this))
    this.remember(session)
    return this
  }

  /**
   * Start with the stored record, or afresh when there is none, it cannot be
   * used, or it has expired (then it is destroyed first: a promise).
   */
  load(record: SessionRecord | null): this | Promise<this> {
    if (!record) {
      debug('no session found: generating a session')
      return this.generate()
    }
    const now = Date.now()
    const forward = forwardOf(record, now)
    if (forward !== undefined) return this.follow(forward, now)
    if (isForward(record)) {
      debug('renewed session past its grace period: generating a session')
      return this.generate()
    }
    // An expired session is ended, never renewed.
    const reason = this.expiryReason(record, now)
    if (reason !== undefined) return this.expire(reason)
    const renewAfter = this.engine.options.renewAfter
    if (renewAfter !== undefined && dueForRenewal(record, renewAfter, now)) return this.renew(record, now)
    return this.use(record)
  }

  /** Why the stored session has expired (idle, absolute), from the timestamps in its record, or `undefined`. */
  private expiryReason(record: SessionRecord, now: number): ExpiryReason | undefined {
    const options = this.engine.options
    if (!options.tracksMeta) return undefined
    return expiryReason(recordMeta(record), record.cookie && record.cookie.expires, options, now)
  }

  private use(record: SessionRecord): this {
    let session: Session
    try {
      session = this.install(record)
    } catch (err) {
      debug('stored session unusable (%s): generating a session', err)
      delete this.req.session
      return this.generate()
    }
    if (this.engine.options.tracksMeta) this.originalUser = cookieMeta(session.cookie)?.user
    this.loaded = true
    this.remember(session)
    this.engine.events.notify('loaded', this.id!, this.req)
    return this
  }

  /**
   * renew: a request with a renewed session's old cookie, within the grace
   * period, gets the session under its new ID and the new cookie.
   */
  private follow(id: string, now: number): Promise<this> {
    debug('%s was renewed: following it to %s', this.cookieId, id)
    return this.engine.store.get(id, this.req).then((record) => {
      // Forwards are followed once: a session renewed again meanwhile starts afresh.
      if (!record || isForward(record)) return this.generate()
      const reason = this.expiryReason(record, Date.now())
      if (reason === undefined) return this.moveTo(id, record)
      this.id = this.req.sessionID = id
      return this.expire(reason)
    })
  }

  /**
   * renew: move the data to a new ID now, before the app runs, so that a
   * concurrent request with the old cookie finds the forward: the new record
   * is written first, then the old ID becomes a forward (or is destroyed when
   * there is no grace period). Concurrent renewals of one ID in this process
   * share the first one.
   */
  private renew(record: SessionRecord, now: number): Promise<this> {
    const oldId = this.cookieId!
    const engine = this.engine
    const pending = engine.renewing.get(oldId)
    if (pending) return pending.then((id) => this.follow(id, now), () => this.follow(oldId, now))
    const newId = engine.options.genid(this.req)
    debug('renewing %s as %s', oldId, newId)
    this.moveTo(newId, record)
    // An unusable record gave a fresh session instead: nothing to move.
    if (!this.moved) return Promise.resolve(this)
    const session = this.req.session as Session
    writeMeta(session.cookie, { issued: now })
    const grace = engine.options.renewGrace
    const work = engine.store
      .set(newId, session as unknown as SessionRecord)
      .then(() => (grace > 0 ? engine.store.set(oldId, forwardRecord(newId, now, grace, session.cookie.path)) : engine.store.destroy(oldId)))
      .then(() => {
        engine.events.notify('renewed', oldId, this.req, { newId })
        return newId
      })
    engine.renewing.set(oldId, work)
    // The old ID now holds a forward: no slower request of this process that loaded it may merge into it or touch it.
    engine.merger.destroyed(oldId)
    const forget = () => void engine.renewing.delete(oldId)
    work.then(forget, forget)
    return work.then(() => this)
  }

  private moveTo(id: string, record: SessionRecord): this {
    this.id = this.req.sessionID = id
    this.use(record)
    this.moved = this.loaded
    return this
  }


  /** Destroy the expired stored session, then start afresh. */
  private expire(reason: ExpiryReason): Promise<this> {
    const id = this.id!
    debug('session %s expired (%s): destroying it, generating a session', id, reasonText(reason, this.engine.options))
    delete this.req.session
    // As after a logout: no slower request that loaded it may write it back.
    this.engine.merger.destroyed(id)
    return this.engine.store.destroy(id, this.req).then(() => {
      this.engine.events.notify('expired', id, this.req, { reason })
      return this.generate()
    })
  }

  /** Whether the request is secure, by express-session's rule (computed once). */
  isSecure(): boolean {
    if (this.secure === undefined) this.secure = isSecure(this.view, this.engine.options.proxy)
    return this.secure
  }

  /**
   * Decide, once, what the response carries and what the store is asked to
   * do; the adapter calls it when the response's headers are about to go
   * out. A second call asks for nothing.
   */
  commit(): Commit {
    if (this.committed) return NOTHING
    this.committed = true
    const req = this.req
    const id = req.sessionID
    const rules = this.engine.rules()
    let session: Session | null | undefined
    try {
      session = this.currentSession()
    } catch (err) {
      this.release()
      return { error: err }
    }
    const autoCommit = this.engine.options.autoCommit
    if (session == null) {
      if (!autoCommit) return NOTHING
      const facts = this.facts(undefined, undefined, id)
      if (storeAction(rules, facts) === 'destroy') {
        debug('destroying %s (req.session unset, unset: destroy)', id)
        this.engine.merger.destroyed(id)
        let work = this.releaseAfter(this.engine.store.destroy(id, req))
        const events = this.engine.events
        if (events.wants('destroyed')) work = work.then(() => events.notify('destroyed', id, req))
        return { work }
      }
      debug('no Set-Cookie: no session (req.session unset)')
      this.release()
      return NOTHING
    }

    session.touch()
    const stale = this.loaded && this.engine.options.tracksMeta && usedIsStale(cookieMeta(session.cookie), this.engine.options.idleTimeout, Date.now())
    let data: DataSnapshot
    try {
      data = snapshotOf(session)
    } catch (err) {
      this.release()
      return { error: serializeError(String(id), err) }
    }
    const facts = this.facts(session, data, id)
    facts.metaStale = stale
    let cookie: string | undefined
    let error: unknown
    const verdict = this.moved ? true : autoCommit ? cookieVerdict(rules, facts) : this.saved !== undefined || 'not saved (autoCommit is false)'
    if (verdict !== true) debug('no Set-Cookie: %s', verdict)
    else if (session.cookie.secure && !this.isSecure()) debug('no Set-Cookie: Secure cookie on an insecure request')
    else {
      try {
        cookie = setCookieLine(this.engine.options.name, this.signer.cookieValue(id), session.cookie)
        if (debugEnabled) debug('set-cookie %s', cookie)
      } catch (err: any) {
        error = new SessionError('EINVALIDCOOKIE', err.message, { cause: err })
      }
    }

    const action = autoCommit ? storeAction(rules, facts) : 'none'
    let work: Promise<void> | undefined
    const events = this.engine.events
    if (action === 'save') {
      debug(stale && !isModified(facts) ? 'saving %s (its last-use time is due)' : 'saving %s', id)
      this.saved = data
      const meta = this.engine.stampMeta(session, true)
      work = this.write(id, session, data)
      if (events.wants('saved')) work = work.then(() => events.notify('saved', id, req))
      const user = meta && meta.user
      if (user !== undefined && user !== this.originalUser && this.engine.options.maxSessionsPerUser !== undefined) {
        // A session newly linked to its user (a login): end the oldest ones past the limit.
        work = work.then(() => this.engine.service.enforceLimit(user, id, req))
      }
    } else if (action === 'touch') {
      if (this.engine.merger.isGone(id)) debug('not touching %s: destroyed meanwhile', id)
      else {
        debug('touching %s', id)
        this.engine.stampMeta(session, true)
        work = this.engine.store.touch(id, session as unknown as SessionRecord, req)
        if (events.wants('touched')) work = work.then(() => events.notify('touched', id, req))
      }
    }
    if (this.lock) work = this.releaseAfter(work)
    return cookie === undefined && work === undefined && error === undefined ? NOTHING : { cookie, work, error }
  }

  // SessionHost: what req.session's methods call.

  get sessionID(): string | undefined {
    return this.id
  }

  save(session: Session): Promise<void> {
    debug('saving %s', session.id)
    let data: DataSnapshot
    try {
      data = this.saved = snapshotOf(session)
    } catch (err) {
      return Promise.reject(serializeError(session.id, err))
    }
    this.engine.stampMeta(session, true)
    const id = session.id
    return this.write(id, session, data).then(() => this.engine.events.notify('saved', id, this.req))
  }

  reload(session: Session): Promise<void> {
    debug('reloading %s', session.id)
    const mark = this.engine.merger.mark()
    return this.engine.store.get(session.id, this.req).then((record) => {
      if (!record) throw new SessionError('ESESSIONNOTFOUND', 'failed to load session')
      const reloaded = this.install(record)
      if (reloaded.id === this.originalId) {
        this.mark = mark
        this.mergeBase = snapshotOf(reloaded)
      }
    })
  }

  destroy(session: Session): Promise<void> {
    debug('destroying %s', session.id)
    delete this.req.session
    const id = session.id
    this.engine.merger.destroyed(id)
    return this.releaseAfter(this.engine.store.destroy(id, this.req)).then(() => this.engine.events.notify('destroyed', id, this.req))
  }

  regenerate(): Promise<void> {
    const old = this.req.sessionID
    debug('regenerating %s', old)
    const generate = () => {
      this.session = this.engine.generate(this.req, this.cookieOptions, this)
    }
    const regenerated = () => {
      generate()
      this.engine.events.notify('regenerated', old, this.req, { newId: this.req.sessionID })
    }
    if (typeof old === 'string') this.engine.merger.destroyed(old)
    return this.releaseAfter(this.engine.store.destroy(old, this.req)).then(regenerated, (err) => {
      generate()
      throw err
    })
  }

  /** Give back the `serialize` hold on the session (once; also when the client goes away). */
  release(): void {
    const lock = this.lock
    if (lock) {
      this.lock = undefined
      lock.release()
    }
  }

  /** Release the hold once `work` has settled (at once when there is none). */
  private releaseAfter<T>(work: Promise<T>): Promise<T>
  private releaseAfter<T>(work: Promise<T> | undefined): Promise<T> | undefined
  private releaseAfter<T>(work: Promise<T> | undefined): Promise<T> | undefined {
    if (!this.lock) return work
    if (!work) {
      this.release()
      return work
    }
    return work.then(
      (value) => {
        this.release()
        return value
      },
      (err) => {
        this.release()
        throw err
      }
    )
  }

  /**
   * Store the session. A session loaded under the same ID is merged: only the
   * keys this request changed are applied to the record as stored now, and
   * nothing is written when the ID was destroyed meanwhile. A new session or
   * a new ID is set whole.
   */
  private write(id: string, session: Session, data: DataSnapshot): Promise<void> {
    if (this.loaded && id === this.originalId) {
      const changes = changesBetween(this.mergeBase === undefined ? this.original! : this.mergeBase, data)
      this.mergeBase = data
      const patch = { set: changes.set, unset: changes.unset, cookie: session.cookie as any, record: session as unknown as SessionRecord }
      // The outcome ('gone': nothing written) is of no use here: the merger logs it.
      return this.engine.merger.merge(id, patch, this.mark) as Promise<unknown> as Promise<void>
    }
    this.engine.merger.created(id)
    return this.engine.store.set(id, session as unknown as SessionRecord, this.req)
  }

  private facts(session: Session | undefined, data: DataSnapshot | undefined, id: unknown): Facts {
    const original = this.original
    const saved = this.saved
    return {
      hasSession: session !== undefined,
      hasId: typeof id === 'string',
      isNew: this.cookieId !== id,
      loaded: this.loaded,
      idChanged: this.originalId !== id,
      dataChanged: original === undefined ? data !== undefined : data === undefined || !original.equals(data),
      saved: saved === undefined ? 'never' : data !== undefined && saved.equals(data) ? 'unchanged' : 'changed',
      cookieChanged: session !== undefined && !this.originalCookie!.matches(session.cookie),
      cookieExpires: session !== undefined && session.cookie.expires != null,
      metaStale: false
    }
  }

  private remember(session: Session): void {
    this.originalId = this.id
    this.original = snapshotOf(session)
    this.originalCookie = new CookieShape(session.cookie)
  }

  /** Make the session from a stored record. */
  private install(record: SessionRecord): Session {
    const session = new Session(this.req, record, this, cookieFromRecord(record.cookie, this.cookieOptions))
    this.req.session = this.session = session
    return session
  }

  /**
   * `req.session` as a Session. A plain object the app assigned (bun-router's
   * `req.session = {}` to clear it) becomes the session's data, with the same
   * ID and cookie; anything else but null is an error.
   */
  private currentSession(): Session | undefined | null {
    const value = this.req.session
    if (value == null || value instanceof Session) return value
    if (typeof value !== 'object') {
      throw new SessionError('EINVALIDSESSION', `req.session must be a session, a plain object or null, not ${typeof value}`)
    }
    const { cookie, ...data } = value
    const kept = cookie instanceof Cookie ? cookie : this.session ? this.session.cookie : new Cookie(this.cookieOptions)
    const session = new Session(this.req, data, this, kept)
    this.req.session = this.session = session
    return session
  }
}

function reasonText(reason: ExpiryReason, options: ResolvedOptions): string {
  if (reason === 'idle') return `unused for idleTimeout, ${options.idleTimeout} ms`
  if (reason === 'absolute') return `older than absoluteTimeout, ${options.absoluteTimeout} ms`
  return 'its cookie expired'
}
