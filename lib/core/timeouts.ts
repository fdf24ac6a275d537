import type { ExpiryReason } from '../events'
import type { SessionMeta } from './meta'

/** The timeouts a loaded session is checked against (ms; undefined: none). */
export interface Lifetimes {
  idleTimeout: number | undefined
  absoluteTimeout: number | undefined
}

/**
 * Why a stored session must not be used any more, or `undefined`. Judged
 * from the record alone (its metadata and its cookie's expiry, both written
 * by the server), never from anything the request sends. A record without
 * metadata (stored before the timeouts were turned on) is not judged by them.
 */
export function expiryReason(meta: SessionMeta | undefined, cookieExpires: unknown, lifetimes: Lifetimes, now: number): ExpiryReason | undefined {
  const { absoluteTimeout, idleTimeout } = lifetimes
  if (absoluteTimeout !== undefined && meta && meta.created !== undefined && now - meta.created >= absoluteTimeout) return 'absolute'
  if (idleTimeout !== undefined && meta && meta.used !== undefined && now - meta.used >= idleTimeout) return 'idle'
  // Stores drop expired records, but not all of them on time, and not third-party ones.
  if (cookieExpires) {
    const time = cookieExpires instanceof Date ? cookieExpires.getTime() : Date.parse(String(cookieExpires))
    if (!Number.isNaN(time) && time <= now) return 'cookie'
  }
  return undefined
}

/** Without `idleTimeout`, the last-use time (shown by `service.list`) is rewritten at most this often. */
export const USED_REFRESH_WITHOUT_IDLE = 60_000

/**
 * Whether the stored last-use time is old enough to be rewritten. Rewriting
 * it on every request would make every request a store write; rewriting it
 * once per tenth of `idleTimeout` costs one write per active session per
 * tenth, and ends an idle session at most 10% early (never late).
 */
export function usedIsStale(meta: SessionMeta | undefined, idleTimeout: number | undefined, now: number): boolean {
  if (!meta || meta.used === undefined) return true
  const every = idleTimeout !== undefined ? idleTimeout / 10 : USED_REFRESH_WITHOUT_IDLE
  return now - meta.used >= every
}
