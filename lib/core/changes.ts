/**
 * Which top-level keys of a session one request changed, and how to apply
 * them to the record as it is in the store: pure functions of JSON data.
 */
import type { SessionPatch, SessionRecord } from '../types'

/** The keys a request set or changed, with their new values, and the keys it deleted. */
export interface KeyChanges {
  set: Record<string, unknown>
  unset: string[]
}

const NONE: KeyChanges = Object.freeze({ set: Object.freeze({}), unset: Object.freeze([]) as unknown as string[] })

/**
 * Compare the session's data JSON (without its cookie) as the request loaded
 * it with the same data now, key by key, deeply.
 */
export function changedKeys(loadedJson: string, currentJson: string): KeyChanges {
  if (loadedJson === currentJson) return NONE
  const loaded = JSON.parse(loadedJson) as Record<string, unknown>
  const current = JSON.parse(currentJson) as Record<string, unknown>
  const set: Record<string, unknown> = {}
  const unset: string[] = []
  for (const key of Object.keys(current)) {
    if (!hasOwn(loaded, key) || !sameJson(loaded[key], current[key])) set[key] = current[key]
  }
  for (const key of Object.keys(loaded)) if (!hasOwn(current, key)) unset.push(key)
  return { set, unset }
}

/**
 * The stored record with the patch applied: changed keys replaced, deleted
 * keys removed, the cookie replaced; every other key as stored. `stored` is
 * changed in place and returned.
 */
export function applyPatch(stored: SessionRecord, patch: Pick<SessionPatch, 'set' | 'unset' | 'cookie'>): SessionRecord {
  for (const key of patch.unset) delete stored[key]
  const set = patch.set
  for (const key of Object.keys(set)) {
    if (key !== '__proto__') stored[key] = set[key]
  }
  stored.cookie = patch.cookie
  return stored
}

/** Whether two parsed JSON values are equal (object key order aside). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  for (const key of keys) {
    if (!hasOwn(b, key) || !sameJson((a as any)[key], (b as any)[key])) return false
  }
  return true
}

/** Whether a patch changes no data (only the cookie). */
export function dataUnchanged(changes: KeyChanges): boolean {
  return changes.unset.length === 0 && isEmpty(changes.set)
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false
  return true
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key)
}
