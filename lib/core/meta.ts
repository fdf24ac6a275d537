/**
 * Session metadata kept in the stored record, inside its `cookie` object
 * under `sessionware`: `cookie: { originalMaxAge, expires, ..., sessionware:
 * { issued, ... } }`. express-session copies unknown cookie keys onto its
 * Cookie and drops them on its own save, so such records still load there,
 * and any third-party store keeps them since they are part of the JSON.
 *
 * On a `Cookie` the object is a non-enumerable property: it reaches the
 * stored JSON (through `Cookie#data`) but never the app's enumeration.
 */

/** The key of the metadata inside a record's `cookie`. */
export const META_KEY = 'sessionware'

/** What sessionware records about a session beyond express-session's fields. */
export interface SessionMeta {
  /** When the session's current ID was issued (epoch ms); read by `renew`. */
  issued?: number
  /**
   * Set on a renewed session's old ID: the ID its data moved to, and until
   * when (epoch ms) a request with the old cookie is sent there.
   */
  renewedTo?: string
  renewedUntil?: number
}

/** The metadata of a cookie (a `Cookie` or a stored record's `cookie` object), if any. */
export function readMeta(cookie: unknown): SessionMeta | undefined {
  if (!cookie || typeof cookie !== 'object') return undefined
  const meta = (cookie as any)[META_KEY]
  return meta && typeof meta === 'object' ? (meta as SessionMeta) : undefined
}

/** Merge `patch` into the cookie's metadata (a new object: a loaded one may be shared). */
export function writeMeta(cookie: object, patch: SessionMeta): void {
  Object.defineProperty(cookie, META_KEY, {
    value: { ...readMeta(cookie), ...patch },
    configurable: true,
    enumerable: false,
    writable: true
  })
}

/** The ID a forwarding record sends its requests to, while it still does. */
export function forwardOf(record: unknown, now: number): string | undefined {
  const meta = readMeta(record && (record as any).cookie)
  if (!meta || typeof meta.renewedTo !== 'string') return undefined
  return typeof meta.renewedUntil === 'number' && meta.renewedUntil > now ? meta.renewedTo : undefined
}
