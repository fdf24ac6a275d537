/**
 * `renew`'s rules, as pure functions: when a session's ID is due for a new
 * one, and the record that stands in for the old ID during the grace period.
 *
 * The old ID keeps a forwarding record in the store itself (written through
 * the store's public `set`, expiring with the grace period), not a map in
 * this process: a request with the old cookie that reaches another process
 * sharing the store (Redis, files) is forwarded too. These forwards are
 * distinct from any record of destroyed IDs: a forward names the live ID its
 * session moved to, and lapses after `renewGrace`.
 */
import type { SessionRecord } from '../types'
import { forwardOf, readMeta } from './meta'

export { forwardOf }

/**
 * Whether a stored session's ID is older than `renewAfter`. A record that
 * does not say when its ID was issued (stored before `renew` was turned on)
 * is renewed at once: its age is unknown, and the client's word is not taken.
 */
export function dueForRenewal(record: SessionRecord, renewAfter: number, now: number): boolean {
  const issued = readMeta(record.cookie)?.issued
  return typeof issued !== 'number' || now - issued >= renewAfter
}

/** Whether the record is a forward (current or lapsed) rather than a session. */
export function isForward(record: SessionRecord): boolean {
  return typeof readMeta(record.cookie)?.renewedTo === 'string'
}

/** The record kept under a renewed session's old ID: a forward to `to`, expiring with the grace period. */
export function forwardRecord(to: string, now: number, grace: number, path: string | undefined): SessionRecord {
  const until = now + grace
  return {
    cookie: {
      originalMaxAge: grace,
      expires: new Date(until).toISOString(),
      path,
      sessionware: { renewedTo: to, renewedUntil: until }
    }
  } as SessionRecord
}
