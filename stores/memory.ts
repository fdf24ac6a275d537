import { answer, settle, type Callback } from '../lib/callback'
import { recordMeta } from '../lib/core/meta'
import { checkSid, expiryOf, serializeError } from '../lib/record'
import { Store } from '../lib/store'
import { applyPatch, spliceJson } from '../lib/core/changes'
import type { MergeOutcome, SessionPatch, SessionRecord } from '../lib/types'

export interface MemoryStoreOptions {
  /** The most sessions kept; past it the least recently written one is evicted (an `evict` event is emitted). */
  max?: number
  /** Lifetime in ms of records whose cookie has no expiry; default: until the process ends. */
  ttl?: number
  /** How often expired sessions are swept, in ms (default 60 000); `0` or `false` turns sweeping off. */
  sweepInterval?: number | false
  /** How long a destroyed ID is remembered as gone, in ms (default 60 000): a later `merge` of it writes nothing. */
  tombstoneMs?: number
}

interface Entry {
  /** The record as JSON: nobody can change a stored session by reference. */
  json: string
  /** The cookie's JSON when `touch` gave a newer one than the record's (touch rewrites no data). */
  cookieJson: string | undefined
  /** Epoch ms; `Infinity` for never. */
  expires: number
  /** The record's user (`cookie.sessionware.user`), as indexed in `users`. */
  user: string | undefined
  /** A forward record, written by `renew` on the old ID: never merged into or touched. */
  forward: boolean
}

function recordOf(entry: Entry): SessionRecord {
  const record = JSON.parse(entry.json)
  if (entry.cookieJson !== undefined) record.cookie = JSON.parse(entry.cookieJson)
  return record
}

// The most destroyed IDs remembered; past it the oldest is forgotten first.
const MAX_TOMBSTONES = 10_000

// A sweep gives the event loop back after this long, and goes on later.
const SWEEP_SLICE_MS = 4

/**
 * Sessions in this process's memory. Expired sessions are swept in the
 * background on an unref'd timer, a few milliseconds at a time.
 */
export class MemoryStore extends Store {
  private readonly sessions = new Map<string, Entry>()
  /** The user index: user to the IDs of their sessions. */
  private readonly users = new Map<string, Set<string>>()
  private readonly max: number
  private readonly ttl: number | undefined
  /** Destroyed IDs, to when (epoch ms) they are forgotten. */
  private readonly tombstones = new Map<string, number>()
  private readonly tombstoneMs: number
  private sweepTimer: ReturnType<typeof setInterval> | undefined
  private sweeping: Promise<void> | undefined

  constructor(options: MemoryStoreOptions = {}) {
    super()
    this.max = options.max && options.max > 0 ? options.max : Infinity
    this.ttl = options.ttl
    this.tombstoneMs = options.tombstoneMs === undefined ? 60_000 : Math.max(0, options.tombstoneMs)
    const interval = options.sweepInterval === undefined ? 60_000 : options.sweepInterval
    if (interval && interval > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), interval)
      this.sweepTimer.unref?.()
    }
  }

  /** How many sessions are held and not yet expired. */
  get size(): number {
    const now = Date.now()
    let live = 0
    for (const entry of this.sessions.values()) if (entry.expires > now) live++
    return live
  }

  get(sid: string, callback?: Callback<SessionRecord | null>): Promise<SessionRecord | null> {
    return answer(() => {
      const entry = this.live(sid)
      return entry ? recordOf(entry) : null
    }, callback)
  }

  /**
   * Store a record. A third argument that is a number is a lifetime in ms for
   * a record whose cookie carries no expiry (bunway's `set(sid, data, maxAge)`).
   */
  set(sid: string, session: SessionRecord, callback?: Callback): Promise<void>
  set(sid: string, session: SessionRecord, maxAge?: number, callback?: Callback): Promise<void>
  set(sid: string, session: SessionRecord, maxAgeOrCallback?: number | Callback, callback?: Callback): Promise<void> {
    const maxAge = typeof maxAgeOrCallback === 'number' ? maxAgeOrCallback : this.ttl
    const done = typeof maxAgeOrCallback === 'function' ? maxAgeOrCallback : callback
    return answer(() => this.write(sid, session, maxAge), done)
  }

  destroy(sid: string, callback?: Callback): Promise<void> {
    return answer(() => {
      checkSid(sid)
      this.remove(sid)
      if (this.tombstoneMs > 0) this.bury(sid)
    }, callback)
  }

  /**
   * Apply a request's changes to the record as stored now, in one step. A
   * missing record is stored whole, unless the ID was destroyed within
   * `tombstoneMs` (`'gone'`: nothing is written). A forward record written by
   * `renew` is `'gone'` too: its data moved to another ID.
   */
  merge(sid: string, patch: SessionPatch, callback?: Callback<MergeOutcome>): Promise<MergeOutcome> {
    return answer(() => {
      const entry = this.live(sid)
      if (!entry) {
        if (this.isGone(sid)) return 'gone'
        this.write(sid, patch.record, this.ttl)
        return 'created'
      }
      if (entry.forward) return 'gone'
      // The stored text with the changed members replaced: the others are neither parsed nor written anew.
      let json: string | undefined
      try {
        json = spliceJson(entry.json, patch)
      } catch (err) {
        throw serializeError(sid, err)
      }
      if (json === undefined) this.write(sid, applyPatch(recordOf(entry), patch), this.ttl)
      else {
        entry.json = json
        entry.cookieJson = undefined
        entry.expires = expiryOf(patch as unknown as SessionRecord, this.ttl)
        this.link(sid, entry, recordMeta(patch.record)?.user)
        if (this.max !== Infinity) {
          this.sessions.delete(sid)
          this.sessions.set(sid, entry)
        }
      }
      return 'merged'
    }, callback)
  }

  /** Refresh a session's expiry, and its stored cookie, from `session.cookie`; the data stays as stored. */
  touch(sid: string, session: SessionRecord, callback?: Callback): Promise<void> {
    return answer(() => this.refresh(sid, session), callback)
  }

  /** Every live session, as an object keyed by session ID. */
  all(callback?: Callback<Record<string, SessionRecord>>): Promise<Record<string, SessionRecord>> {
    return answer(() => {
      const now = Date.now()
      const result: Record<string, SessionRecord> = Object.create(null)
      for (const [sid, entry] of this.sessions) {
        if (entry.expires > now) result[sid] = recordOf(entry)
      }
      return result
    }, callback)
  }

  /** The live sessions of `user` (the record's `cookie.sessionware.user`), keyed by session ID. */
  userSessions(user: string, callback?: Callback<Record<string, SessionRecord>>): Promise<Record<string, SessionRecord>> {
    return answer(() => {
      const result: Record<string, SessionRecord> = Object.create(null)
      for (const sid of [...(this.users.get(user) ?? [])]) {
        const entry = this.live(sid)
        if (entry) result[sid] = recordOf(entry)
      }
      return result
    }, callback)
  }

  length(callback?: Callback<number>): Promise<number> {
    return answer(() => this.size, callback)
  }

  clear(callback?: Callback): Promise<void> {
    return answer(() => {
      this.sessions.clear()
      this.users.clear()
      this.tombstones.clear()
    }, callback)
  }

  /** Stop the background sweep (it never keeps the process alive anyway). */
  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
  }

  /**
   * Remove expired sessions, giving the event loop back every few
   * milliseconds. Settles when the whole sweep is done; a sweep already
   * running is joined, not started twice. Runs on its own timer; callable by hand.
   */
  sweep(callback?: Callback): Promise<void> {
    if (!this.sweeping) {
      this.sweeping = new Promise<void>((resolve) => this.sweepSlice(this.sessions.entries(), resolve)).finally(() => {
        this.sweeping = undefined
      })
    }
    return settle(this.sweeping, callback)
  }

  private sweepSlice(iterator: Iterator<[string, Entry]>, done: () => void): void {
    const deadline = performance.now() + SWEEP_SLICE_MS
    const now = Date.now()
    let checked = 0
    for (let step = iterator.next(); !step.done; step = iterator.next()) {
      const [sid, entry] = step.value
      if (entry.expires <= now) this.remove(sid)
      if (++checked % 256 === 0 && performance.now() > deadline) {
        setImmediate(() => this.sweepSlice(iterator, done))
        return
      }
    }
    this.sweepTombstones(now)
    done()
  }

  private sweepTombstones(now: number): void {
    for (const [sid, until] of this.tombstones) if (until <= now) this.tombstones.delete(sid)
  }

  /** Remember `sid` as destroyed for `tombstoneMs`, as the newest tombstone. */
  private bury(sid: string): void {
    this.tombstones.delete(sid)
    if (this.tombstones.size >= MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value as string)
    this.tombstones.set(sid, Date.now() + this.tombstoneMs)
  }

  private isGone(sid: string): boolean {
    const until = this.tombstones.get(sid)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.tombstones.delete(sid)
    return false
  }

  private live(sid: string): Entry | undefined {
    checkSid(sid)
    const entry = this.sessions.get(sid)
    if (entry && entry.expires <= Date.now()) {
      this.remove(sid)
      return undefined
    }
    return entry
  }

  private refresh(sid: string, session: SessionRecord): void {
    const entry = this.live(sid)
    if (!entry || entry.forward) return
    if (session && session.cookie) {
      entry.cookieJson = this.serialize(sid, session.cookie)
      this.link(sid, entry, recordMeta(session)?.user)
    }
    entry.expires = expiryOf(session, this.ttl)
    if (this.max !== Infinity) {
      // Kept in order of writing, oldest first, for eviction.
      this.sessions.delete(sid)
      this.sessions.set(sid, entry)
    }
  }

  private write(sid: string, record: SessionRecord, maxAge: number | undefined): void {
    checkSid(sid)
    if (!record || typeof record !== 'object') throw new TypeError('session must be an object')
    const json = this.serialize(sid, record)
    const previous = this.sessions.get(sid)
    const meta = recordMeta(record)
    const forward = meta !== undefined && typeof meta.renewedTo === 'string'
    const entry: Entry = { json, cookieJson: undefined, expires: expiryOf(record, maxAge), user: previous && previous.user, forward }
    const sessions = this.sessions
    if (this.max !== Infinity && !sessions.delete(sid) && sessions.size >= this.max) this.evictOne()
    sessions.set(sid, entry)
    this.link(sid, entry, meta?.user)
  }

  /** Index the session under `user` (and no longer under its former user). */
  private link(sid: string, entry: Entry, user: string | undefined): void {
    if (entry.user === user) return
    if (entry.user !== undefined) this.unlink(sid, entry.user)
    entry.user = user
    if (user === undefined) return
    let ids = this.users.get(user)
    if (!ids) this.users.set(user, (ids = new Set()))
    ids.add(sid)
  }

  private unlink(sid: string, user: string): void {
    const ids = this.users.get(user)
    if (ids && ids.delete(sid) && ids.size === 0) this.users.delete(user)
  }

  /** Remove a session, and its entry in the user index. */
  private remove(sid: string): Entry | undefined {
    const entry = this.sessions.get(sid)
    if (!entry) return undefined
    this.sessions.delete(sid)
    if (entry.user !== undefined) this.unlink(sid, entry.user)
    return entry
  }

  private serialize(sid: string, record: unknown): string {
    try {
      return JSON.stringify(record)
    } catch (err) {
      throw serializeError(sid, err)
    }
  }

  private evictOne(): void {
    const [oldest, entry] = this.sessions.entries().next().value as [string, Entry]
    this.remove(oldest)
    if (entry.expires > Date.now()) this.emit('evict', oldest)
  }
}
