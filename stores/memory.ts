import { settle, type Callback } from '../lib/callback'
import { Cookie, cookieJson } from '../lib/cookie'
import { checkSid, expiryOf, serializeError } from '../lib/record'
import { Session, dataJson as sessionDataJson } from '../lib/session'
import { Store } from '../lib/store'
import { PROMISE_API, SYNC_API, type StoredJson, type SyncStore } from '../lib/store-bridge'
import type { SessionRecord } from '../lib/types'

export interface MemoryStoreOptions {
  /** The most sessions kept; past it the least recently written one is evicted (an `evict` event is emitted). */
  max?: number
  /** Lifetime in ms of records whose cookie has no expiry; default: until the process ends. */
  ttl?: number
  /** How often expired sessions are swept, in ms (default 60 000); `0` or `false` turns sweeping off. */
  sweepInterval?: number | false
}

interface Entry extends StoredJson {
  cookieJson: string | undefined
  dataJson: string
  expires: number
}

const COOKIE_KEY = '{"cookie":'

/** A record's JSON, its cookie first: `{"cookie":{…},…}`. */
function recordJson(entry: StoredJson): string {
  const { cookieJson, dataJson } = entry
  if (cookieJson === undefined) return dataJson
  return COOKIE_KEY + cookieJson + (dataJson.length > 2 ? ',' + dataJson.slice(1) : '}')
}

// A sweep gives the event loop back after this long, and goes on later.
const SWEEP_SLICE_MS = 4

/**
 * Sessions in this process's memory, kept as JSON so that nobody can change a
 * stored session by reference. Expired sessions are swept in the background
 * on an unref'd timer, a few milliseconds at a time.
 */
export class MemoryStore extends Store {
  private readonly sessions = new Map<string, Entry>()
  private readonly max: number
  private readonly ttl: number | undefined
  private sweepTimer: ReturnType<typeof setInterval> | undefined
  private sweeping: Iterator<[string, Entry]> | undefined

  constructor(options: MemoryStoreOptions = {}) {
    super()
    this.max = options.max && options.max > 0 ? options.max : Infinity
    this.ttl = options.ttl
    const interval = options.sweepInterval === undefined ? 60_000 : options.sweepInterval
    if (interval && interval > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), interval)
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
    return settle(this.run(() => this.read(sid)), callback)
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
    return settle(this.run(() => this.write(sid, session, maxAge)), done)
  }

  destroy(sid: string, callback?: Callback): Promise<void> {
    return settle(
      this.run(() => {
        checkSid(sid)
        this.sessions.delete(sid)
      }),
      callback
    )
  }

  /** Refresh a session's expiry from `session.cookie` without rewriting its data. */
  touch(sid: string, session: SessionRecord, callback?: Callback): Promise<void> {
    return settle(this.run(() => this.refresh(sid, session)), callback)
  }

  /** The middleware's synchronous path, offered only while get/set/touch are this class's own. */
  get [SYNC_API](): SyncStore | undefined {
    const own = MemoryStore.prototype
    if (this.get !== own.get || this.set !== own.set || this.touch !== own.touch || this.destroy !== own.destroy) return undefined
    return {
      read: (sid) => {
        checkSid(sid)
        return this.live(sid)
      },
      write: (sid, record, data) => this.writeData(sid, record, data),
      touch: (sid, record) => this.refresh(sid, record),
      destroy: (sid) => {
        checkSid(sid)
        this.sessions.delete(sid)
      }
    }
  }

  /** Every live session, as an object keyed by session ID. */
  all(callback?: Callback<Record<string, SessionRecord>>): Promise<Record<string, SessionRecord>> {
    return settle(
      this.run(() => {
        const now = Date.now()
        const result: Record<string, SessionRecord> = Object.create(null)
        for (const [sid, entry] of this.sessions) {
          if (entry.expires > now) result[sid] = JSON.parse(recordJson(entry))
        }
        return result
      }),
      callback
    )
  }

  length(callback?: Callback<number>): Promise<number> {
    return settle(this.run(() => this.size), callback)
  }

  clear(callback?: Callback): Promise<void> {
    return settle(this.run(() => this.sessions.clear()), callback)
  }

  /** Stop the background sweep (it never keeps the process alive anyway). */
  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
  }

  /**
   * Remove expired sessions, giving the event loop back every few
   * milliseconds. Runs on its own timer; callable by hand.
   */
  sweep(): void {
    if (this.sweeping) return
    this.sweeping = this.sessions.entries()
    this.sweepSlice()
  }

  private sweepSlice(): void {
    const iterator = this.sweeping
    if (!iterator) return
    const deadline = performance.now() + SWEEP_SLICE_MS
    const now = Date.now()
    let checked = 0
    for (let step = iterator.next(); !step.done; step = iterator.next()) {
      const [sid, entry] = step.value
      if (entry.expires <= now) this.sessions.delete(sid)
      if (++checked % 256 === 0 && performance.now() > deadline) {
        setImmediate(() => this.sweepSlice())
        return
      }
    }
    this.sweeping = undefined
  }

  private run<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work())
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private live(sid: string): Entry | undefined {
    const entry = this.sessions.get(sid)
    if (entry && entry.expires !== Infinity && entry.expires <= Date.now()) {
      this.sessions.delete(sid)
      return undefined
    }
    return entry
  }

  private refresh(sid: string, session: SessionRecord): void {
    checkSid(sid)
    const entry = this.live(sid)
    if (!entry) return
    if (session && session.cookie) entry.cookieJson = jsonOfCookie(session.cookie)
    entry.expires = expiryOf(session, this.ttl)
    if (this.max !== Infinity) {
      this.sessions.delete(sid)
      this.sessions.set(sid, entry)
    }
  }

  private read(sid: string): SessionRecord | null {
    checkSid(sid)
    const entry = this.live(sid)
    return entry ? JSON.parse(recordJson(entry)) : null
  }

  private write(sid: string, record: SessionRecord, maxAge: number | undefined): void {
    checkSid(sid)
    if (!record || typeof record !== 'object') throw new TypeError('session must be an object')
    let cookieJson: string | undefined
    let dataJson: string
    try {
      cookieJson = record.cookie ? jsonOfCookie(record.cookie) : undefined
      if (cookieJson === undefined) dataJson = JSON.stringify(record)
      else if (record instanceof Session) dataJson = sessionDataJson(record)
      else if (typeof (record as any).toJSON === 'function') dataJson = stringifyRest(record)
      else dataJson = JSON.stringify(withoutCookie(record))
    } catch (err) {
      throw serializeError(sid, err)
    }
    this.put(sid, cookieJson, dataJson, expiryOf(record, maxAge))
  }

  /** The middleware's save: the data's JSON is given, only the cookie is serialized here. */
  private writeData(sid: string, record: SessionRecord, data: string): void {
    checkSid(sid)
    if (!record.cookie) return this.write(sid, record, this.ttl)
    this.put(sid, jsonOfCookie(record.cookie), data, expiryOf(record, this.ttl))
  }

  private put(sid: string, cookieJson: string | undefined, dataJson: string, expires: number): void {
    const sessions = this.sessions
    if (this.max === Infinity) {
      // Unbounded, the order of the Map does not matter: update in place.
      const entry = sessions.get(sid)
      if (entry) {
        entry.cookieJson = cookieJson
        entry.dataJson = dataJson
        entry.expires = expires
      } else {
        sessions.set(sid, { cookieJson, dataJson, expires })
      }
      return
    }
    // Bounded, the Map is kept in order of writing, oldest first, for eviction.
    const existed = sessions.delete(sid)
    if (!existed && sessions.size >= this.max) this.evictOne()
    sessions.set(sid, { cookieJson, dataJson, expires })
  }

  private evictOne(): void {
    const [oldest, entry] = this.sessions.entries().next().value as [string, Entry]
    this.sessions.delete(oldest)
    if (entry.expires > Date.now()) this.emit('evict', oldest)
  }
}

;(MemoryStore.prototype as any)[PROMISE_API] = true

// A copy is cheaper than a replacer function, which JSON.stringify calls for every member.
function withoutCookie(record: SessionRecord): object {
  const { cookie: _cookie, ...data } = record
  return data
}

function stringifyRest(record: SessionRecord): string {
  return JSON.stringify(record, function (this: unknown, key, value) {
    return this === record && key === 'cookie' ? undefined : value
  })
}

/**
 * A cookie's JSON. Most sessions' cookies serialize alike: the same string
 * as the last one is stored once, shared by the sessions (see also `cookieJson`).
 */
function jsonOfCookie(cookie: unknown): string {
  if (cookie instanceof Cookie) return cookieJson(cookie)
  const json = JSON.stringify(cookie)
  if (json === lastPlainCookieJson) return lastPlainCookieJson
  lastPlainCookieJson = json
  return json
}

let lastPlainCookieJson: string | undefined

