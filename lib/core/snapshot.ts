import type { KeyChanges } from './changes'

/**
 * A session's data at one moment, kept to tell later what a request changed.
 *
 * express-session compares `JSON.stringify(session)` (without the cookie)
 * before and after a request. A snapshot keeps the same information key by
 * key: primitive values as they are, objects as their JSON text. A session
 * of a few primitive values is then compared without serializing anything,
 * and the changed keys come straight out of the comparison. Two snapshots
 * are equal exactly when the two JSON texts would be, except that a boxed
 * primitive (`new String('x')`) differs from the primitive: at worst a
 * session is saved once more than needed.
 */
export class DataSnapshot {
  /** Keys in JSON order, each followed by its value's comparable form: [key, value, key, value...]. */
  readonly entries: unknown[]
  /** The object the values were read from: the data itself, or what its own `toJSON` gave. */
  readonly source: any

  constructor(entries: unknown[], source: any) {
    this.entries = entries
    this.source = source
  }

  /** Whether `other` holds the same data (the same JSON, key order included). */
  equals(other: DataSnapshot): boolean {
    const a = this.entries
    const b = other.entries
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false
    return true
  }
}

/** An object's value in a snapshot: its JSON text. */
class JsonText {
  constructor(readonly text: string) {}
}

const SKIP = Symbol('not in JSON')

function same(a: unknown, b: unknown): boolean {
  return a === b || (a instanceof JsonText && b instanceof JsonText && a.text === b.text)
}

/**
 * The snapshot of `data`'s own enumerable keys but `cookie`, as
 * JSON.stringify sees them (a `toJSON` of the data object itself, such as a
 * session's with flash messages, gives the form that is read). Throws what
 * JSON.stringify would throw (a BigInt, a cycle).
 */
export function snapshotOf(data: object): DataSnapshot {
  const source: any = typeof (data as any).toJSON === 'function' ? (data as any).toJSON('') : data
  const entries: unknown[] = []
  if (source === null || typeof source !== 'object') return new DataSnapshot(entries, {})
  for (const key of Object.keys(source)) {
    if (key === 'cookie') continue
    const value = comparable(source[key], key)
    if (value !== SKIP) entries.push(key, value)
  }
  return new DataSnapshot(entries, source)
}

/** How JSON would write `value` under `key`, in a form `same` compares; SKIP when JSON leaves the key out. */
function comparable(value: unknown, key: string): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) ? value : null
    case 'undefined':
    case 'function':
    case 'symbol':
      return SKIP
  }
  if (value === null) return null
  const toJSON = (value as any).toJSON
  if (typeof toJSON === 'function') {
    const converted = toJSON.call(value, key)
    if (converted === null || (typeof converted !== 'object' && typeof converted !== 'bigint')) return comparable(converted, key)
    value = converted
  }
  const text = JSON.stringify(value)
  return text === undefined ? SKIP : new JsonText(text)
}

/**
 * The keys `current` set or changed against `base`, with their values as
 * `current` read them, and the keys it no longer has: a request's changes,
 * for a merge.
 */
export function changesBetween(base: DataSnapshot, current: DataSnapshot): KeyChanges {
  const set: Record<string, unknown> = {}
  const unset: string[] = []
  const before = base.entries
  const after = current.entries
  const source = current.source
  // Sessions have a few keys: a scan of the other list allocates less than a Map.
  for (let i = 0; i < after.length; i += 2) {
    const at = indexOfKey(before, after[i])
    if (at === -1 || !same(before[at + 1], after[i + 1])) set[after[i] as string] = source[after[i] as string]
  }
  for (let i = 0; i < before.length; i += 2) {
    if (indexOfKey(after, before[i]) === -1) unset.push(before[i] as string)
  }
  return { set, unset }
}

function indexOfKey(entries: unknown[], key: unknown): number {
  for (let i = 0; i < entries.length; i += 2) if (entries[i] === key) return i
  return -1
}
