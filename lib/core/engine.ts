import { debug, debugEnabled } from '../debug'
import { SessionError } from '../errors'
import type { ResolvedOptions } from '../options'
import { serializeError } from '../record'
import { SessionMerger } from '../merger'
import { SessionLocks, type SessionLock } from '../session-locks'
import { bridgeStore, type BridgedStore } from '../store-bridge'
import type { CookieOptions, SessionRecord } from '../types'
import { changedKeys } from './changes'
import { Cookie, CookieShape, cookieFromRecord, readCookie, setCookieLine } from './cookie'
import { cookieVerdict, isSecure, onCookiePath, storeAction, type Facts, type Rules, type SecureFacts } from './decide'
import { Session, dataJson, type SessionHost } from './session'
import { Signer, type Secret } from './signature'

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
  /** Saves of loaded sessions (merged), and the IDs destroyed here. */
  readonly merger: SessionMerger
  /** `serialize`: undefined when off. */
  readonly locks: SessionLocks | undefined
  private readonly signer: Signer | undefined
  // Signers for `req.secret` values (cookie-parser), by secret; at most a few.
  private readonly requestSigners = new Map<string, Signer>()
  private ready = true

  constructor(options: ResolvedOptions) {
    this.options = options
    this.store = bridgeStore(options.store)
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
    return this.store.get(cookieId).then((record) => state.load(record))
  }

  /** `serialize`: wait for the session, then load it; the lock is given back on failure. */
  private startSerialized(state: RequestSession, cookieId: string, locks: SessionLocks): Promise<RequestSession> {
    debug('waiting for %s (serialize)', cookieId)
    return locks.acquire(cookieId).then((lock) => {
      state.lock = lock
      debug('fetching %s', cookieId)
      state.mark = this.merger.mark()
      return this.store.get(cookieId).then(
        (record) => state.load(record),
        (err) => {
          state.release()
          throw err
        }
      )
    })
  }

  /** Give `req` a brand-new session with a new ID (also `store.generate`). */
  generate(req: any, cookieOptions: CookieOptions, host?: RequestSession): Session {
    const id = (req.sessionID = this.options.genid(req))
    if (host) host.id = id
    const session = new Session(req, undefined, host, new Cookie(cookieOptions))
    if (cookieOptions.secure === 'auto' || cookieOptions.sameSite === 'auto') {
      const secure = host ? host.isSecure() : req.secure === true
      if (cookieOptions.secure === 'auto') session.cookie.secure = secure
      if (cookieOptions.sameSite === 'auto') session.cookie.sameSite = secure ? 'none' : 'lax'
    }
    req.session = session
    return session
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
  /** The data's JSON that a merge compares with: as loaded, reloaded or last merged. */
  private mergeBase: string | undefined
  private originalId: string | undefined
  private originalJson: string | undefined
  private originalCookie: CookieShape | undefined
  /** The data's JSON when `save()` last ran in this request. */
  private savedJson: string | undefined
  /** The Session this request last installed: an assigned plain object keeps its cookie. */
  private session: Session | undefined
  private committed = false
  private secure: boolean | undefined

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

  /** Start with the stored record, or afresh when there is none or it cannot be used. */
  load(record: SessionRecord | null): this {
    if (!record) {
      debug('no session found: generating a session')
      return this.generate()
    }
    let session: Session
    try {
      session = this.install(record)
    } catch (err) {
      debug('stored session unusable (%s): generating a session', err)
      delete this.req.session
      return this.generate()
    }
    this.loaded = true
    this.remember(session)
    return this
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
    if (session == null) {
      const facts = this.facts(undefined, undefined, id)
      if (storeAction(rules, facts) === 'destroy') {
        debug('destroying %s (req.session unset, unset: destroy)', id)
        this.engine.merger.destroyed(id)
        return { work: this.releaseAfter(this.engine.store.destroy(id)) }
      }
      debug('no Set-Cookie: no session (req.session unset)')
      this.release()
      return NOTHING
    }

    session.touch()
    let json: string
    try {
      json = dataJson(session)
    } catch (err) {
      this.release()
      return { error: serializeError(String(id), err) }
    }
    const facts = this.facts(session, json, id)
    let cookie: string | undefined
    let error: unknown
    const verdict = cookieVerdict(rules, facts)
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

    const action = storeAction(rules, facts)
    let work: Promise<void> | undefined
    if (action === 'save') {
      debug('saving %s', id)
      this.savedJson = json
      work = this.write(id, session, json)
    } else if (action === 'touch') {
      if (this.engine.merger.isGone(id)) debug('not touching %s: destroyed meanwhile', id)
      else {
        debug('touching %s', id)
        work = this.engine.store.touch(id, session as unknown as SessionRecord)
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
    let json: string
    try {
      json = this.savedJson = dataJson(session)
    } catch (err) {
      return Promise.reject(serializeError(session.id, err))
    }
    return this.write(session.id, session, json)
  }

  reload(session: Session): Promise<void> {
    debug('reloading %s', session.id)
    const mark = this.engine.merger.mark()
    return this.engine.store.get(session.id).then((record) => {
      if (!record) throw new SessionError('ESESSIONNOTFOUND', 'failed to load session')
      const reloaded = this.install(record)
      if (reloaded.id === this.originalId) {
        this.mark = mark
        this.mergeBase = dataJson(reloaded)
      }
    })
  }

  destroy(session: Session): Promise<void> {
    debug('destroying %s', session.id)
    delete this.req.session
    this.engine.merger.destroyed(session.id)
    return this.releaseAfter(this.engine.store.destroy(session.id))
  }

  regenerate(): Promise<void> {
    const id = this.req.sessionID
    debug('regenerating %s', id)
    const generate = () => {
      this.session = this.engine.generate(this.req, this.cookieOptions, this)
    }
    if (typeof id === 'string') this.engine.merger.destroyed(id)
    return this.releaseAfter(this.engine.store.destroy(id)).then(generate, (err) => {
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
  private write(id: string, session: Session, json: string): Promise<void> {
    if (this.loaded && id === this.originalId) {
      const changes = changedKeys(this.mergeBase === undefined ? this.originalJson! : this.mergeBase, json)
      this.mergeBase = json
      const patch = { set: changes.set, unset: changes.unset, cookie: session.cookie as any, record: session as unknown as SessionRecord }
      // The outcome ('gone': nothing written) is of no use here: the merger logs it.
      return this.engine.merger.merge(id, patch, this.mark) as Promise<unknown> as Promise<void>
    }
    this.engine.merger.created(id)
    return this.engine.store.set(id, session as unknown as SessionRecord)
  }

  private facts(session: Session | undefined, json: string | undefined, id: unknown): Facts {
    return {
      hasSession: session !== undefined,
      hasId: typeof id === 'string',
      isNew: this.cookieId !== id,
      loaded: this.loaded,
      idChanged: this.originalId !== id,
      dataChanged: this.originalJson !== json,
      saved: this.savedJson === undefined ? 'never' : this.savedJson === json ? 'unchanged' : 'changed',
      cookieChanged: session !== undefined && !this.originalCookie!.matches(session.cookie),
      cookieExpires: session !== undefined && session.cookie.expires != null
    }
  }

  private remember(session: Session): void {
    this.originalId = this.id
    this.originalJson = dataJson(session)
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
