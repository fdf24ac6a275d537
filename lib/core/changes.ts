/**
 * How to apply the top-level keys a request changed (lib/core/snapshot.ts
 * finds them) to the record as it is in the store: pure functions of JSON
 * data.
 */
import type { SessionPatch, SessionRecord } from '../types'
import { Cookie, cookieJson } from './cookie'

/** The keys a request set or changed, with their new values, and the keys it deleted. */
export interface KeyChanges {
  set: Record<string, unknown>
  unset: string[]
}

/**
 * A stored record's JSON with the patch applied as text: the members the
 * patch does not name keep their bytes, the changed ones and the cookie are
 * replaced (in place), new ones appended. `undefined` when the stored text
 * is no JSON object.
 */
export function spliceJson(storedJson: string, patch: Pick<SessionPatch, 'set' | 'unset' | 'cookie'>): string | undefined {
  const stored = members(storedJson)
  if (!stored) return undefined
  const set = patch.set
  const setKeys = Object.keys(set)
  const setTexts = setKeys.map(keyText)
  const unsetTexts = patch.unset.length === 0 ? undefined : patch.unset.map(keyText)
  const cookie = patchCookieJson(patch.cookie)
  const written: boolean[] = []
  let cookieWritten = false
  const parts: string[] = []
  for (let i = 0; i < stored.length; i += 2) {
    const key = stored[i]
    let value: string | undefined = stored[i + 1]
    if (key === '"cookie"') {
      value = cookie
      cookieWritten = true
    } else {
      const at = setTexts.indexOf(key)
      if (at !== -1) {
        value = JSON.stringify(set[setKeys[at]])
        written[at] = true
      } else if (unsetTexts !== undefined && unsetTexts.includes(key)) value = undefined
    }
    if (value !== undefined) parts.push(key + ':' + value)
  }
  for (let at = 0; at < setKeys.length; at++) {
    if (written[at]) continue
    const value = JSON.stringify(set[setKeys[at]])
    if (value !== undefined) parts.push(setTexts[at] + ':' + value)
  }
  if (!cookieWritten) parts.push('"cookie":' + cookie)
  return '{' + parts.join(',') + '}'
}

/** A key as JSON writes it: quoted, and escaped only when it has to be. */
function keyText(key: string): string {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0xd800) return JSON.stringify(key)
  }
  return '"' + key + '"'
}

/** The JSON of a patch's cookie (a Cookie when the patch comes from the middleware). */
export function patchCookieJson(cookie: unknown): string {
  return cookie instanceof Cookie ? cookieJson(cookie) : JSON.stringify(cookie)
}

/**
 * The top-level members of a JSON object's text, as a flat list: key text
 * (with its quotes), value text, key, value... `undefined` when the text is
 * no JSON object. Only the structure is scanned; nothing is parsed.
 */
export function members(json: string): string[] | undefined {
  const list: string[] = []
  let i = skipSpace(json, 0)
  if (json.charCodeAt(i) !== 0x7b /* { */) return undefined
  i = skipSpace(json, i + 1)
  if (json.charCodeAt(i) === 0x7d /* } */) return skipSpace(json, i + 1) === json.length ? list : undefined
  for (;;) {
    if (json.charCodeAt(i) !== 0x22 /* " */) return undefined
    const keyEnd = stringEnd(json, i)
    if (keyEnd < 0) return undefined
    const colon = skipSpace(json, keyEnd)
    if (json.charCodeAt(colon) !== 0x3a /* : */) return undefined
    const start = skipSpace(json, colon + 1)
    const end = valueEnd(json, start)
    if (end < 0) return undefined
    list.push(json.slice(i, keyEnd), json.slice(start, end))
    i = skipSpace(json, end)
    const next = json.charCodeAt(i)
    if (next === 0x7d /* } */) return skipSpace(json, i + 1) === json.length ? list : undefined
    if (next !== 0x2c /* , */) return undefined
    i = skipSpace(json, i + 1)
  }
}

function skipSpace(text: string, i: number): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
  }
  return i
}

/** The index after the string that starts (with its quote) at `i`, or -1. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j)
    if (c === 0x5c /* \ */) j++
    else if (c === 0x22 /* " */) return j + 1
  }
  return -1
}

/** The index after the value that starts at `i`, or -1. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i)
  if (first === 0x22) return stringEnd(text, i)
  if (first === 0x7b || first === 0x5b /* [ */) {
    let depth = 0
    for (let j = i; j < text.length; j++) {
      const c = text.charCodeAt(j)
      if (c === 0x22) {
        const end = stringEnd(text, j)
        if (end < 0) return -1
        j = end - 1
      } else if (c === 0x7b || c === 0x5b) depth++
      else if ((c === 0x7d || c === 0x5d) /* } ] */ && --depth === 0) return j + 1
    }
    return -1
  }
  let j = i
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j)
    if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break
  }
  return j > i ? j : -1
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
