import { serialize } from 'cookie'
import type { CookieData, CookieOptions } from './types'

/**
 * The session cookie, with express-session's semantics: `maxAge` is the time
 * left, `originalMaxAge` the lifetime it was given, `expires` the date.
 * Its JSON form (`data`) is what stores keep under `record.cookie`.
 */
export class Cookie {
  path = '/'
  httpOnly = true
  originalMaxAge: number | null = null
  declare secure?: boolean | 'auto'
  declare domain?: string
  declare sameSite?: boolean | 'lax' | 'strict' | 'none' | 'auto'
  declare priority?: 'low' | 'medium' | 'high'
  declare partitioned?: boolean
  private _expires?: Date | null

  constructor(options?: CookieOptions | CookieData) {
    this.maxAge = null
    if (options) {
      if (typeof options !== 'object') throw new TypeError('argument options must be a object')
      for (const key in options) {
        if (key !== 'data' && key !== '__proto__' && key !== 'constructor') {
          ;(this as any)[key] = (options as any)[key]
        }
      }
    }
    if (this.originalMaxAge === undefined || this.originalMaxAge === null) {
      this.originalMaxAge = this.maxAge
    }
  }

  /** When the cookie expires; `null` for a browser-session cookie. */
  get expires(): Date | null | undefined {
    return this._expires
  }

  set expires(date: Date | null | undefined) {
    this._expires = date
    this.originalMaxAge = this.maxAge
  }

  /** Milliseconds left before the cookie expires, or `null`. Setting it resets `expires`. */
  get maxAge(): number | null {
    const expires = this._expires
    return expires instanceof Date ? expires.getTime() - Date.now() : (expires as null)
  }

  set maxAge(ms: number | null | Date) {
    if (ms && typeof ms !== 'number' && !(ms instanceof Date)) {
      throw new TypeError('maxAge must be a number or Date')
    }
    if (typeof ms === 'number') {
      // originalMaxAge is exactly what was asked for; express-session re-reads
      // the clock here, so its originalMaxAge can drift down a millisecond per touch.
      this._expires = new Date(Date.now() + ms)
      this.originalMaxAge = ms
    } else {
      this.expires = ms as Date | null
    }
  }

  /** The fields that go into `Set-Cookie` and into the stored record. */
  get data(): CookieData {
    return {
      originalMaxAge: this.originalMaxAge,
      partitioned: this.partitioned,
      priority: this.priority,
      expires: this._expires,
      secure: this.secure,
      httpOnly: this.httpOnly,
      domain: this.domain,
      path: this.path,
      sameSite: this.sameSite
    }
  }

  /** A `Set-Cookie` value for `name=value` with this cookie's attributes. */
  serialize(name: string, value: string): string {
    return serialize(name, value, this.data as any)
  }

  toJSON(): CookieData | undefined {
    return excludeCookie ? undefined : this.data
  }
}

// While a session's change snapshot is taken, its cookie is left out (the
// cookie changes on every touch without the session being modified).
let excludeCookie = false

/** JSON of `value` with every Cookie left out. */
export function stringifyWithoutCookie(value: unknown): string {
  excludeCookie = true
  try {
    return JSON.stringify(value)
  } finally {
    excludeCookie = false
  }
}
