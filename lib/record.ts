import { SessionError } from './errors'
import type { SessionRecord } from './types'

/**
 * When a stored record expires, in epoch milliseconds: its cookie's `expires`,
 * else its cookie's `maxAge` counted from now, else `fallbackMs` from now,
 * else never (`Infinity`).
 */
export function expiryOf(record: SessionRecord | undefined, fallbackMs?: number): number {
  const cookie = record && record.cookie
  if (cookie && typeof cookie === 'object') {
    const expires = cookie.expires
    if (expires) {
      const time = expires instanceof Date ? expires.getTime() : Date.parse(expires as string)
      if (!Number.isNaN(time)) return time
    }
    const maxAge = (cookie as any).maxAge
    if (typeof maxAge === 'number' && Number.isFinite(maxAge)) return Date.now() + maxAge
  }
  return typeof fallbackMs === 'number' && fallbackMs > 0 ? Date.now() + fallbackMs : Infinity
}

/** A clear error for a session that cannot be stored as JSON (a cycle, a BigInt). */
export function serializeError(sid: string, cause: unknown): SessionError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new SessionError('ESESSIONSERIALIZE', `session ${JSON.stringify(sid)} cannot be serialized to JSON: ${reason}`, { cause })
}

/** Session IDs are strings; anything else is a caller's mistake. */
export function checkSid(sid: unknown): asserts sid is string {
  if (typeof sid !== 'string') throw new SessionError('EINVALIDSID', 'session id must be a string')
}
