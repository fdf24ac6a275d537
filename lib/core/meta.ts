import type { Cookie } from './cookie'

/**
 * Session metadata kept in the stored record, inside its `cookie` object
 * under `sessionware`: `cookie: { originalMaxAge, expires, ..., sessionware:
 * { created, used, user, issued } }`. express-session copies unknown cookie
 * keys onto its Cookie and drops them on its own save, so the record still
 * loads there, and third-party stores store it as they store the rest.
 *
 * It never reaches the client: it is not part of `Set-Cookie`, and the
 * session's own data (its enumerable keys) does not hold it. On a `Cookie`
 * it lives under a symbol and joins the cookie's JSON only (`toJSON`).
 */
export interface SessionMeta {
  /** When the session was created (epoch ms): the start of `absoluteTimeout`, never moved by a data-keeping ID change. */
  created?: number
  /** When the session was last used (epoch ms), kept current to within a fraction of `idleTimeout`. */
  used?: number
  /** The value of the `userKey` session key, as a string: what the stores' user index is built from. */
  user?: string
  /** When the session's current ID was issued (epoch ms); read by `renew`. */
  issued?: number
  /**
   * Set on a renewed session's old ID: the ID its data moved to, and until
   * when (epoch ms) a request with the old cookie is sent there.
   */
  renewedTo?: string
  renewedUntil?: number
}

/** The key of the metadata inside a record's `cookie`. */
export const META_KEY = 'sessionware'

// Where a Cookie holds its metadata: a symbol, so that no enumeration and no
// JSON of the cookie's own keys carries it.
const META = Symbol('sessionware.meta')

/** The metadata of a cookie: a `Cookie`, or a stored record's `cookie` object; only well-formed fields are read. */
export function readMeta(cookie: unknown): SessionMeta | undefined {
  if (!cookie || typeof cookie !== 'object') return undefined
  return (cookie as any)[META] || cleanMeta((cookie as any)[META_KEY])
}

/** The metadata of a record (a stored one, or a session as the middleware hands it to a store), or `undefined`. */
export function recordMeta(record: unknown): SessionMeta | undefined {
  return record && typeof record === 'object' ? readMeta((record as any).cookie) : undefined
}

/** The metadata a Cookie carries, or `undefined`. */
export function cookieMeta(cookie: Cookie | undefined): SessionMeta | undefined {
  return cookie ? (cookie as any)[META] : undefined
}

/** Give a Cookie metadata (kept with it, stored with its JSON); `undefined` removes it. */
export function setCookieMeta(cookie: Cookie, meta: unknown): void {
  ;(cookie as any)[META] = cleanMeta(meta)
}

/** Merge `patch` into a Cookie's metadata. */
export function writeMeta(cookie: Cookie, patch: SessionMeta): void {
  setCookieMeta(cookie, { ...cookieMeta(cookie), ...patch })
}

/** A cookie's stored form (`data`) with its metadata added, when it has any. */
export function withMeta<T extends object>(data: T, cookie: Cookie): T {
  const meta = (cookie as any)[META] as SessionMeta | undefined
  if (meta) (data as any)[META_KEY] = { ...meta }
  return data
}

/**
 * Carry what outlives an ID change that keeps the data (`renew`, a
 * data-keeping `regenerateSession`): the creation time, so that
 * `absoluteTimeout` is never extended, and the user.
 */
export function keepCreated(from: Cookie | undefined, to: Cookie, now = Date.now()): void {
  const previous = cookieMeta(from)
  setCookieMeta(to, { ...cookieMeta(to), created: previous?.created ?? now, used: now, user: previous?.user })
}

/** The ID a forwarding record sends its requests to, while it still does. */
export function forwardOf(record: unknown, now: number): string | undefined {
  const meta = recordMeta(record)
  if (!meta || meta.renewedTo === undefined) return undefined
  return meta.renewedUntil !== undefined && meta.renewedUntil > now ? meta.renewedTo : undefined
}

function cleanMeta(value: unknown): SessionMeta | undefined {
  if (!value || typeof value !== 'object') return undefined
  const { created, used, user, issued, renewedTo, renewedUntil } = value as Record<string, unknown>
  const meta: SessionMeta = {}
  if (isTime(created)) meta.created = created
  if (isTime(used)) meta.used = used
  if (typeof user === 'string') meta.user = user
  if (isTime(issued)) meta.issued = issued
  if (typeof renewedTo === 'string') meta.renewedTo = renewedTo
  if (isTime(renewedUntil)) meta.renewedUntil = renewedUntil
  return Object.keys(meta).length === 0 ? undefined : meta
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/** The `userKey` value of a session or record, as the user index keys it: strings and finite numbers only. */
export function userOf(data: object, userKey: string): string | undefined {
  const value = (data as any)[userKey]
  if (typeof value === 'string') return value === '' ? undefined : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}
