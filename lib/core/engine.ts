import { Cookie, CookieShape, cookieDataOf, readCookie, setCookieLine } from './cookie'
import type { ResolvedOptions } from './options'
import { readUsuallyAbsent } from './lookup'
import { serializeError } from './record'
import { Session, dataJson, type SessionHost } from './session'
import { Signer } from './signature'
import { cookieFromRecord } from './store'
import { bridgeStore, type BridgedStore, type StoredJson } from './store-bridge'
import type { CookieData, CookieOptions, SessionRecord } from './types'

/**
 * How the engine reads a request, whatever framework it comes from. Each
 * adapter provides one; the engine itself knows nothing of Node or Bun.
 */
export interface RequestAccess {
  /** A request header by lower-case name. */
  header(req: any, name: string): string | undefined
  /** Whether the connection itself is TLS. */
  encrypted(req: any): boolean
  /** The request's full original URL (path and query). */
  originalUrl(req: any): string
  /**
   * Give `req` the fields and helpers the middleware provides: `sessionStore`,
   * `sessionID`, `flash`, `regenerateSession`, `destroySession`. Returns
   * where `req.sessionID` is kept, for the engine to read and write it
   * without going through the request.
   */
  decorate(req: any, store: unknown): RequestFields
}

/**
 * Where a request's `sessionID` lives: the request itself, or (on Node)
 * the record its `sessionID` accessor reads. On an Express request that
 * accessor is inherited, and every read of it is a slow lookup (see
 * lib/lookup.ts), so the engine keeps this at hand.
 */
export interface RequestFields {
  sessionID: string | undefined
}

/** What the adapter must do when the response is about to go out. */
export interface Commit {
  /** A `Set-Cookie` line to append, if one is due. */
  cookie?: string
  /** The store write to wait for before releasing the response, if any. */
  work?: Promise<void>
}

/** The framework-free session engine behind `session(options)`. */
export class SessionEngine {
  readonly options: ResolvedOptions
  readonly store: BridgedStore
  private readonly signer: Signer | undefined
  private readonly requestSigners = new Map<string, Signer>()
  private ready = true

  constructor(options: ResolvedOptions) {
    this.options = options
    this.store = bridgeStore(options.store)
    this.signer = options.secrets && new Signer(options.secrets)
    const store = options.store
    if (typeof store.on === 'function') {
      store.on('disconnect', () => (this.ready = false))
      store.on('connect', () => (this.ready = true))
    }
    // express-session's Store.prototype.regenerate relies on this.
    ;(store as any).generate = (req: any) => this.generateFor(req, this.cookieOptions(req))
  }

  /**
   * Load or create `req.session`. Returns the request's state (a promise when
   * the store must be asked), or `undefined` when this request gets no
   * session: one is already there, the store is disconnected, or the cookie
   * path does not match. Throws when no secret is available.
   */
  start(req: any, access: RequestAccess): RequestState | Promise<RequestState> | undefined {
    if (readUsuallyAbsent(req, 'session') || !this.ready) return undefined
    const cookieOptions = this.cookieOptions(req)
    if (!onCookiePath(access.originalUrl(req), cookieOptions.path)) return undefined

    const signer = this.signerFor(req)
    const fields = access.decorate(req, this.options.store)
    const state = new RequestState(this, req, fields, access, signer, cookieOptions)
    const cookieId = (fields.sessionID = this.readCookie(req, access, signer))
    state.cookieId = cookieId
    if (!cookieId) {
      state.generate()
      return state
    }
    const sync = this.store.sync
    if (sync) return state.loadStored(sync.read(cookieId))
    return this.store.get(cookieId).then((record) => state.load(record))
  }

  /** Give `req` a brand-new session with a new ID. */
  generateFor(req: any, cookieOptions: CookieOptions, access?: RequestAccess, host?: RequestState): Session {
    const id = this.options.genid(req)
    if (host) host.fields.sessionID = id
    else req.sessionID = id
    const session = new Session(req, undefined, host)
    session.cookie = new Cookie(cookieOptions)
    if (cookieOptions.secure === 'auto' || cookieOptions.sameSite === 'auto') {
      const secure = access ? this.isSecure(req, access) : req.secure === true
      if (cookieOptions.secure === 'auto') session.cookie.secure = secure
      if (cookieOptions.sameSite === 'auto') session.cookie.sameSite = secure ? 'none' : 'lax'
    }
    req.session = session
    return session
  }

  /** express-session's rule: TLS socket, else `proxy` decides between `req.secure` and X-Forwarded-Proto. */
  isSecure(req: any, access: RequestAccess): boolean {
    if (access.encrypted(req)) return true
    const proxy = this.options.proxy
    if (proxy === false) return false
    if (proxy !== true) return req.secure === true
    const header = access.header(req, 'x-forwarded-proto') || ''
    const comma = header.indexOf(',')
    return (comma === -1 ? header : header.slice(0, comma)).trim().toLowerCase() === 'https'
  }

  private cookieOptions(req: any): CookieOptions {
    const cookie = this.options.cookie
    return (typeof cookie === 'function' ? cookie(req) : cookie) || {}
  }

  private signerFor(req: any): Signer {
    if (this.signer) return this.signer
    const secret = req.secret
    if (!secret) throw new Error('secret option required for sessions')
    let signer = this.requestSigners.get(secret)
    if (!signer) {
      if (this.requestSigners.size > 16) this.requestSigners.clear()
      this.requestSigners.set(secret, (signer = new Signer([secret])))
    }
    return signer
  }

  private readCookie(req: any, access: RequestAccess, signer: Signer): string | undefined {
    const name = this.options.name
    const header = access.header(req, 'cookie')
    let id: string | undefined
    if (header) {
      // Decoded only when its signature was not verified before (see Signer).
      const encoded = readCookie(header, name)
      if (encoded) id = signer.unsign(encoded)
    }
    // Fallbacks kept from express-session for apps that run cookie-parser first.
    if (!id) {
      const signedCookies = readUsuallyAbsent(req, 'signedCookies')
      if (signedCookies && typeof signedCookies[name] === 'string') id = signedCookies[name]
    }
    if (!id) {
      const cookies = readUsuallyAbsent(req, 'cookies')
      if (cookies && typeof cookies[name] === 'string') id = signer.unsignDecoded(cookies[name])
    }
    return id || undefined
  }
}

/**
 * One request's session bookkeeping: what came in, what was saved, and the
 * decisions express-session makes at the end (save, touch, destroy, cookie).
 */
export class RequestState implements SessionHost {
  cookieId: string | undefined
  private originalId: string | undefined
  private originalJson: string | undefined
  private originalCookie: CookieShape | undefined
  private savedJson: string | undefined
  /** The Session this request last installed, whose cookie an assigned plain object keeps. */
  private session: Session | undefined
  private touched = false
  private cookieDecided = false

  constructor(
    private readonly engine: SessionEngine,
    readonly req: any,
    readonly fields: RequestFields,
    private readonly access: RequestAccess,
    private readonly signer: Signer,
    private readonly cookieOptions: CookieOptions
  ) {}

  generate(): void {
    const session = (this.session = this.engine.generateFor(this.req, this.cookieOptions, this.access, this))
    this.originalId = this.fields.sessionID
    this.originalJson = dataJson(session)
    this.originalCookie = new CookieShape(session.cookie)
  }

  /** Use a record the store kept as JSON (the synchronous path). */
  loadStored(stored: StoredJson | undefined): this {
    if (stored === undefined) return this.load(null)
    let record: SessionRecord
    let cookie: CookieData | undefined
    try {
      record = JSON.parse(stored.dataJson)
      if (stored.cookieJson !== undefined) cookie = cookieDataOf(stored.cookieJson)
    } catch {
      return this.load(null)
    }
    // JSON.stringify gives back the stored data's JSON unchanged for a
    // record it wrote: no need to serialize the session again to know it
    // is unmodified.
    if (!record || typeof record !== 'object' || !this.inflate(record, stored.dataJson, cookie)) this.generate()
    return this
  }

  /** Use the stored record, or start afresh when there is none or it is unusable. */
  load(record: SessionRecord | null): this {
    if (!record || !this.inflate(record)) this.generate()
    return this
  }

  /**
   * Load a stored record; false when it is unusable, and the request should
   * start afresh. `storedData` is the stored JSON of its members but the cookie.
   */
  inflate(record: SessionRecord, storedData?: string, storedCookie?: CookieData): boolean {
    let session: Session
    try {
      session = this.install(record, storedCookie)
    } catch {
      delete this.req.session
      return false
    }
    this.originalId = this.fields.sessionID
    this.originalJson = storedData !== undefined && copiedAsIs(record, session) ? storedData : dataJson(session)
    this.originalCookie = new CookieShape(session.cookie)
    if (!this.engine.options.resave) this.savedJson = this.originalJson
    return true
  }

  /**
   * The `Set-Cookie` line when the headers go out before the end of the
   * response (an explicit `writeHead` or a streamed body).
   */
  headerCookie(): string | undefined {
    if (this.cookieDecided) return undefined
    this.cookieDecided = true
    const session = this.currentSession()
    if (!session || typeof this.fields.sessionID !== 'string') return undefined
    const changed = this.isModified(session, dataJson(session)) || !this.originalCookie!.matches(session.cookie)
    return this.cookieFor(session, changed)
  }

  /**
   * Decide everything at the end of the response: the cookie (unless headers
   * already went out) and the store work to wait for. Throws when the
   * session cannot be serialized.
   */
  commit(): Commit {
    const session = this.currentSession()
    const id = this.fields.sessionID
    if (session == null) {
      this.cookieDecided = true
      if (id && this.engine.options.unsetDestroy) return { work: this.engine.store.destroy(id) }
      return {}
    }
    if (typeof id !== 'string') return {}

    let json: string
    try {
      json = dataJson(session)
    } catch (err) {
      throw serializeError(id, err)
    }
    const modified = this.isModified(session, json)
    // The app changed the cookie itself ("remember me"): send it and store it.
    const cookieChanged = !this.originalCookie!.matches(session.cookie)
    const result: Commit = {}
    if (!this.cookieDecided) {
      this.cookieDecided = true
      result.cookie = this.cookieFor(session, modified || cookieChanged)
    }
    if (!this.touched) {
      this.touched = true
      session.touch()
    }
    const saveWanted =
      cookieChanged ||
      (!this.engine.options.saveUninitialized && this.savedJson === undefined && this.cookieId !== id
        ? modified
        : !(this.originalId === session.id && this.savedJson === json))
    const store = this.engine.store
    const record = session as unknown as SessionRecord
    if (saveWanted) {
      this.savedJson = json
      if (store.sync) store.sync.write(session.id, record, json)
      else result.work = store.set(session.id, record)
    } else if (this.cookieId === id && store.canTouch) {
      if (store.sync) store.sync.touch(id, record)
      else result.work = store.touch(id, record)
    }
    return result
  }

  // SessionHost: what req.session's methods call.

  get sessionID(): string | undefined {
    return this.fields.sessionID
  }

  save(session: Session): Promise<void> {
    try {
      this.savedJson = dataJson(session)
    } catch (err) {
      return Promise.reject(serializeError(session.id, err))
    }
    return this.engine.store.set(session.id, session as unknown as SessionRecord)
  }

  reload(session: Session): Promise<void> {
    return this.engine.store.get(session.id).then((record) => {
      if (!record) throw new Error('failed to load session')
      this.install(record)
    })
  }

  destroy(session: Session): Promise<void> {
    delete this.req.session
    return this.destroyStored(session.id)
  }

  regenerate(): Promise<void> {
    const finish = () => {
      this.session = this.engine.generateFor(this.req, this.cookieOptions, this.access, this)
    }
    return this.destroyStored(this.fields.sessionID!).then(finish, (err) => {
      finish()
      throw err
    })
  }

  private destroyStored(sid: string): Promise<void> {
    const { sync } = this.engine.store
    if (!sync) return this.engine.store.destroy(sid)
    try {
      sync.destroy(sid)
      return Promise.resolve()
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Make the session from a stored record; its cookie, when given apart, is `storedCookie`. */
  private install(record: SessionRecord, storedCookie?: CookieData): Session {
    const cookie = cookieFromRecord(storedCookie !== undefined ? storedCookie : record.cookie, this.cookieOptions)
    const session = new Session(this.req, record, this, cookie)
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
      throw new TypeError(`req.session must be a session, a plain object or null, not ${typeof value}`)
    }
    const { cookie, ...data } = value
    const session = new Session(this.req, { cookie: cookie instanceof Cookie ? cookie : this.session?.cookie ?? new Cookie(this.cookieOptions), ...data }, this)
    this.req.session = this.session = session
    return session
  }

  private isModified(session: Session, json: string): boolean {
    return this.originalId !== session.id || this.originalJson !== json
  }

  private cookieFor(session: Session, modified: boolean): string | undefined {
    const options = this.engine.options
    const wanted =
      this.cookieId !== this.fields.sessionID
        ? options.saveUninitialized || modified
        : options.rolling || (session.cookie.expires != null && modified)
    if (!wanted) return undefined
    if (session.cookie.secure && !this.engine.isSecure(this.req, this.access)) return undefined
    if (!this.touched) {
      this.touched = true
      session.touch()
    }
    return setCookieLine(options.name, this.signer.cookieValue(this.fields.sessionID!), session.cookie)
  }
}

/**
 * Whether the session holds every member of the record, as it was: true
 * unless a member was set aside (`flash`) or skipped because it collides
 * with a Session method or accessor (a stored `save`, `__proto__`).
 */
function copiedAsIs(record: SessionRecord, session: Session): boolean {
  for (const key in record) {
    if (key === 'flash' || !Object.prototype.hasOwnProperty.call(session, key)) return false
  }
  return true
}

/** Whether the cookie is sent for this request URL. */
function onCookiePath(url: string, cookiePath: string | undefined): boolean {
  if ((!cookiePath || cookiePath === '/') && url.charCodeAt(0) === 0x2f /* / */) return true
  return pathname(url).startsWith(cookiePath || '/')
}

/** The path part of a request URL (express-session uses parseurl.original). */
export function pathname(url: string): string {
  let start = 0
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    const scheme = url.indexOf('://')
    if (scheme !== -1) {
      start = url.indexOf('/', scheme + 3)
      if (start === -1) return '/'
    }
  }
  let end = url.length
  const query = url.indexOf('?', start)
  if (query !== -1) end = query
  const hash = url.indexOf('#', start)
  if (hash !== -1 && hash < end) end = hash
  return url.slice(start, end) || '/'
}
