import { attempt, once, settle, type Callback } from './callback'
import { bridgeStore } from './store-bridge'
import type { Cookie } from './cookie'
import { useFlash, type FlashMessages } from './flash'

/**
 * What a session's methods need from the request that owns it. The middleware
 * provides one per request; it is what keeps change tracking right when
 * `save`, `reload` or `regenerate` run in the middle of a request.
 */
export interface SessionHost {
  save(session: Session): Promise<void>
  reload(session: Session): Promise<void>
  destroy(session: Session): Promise<void>
  regenerate(session: Session): Promise<void>
}

const HOST = Symbol('sessionware.host')
const FLASH = Symbol('sessionware.flash')

/** Callable flash holder: `session.flash(type, msg?)`; its own keys are the messages. */
type FlashHolder = ((...args: unknown[]) => any) & FlashMessages

/**
 * `req.session`: the user's data as own enumerable properties, plus the
 * `cookie`. The `id` and every method are non-enumerable, so they never reach
 * the store or the change detection.
 */
export class Session {
  declare readonly id: string
  declare readonly req: any
  declare cookie: Cookie;
  [key: string]: any

  constructor(req: any, data?: object) {
    Object.defineProperty(this, 'req', { value: req })
    Object.defineProperty(this, 'id', { value: req.sessionID })
    if (data && typeof data === 'object') {
      for (const key in data) {
        if (key === 'flash') this.flash = (data as any).flash
        else if (!(key in this)) this[key] = (data as any)[key]
      }
    }
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
    return settle(hostOf(this).save(this), callback)
  }

  /** Replace `req.session` with the store's copy, dropping unsaved changes. */
  reload(callback?: Callback): Promise<void> {
    return settle(hostOf(this).reload(this), callback)
  }

  /** Remove the session from the store and from the request. */
  destroy(callback?: Callback): Promise<void> {
    return settle(hostOf(this).destroy(this), callback)
  }

  /** Destroy the session and give the request a new one with a new ID. */
  regenerate(callback?: Callback): Promise<void> {
    return settle(hostOf(this).regenerate(this), callback)
  }

  /**
   * bunway's spelling of flash messages: `flash(type, msg)` adds,
   * `flash(type)` reads and clears. Messages live under the record's `flash`
   * key, connect-flash's, so `req.flash` and connect-flash share them.
   */
  get flash(): FlashHolder {
    return (this as any)[FLASH] || this.resetFlash({})
  }

  set flash(messages: FlashHolder | FlashMessages | undefined) {
    if (messages !== (this as any)[FLASH]) this.resetFlash(messages || {})
  }

  /** The stored form: own data, plus the flash messages when there are any. */
  toJSON(): object {
    const holder = (this as any)[FLASH] as FlashHolder | undefined
    if (!holder || !hasKeys(holder)) return this
    return { ...this, flash: { ...holder } }
  }

  private resetFlash(messages: object): FlashHolder {
    const holder = function flash(...args: unknown[]) {
      return useFlash(holder, () => session.resetFlash({}), args)
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
    Object.defineProperty(this, FLASH, { value: holder, configurable: true, writable: true })
    return holder
  }
}

for (const name of ['touch', 'resetMaxAge', 'save', 'reload', 'destroy', 'regenerate', 'toJSON', 'resetFlash']) {
  Object.defineProperty(Session.prototype, name, { enumerable: false })
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true
  return false
}

/** Give a session the host that serves its methods. */
export function attachHost(session: Session, host: SessionHost): void {
  Object.defineProperty(session, HOST, { value: host, configurable: true, writable: true })
}

function hostOf(session: Session): SessionHost {
  return (session as any)[HOST] || storeHost(session.req)
}

// A session made outside the middleware (by `store.load`, say) works
// directly against `req.sessionStore`, as it does in express-session.
function storeHost(req: any): SessionHost {
  const store = () => {
    if (!req || !req.sessionStore) throw new Error('session has no store: req.sessionStore is not set')
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
            if (!record) throw new Error('failed to load session')
            req.sessionStore.createSession(req, record)
          })
      ),
    regenerate: () => attempt(() => once<void>((callback) => req.sessionStore.regenerate(req, callback)))
  }
}
