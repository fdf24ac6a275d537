import { attempt, once, settle, type Callback } from '../callback'
import { SessionError } from '../errors'
import { bridgeStore } from '../store-bridge'
import type { Cookie } from './cookie'
import { useFlash, type FlashMessages } from './flash'

/**
 * What a session's methods need from the request that owns it. The middleware
 * provides one per request; it is what keeps change tracking right when
 * `save`, `reload` or `regenerate` run in the middle of a request.
 */
export interface SessionHost {
  /** The request's session ID, when the host knows it (else `req.sessionID` is read). */
  readonly sessionID?: string
  save(session: Session): Promise<void>
  reload(session: Session): Promise<void>
  destroy(session: Session): Promise<void>
  regenerate(session: Session): Promise<void>
}

/** Callable flash holder: `session.flash(type, msg?)`; its own keys are the messages. */
type FlashHolder = ((...args: unknown[]) => any) & FlashMessages

/**
 * `req.session`: the user's data as own enumerable properties, plus the
 * `cookie`. The `id` and every method are non-enumerable, so they never reach
 * the store or the change detection.
 */
export class Session {
  // Private fields are invisible to Object.keys, JSON and the store.
  #req: any
  #id: string
  #host: SessionHost | undefined
  #flash: FlashHolder | undefined
  /** A value the app assigned to `session.flash` that is not connect-flash's messages (bun-server's `{ type, message }`). */
  #flashValue: unknown
  declare cookie: Cookie

  /**
   * `host` is given by the middleware; without it the methods work against
   * `req.sessionStore`. `cookie`, when given, is the session's cookie, and
   * comes first (the middleware rebuilds the stored one).
   */
  constructor(req: any, data?: object, host?: SessionHost, cookie?: Cookie) {
    this.#req = req
    this.#id = host !== undefined && host.sessionID !== undefined ? host.sessionID : req.sessionID
    this.#host = host
    if (cookie !== undefined) this.cookie = cookie
    if (data && typeof data === 'object') {
      for (const key in data) {
        if (key === 'flash') this.flash = (data as any).flash
        // `toJSON` is kept for the flash messages' stored form (see #resetFlash).
        else if (!(key in this) && key !== 'toJSON') (this as any)[key] = (data as any)[key]
      }
    }
  }

  /** The session ID (also `req.sessionID`). */
  get id(): string {
    return this.#id
  }

  /** The request this session belongs to. */
  get req(): any {
    return this.#req
  }

  /** Reset the cookie's expiry to its full `originalMaxAge` (done at the end of each request). */
  touch(): this {
    return this.resetMaxAge()
  }

  resetMaxAge(): this {
    this.cookie.maxAge = this.cookie.originalMaxAge
    return this
  }

  /** Write the session to the store now (the middleware also does it at the end of the request). */
  save(callback?: Callback): Promise<void> {
    return settle(this.#serve().save(this), callback)
  }

  /** Replace `req.session` with the store's copy, dropping unsaved changes. */
  reload(callback?: Callback): Promise<void> {
    return settle(this.#serve().reload(this), callback)
  }

  /** Remove the session from the store and from the request. */
  destroy(callback?: Callback): Promise<void> {
    return settle(this.#serve().destroy(this), callback)
  }

  /** Destroy the session and give the request a new one with a new ID. */
  regenerate(callback?: Callback): Promise<void> {
    return settle(this.#serve().regenerate(this), callback)
  }

  /**
   * bunway's spelling of flash messages: `flash(type, msg)` adds,
   * `flash(type)` reads and clears. Messages live under the record's `flash`
   * key, connect-flash's, so `req.flash` and connect-flash share them.
   *
   * A value assigned that is not connect-flash's messages (bun-server's
   * `session.flash = { type, message }`) is kept as it is, read back as it
   * is, and cleared with `session.flash = undefined`.
   */
  get flash(): any {
    if (this.#flashValue !== undefined) return this.#flashValue
    return this.#flash || this.#resetFlash({})
  }

  set flash(messages: any) {
    if (messages !== undefined && messages !== null && !isFlashMessages(messages)) {
      this.#flashValue = messages
      this.#resetFlash({})
      return
    }
    this.#flashValue = undefined
    if (messages !== this.#flash) this.#resetFlash(messages || {})
  }

  #serve(): SessionHost {
    return this.#host || storeHost(this.#req)
  }

  #resetFlash(messages: object): FlashHolder {
    const holder = function flash(...args: unknown[]) {
      return useFlash(holder, () => session.#resetFlash({}), args)
    } as FlashHolder
    const session = this
    // Let message types such as `name` or `length` be plain keys.
    delete (holder as any).name
    delete (holder as any).length
    // connect-flash hands this holder out as "all messages": let it serialize as them.
    Object.defineProperty(holder, 'toJSON', { value: () => ({ ...holder }) })
    for (const type of Object.keys(messages)) {
      if (type !== '__proto__') holder[type] = (messages as any)[type]
    }
    this.#flash = holder
    // Stored with the session's data once there are messages. Only a session
    // with a flash holder has a toJSON: JSON.stringify calls it on every save.
    if (!Object.prototype.hasOwnProperty.call(this, 'toJSON')) {
      Object.defineProperty(this, 'toJSON', { configurable: true, writable: true, value: () => this.#storedForm() })
    }
    return holder
  }

  /** The stored form: own data, plus the flash messages when there are any. */
  #storedForm(): object {
    if (this.#flashValue !== undefined) return { ...this, flash: this.#flashValue }
    const holder = this.#flash
    if (!holder || !hasKeys(holder)) return this
    return { ...this, flash: { ...holder } }
  }
}

/**
 * The session's JSON without its own `cookie`: what express-session compares
 * to tell whether a session changed (the cookie's expiry moves on every
 * request). The cookie is set aside while the session is serialized, which
 * costs less than a replacer function or a toJSON call.
 */
export function dataJson(session: Session): string {
  const cookie = session.cookie
  if (cookie === undefined) return JSON.stringify(session)
  ;(session as any).cookie = undefined
  try {
    return JSON.stringify(session)
  } finally {
    session.cookie = cookie
  }
}

/** connect-flash's stored form: messages by type, each a list (a callable holder is one too). */
function isFlashMessages(value: unknown): boolean {
  if (typeof value === 'function') return true
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false
  for (const key of Object.keys(value)) if (!Array.isArray((value as any)[key])) return false
  return true
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true
  return false
}

// A session made outside the middleware (by `store.load`, say) works
// directly against `req.sessionStore`, as it does in express-session.
function storeHost(req: any): SessionHost {
  const store = () => {
    if (!req || !req.sessionStore) throw new SessionError('ENOSTORE', 'session has no store: req.sessionStore is not set')
    return bridgeStore(req.sessionStore)
  }
  return {
    save: (session) => attempt(() => store().set(session.id, session as any)),
    destroy: (session) =>
      attempt(() => {
        delete req.session
        return store().destroy(session.id)
      }),
    reload: (session) =>
      attempt(() =>
        store()
          .get(session.id)
          .then((record) => {
            if (!record) throw new SessionError('ESESSIONNOTFOUND', 'failed to load session')
            req.sessionStore.createSession(req, record)
          })
      ),
    regenerate: () => attempt(() => once<void>((callback) => req.sessionStore.regenerate(req, callback)))
  }
}
