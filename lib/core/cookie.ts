import type { CookieData, CookieOptions } from '../types'
import { META_KEY, cookieMeta, setCookieMeta, withMeta } from './meta'

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
        if (key === META_KEY) setCookieMeta(this, (options as any)[key])
        else if (key !== 'data' && key !== '__proto__' && key !== 'constructor') {
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
    const data: CookieData = {
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
    return data
  }

  /** A `Set-Cookie` value for `name=value` with this cookie's attributes (`value` is URI-encoded). */
  serialize(name: string, value: string): string {
    if (!TOKEN.test(name)) throw new TypeError(`argument name is invalid: ${name}`)
    return setCookieLine(name, encodeURIComponent(value), this)
  }

  /** The stored form: `data`, plus the session's metadata when it has any (lib/core/meta.ts). */
  toJSON(): CookieData {
    return withMeta(this.data, this)
  }
}

const toJSON = Cookie.prototype.toJSON
const dateToJSON = Date.prototype.toJSON

/**
 * `JSON.stringify(cookie)`, byte for byte, written field by field: a merge
 * writes the cookie's JSON on every save, and JSON.stringify's call of
 * `toJSON` and walk of the `data` copy cost several times more. A subclass,
 * or a cookie given a `toJSON` of its own, is left to JSON.stringify.
 */
export function cookieJson(cookie: Cookie): string {
  if (Object.getPrototypeOf(cookie) !== Cookie.prototype || cookie.toJSON !== toJSON) return JSON.stringify(cookie)
  let json = '{'
  json = member(json, 'originalMaxAge', cookie.originalMaxAge)
  json = member(json, 'partitioned', cookie.partitioned)
  json = member(json, 'priority', cookie.priority)
  json = member(json, 'expires', cookie.expires)
  json = member(json, 'secure', cookie.secure)
  json = member(json, 'httpOnly', cookie.httpOnly)
  json = member(json, 'domain', cookie.domain)
  json = member(json, 'path', cookie.path)
  json = member(json, 'sameSite', cookie.sameSite)
  const meta = cookieMeta(cookie)
  if (meta) json = member(json, META_KEY, { ...meta })
  return json + '}'
}

/** `json` (an object's text so far) with `"key":value` added, as JSON.stringify writes it; nothing for what JSON leaves out. */
function member(json: string, key: string, value: unknown): string {
  let text: string | undefined
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return json
    case 'boolean':
      text = value ? 'true' : 'false'
      break
    case 'number':
      text = Number.isFinite(value) ? String(value) : 'null'
      break
    default:
      if (value === null) text = 'null'
      else if (value instanceof Date && value.toJSON === dateToJSON) {
        text = Number.isFinite(value.getTime()) ? '"' + value.toISOString() + '"' : 'null'
      } else text = JSON.stringify(value)
      if (text === undefined) return json
  }
  return (json.length > 1 ? json + ',"' : json + '"') + key + '":' + text
}

/**
 * A cookie's attributes other than its expiry: the engine keeps one to tell
 * when the app changed them.
 */
export class CookieShape {
  private readonly originalMaxAge: unknown
  private readonly path: unknown
  private readonly domain: unknown
  private readonly secure: unknown
  private readonly httpOnly: unknown
  private readonly sameSite: unknown
  private readonly priority: unknown
  private readonly partitioned: unknown

  constructor(cookie: Cookie) {
    this.originalMaxAge = cookie.originalMaxAge
    this.path = cookie.path
    this.domain = cookie.domain
    this.secure = cookie.secure
    this.httpOnly = cookie.httpOnly
    this.sameSite = cookie.sameSite
    this.priority = cookie.priority
    this.partitioned = cookie.partitioned
  }

  matches(cookie: Cookie): boolean {
    return (
      Object.is(this.originalMaxAge, cookie.originalMaxAge) &&
      this.path === cookie.path &&
      this.domain === cookie.domain &&
      this.secure === cookie.secure &&
      this.httpOnly === cookie.httpOnly &&
      this.sameSite === cookie.sameSite &&
      this.priority === cookie.priority &&
      this.partitioned === cookie.partitioned
    )
  }
}

/** Rebuild a Cookie from a stored record's `cookie` (dates arrive as strings); `defaults` when there is none. */
export function cookieFromRecord(data: any, defaults?: object): Cookie {
  if (!data || typeof data !== 'object') return new Cookie(defaults as any)
  const { expires, originalMaxAge } = data
  const cookie = new Cookie(data)
  if (typeof expires === 'string') {
    const date = new Date(expires)
    // A mangled date would make every response fail to serialize the cookie.
    cookie.expires = Number.isNaN(date.getTime()) ? null : date
  }
  cookie.originalMaxAge = originalMaxAge ?? null
  return cookie
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const DOMAIN = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i
const PATH = /^[\x20-\x3a\x3c-\x7e]*$/
const PRIORITY: Readonly<Record<string, string>> = Object.freeze({ low: 'Low', medium: 'Medium', high: 'High' })
const SAME_SITE: Readonly<Record<string, string>> = Object.freeze({ true: 'Strict', strict: 'Strict', lax: 'Lax', none: 'None' })

/**
 * `name=value; Domain; Path; Expires; HttpOnly; Secure; Partitioned; Priority;
 * SameSite`: the attribute order and validation of the `cookie` package that
 * express-session uses, so the bytes match, at a fraction of its cost.
 * `value` must already be encoded.
 */
export function setCookieLine(name: string, value: string, cookie: Cookie): string {
  let line = name + '=' + value
  const { domain, path, sameSite, priority } = cookie
  const expires = cookie.expires
  if (domain) {
    if (!DOMAIN.test(domain)) throw new TypeError(`option domain is invalid: ${domain}`)
    line += '; Domain=' + domain
  }
  if (path) {
    if (!PATH.test(path)) throw new TypeError(`option path is invalid: ${path}`)
    line += '; Path=' + path
  }
  if (expires) {
    if (!(expires instanceof Date) || !Number.isFinite(expires.getTime())) {
      throw new TypeError(`option expires is invalid: ${expires}`)
    }
    line += '; Expires=' + expires.toUTCString()
  }
  if (cookie.httpOnly) line += '; HttpOnly'
  if (cookie.secure) line += '; Secure'
  if (cookie.partitioned) line += '; Partitioned'
  if (priority) {
    const value = typeof priority === 'string' ? PRIORITY[priority.toLowerCase()] : undefined
    if (!value) throw new TypeError(`option priority is invalid: ${priority}`)
    line += '; Priority=' + value
  }
  if (sameSite) {
    const value = SAME_SITE[typeof sameSite === 'string' ? sameSite.toLowerCase() : String(sameSite)]
    if (!value) throw new TypeError(`option sameSite is invalid: ${sameSite}`)
    line += '; SameSite=' + value
  }
  return line
}

/**
 * The value of cookie `name` in a `Cookie` header, still URI-encoded, read as
 * express-session's parser (cookie 0.7) reads it: the first pair with that
 * name wins, spaces and tabs around names and values are ignored, and one
 * pair of double quotes around a value is removed. `undefined` when absent.
 * Only that one value is sliced out; the other cookies cost a scan.
 */
export function readCookie(header: string, name: string): string | undefined {
  const length = header.length
  let index = 0
  while (index < length) {
    const eq = header.indexOf('=', index)
    if (eq === -1) return undefined
    let end = header.indexOf(';', index)
    if (end === -1) {
      end = length
    } else if (eq > end) {
      // A pair without '=': go on from the last ';' before the next '='.
      index = header.lastIndexOf(';', eq - 1) + 1
      continue
    }
    const keyStart = skipBlanks(header, index, eq)
    const keyEnd = trimBlanks(header, eq, keyStart)
    if (keyEnd - keyStart === name.length && header.startsWith(name, keyStart)) {
      let valueStart = skipBlanks(header, eq + 1, end)
      let valueEnd = trimBlanks(header, end, valueStart)
      if (header.charCodeAt(valueStart) === 0x22 /* " */ && header.charCodeAt(valueEnd - 1) === 0x22) {
        valueStart++
        valueEnd--
      }
      return header.slice(valueStart, valueEnd)
    }
    index = end + 1
  }
  return undefined
}

function skipBlanks(text: string, index: number, max: number): number {
  for (; index < max; index++) {
    const code = text.charCodeAt(index)
    if (code !== 0x20 && code !== 0x09) return index
  }
  return max
}

function trimBlanks(text: string, index: number, min: number): number {
  for (; index > min; index--) {
    const code = text.charCodeAt(index - 1)
    if (code !== 0x20 && code !== 0x09) return index
  }
  return min
}
