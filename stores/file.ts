import { createHash, randomBytes } from 'crypto'
import fs, { constants, type Stats } from 'fs'
import path from 'path'
import { attempt, settle, type Callback } from '../lib/callback'
import { KeyedQueue } from '../lib/keyed-queue'
import { recordMeta } from '../lib/core/meta'
import { checkSid, expiryOf, serializeError } from '../lib/record'
import { Store } from '../lib/store'
import { applyPatch } from '../lib/core/changes'
import type { MergeOutcome, SessionPatch, SessionRecord } from '../lib/types'

export interface FileStoreOptions {
  /** The directory sessions are kept in; created (mode 0700) if missing. Default `./sessions`. */
  path?: string
  /** Lifetime in ms of sessions whose cookie has no expiry. Default 24 hours. */
  ttl?: number
  /** File name extension of session files. Default `.json`. */
  fileExtension?: string
  /** Text encoding of session files: `utf8` (default) or `utf16le`. */
  encoding?: BufferEncoding
  /** How often expired sessions and stale temp files are removed, in ms (default 1 hour); `0` or `false` turns it off. */
  reapInterval?: number | false
  /** fsync each file before it replaces the old one: survives power loss, at a cost. Default `false`. */
  fsync?: boolean
  /**
   * How many recently written files (of at most 16 kB) this process remembers, to answer `get` with one
   * `lstat` instead of a read. Default 1000, `0` for none. A remembered file is checked against the disk
   * (inode, size and mtime) on every read, so writes by other processes are always seen.
   */
  cacheSize?: number
  /**
   * How long a destroyed ID is remembered as gone, in ms (default 60 000): its file then holds a
   * tombstone, and a later `merge` of it, from this process or another, writes nothing.
   */
  tombstoneMs?: number
}

/** bun-router's spelling: `fileStore({ path, encoding, fileExtension })`. */
export function fileStore(options?: FileStoreOptions): FileStore {
  return new FileStore(options)
}

/**
 * What a session file holds: its expiry (epoch ms, `null` for never) and the record as set; or,
 * for a destroyed session, `gone: true` until `expires` (a tombstone: no record).
 */
interface SessionFile {
  expires: number | null
  session: SessionRecord
  gone?: undefined
}

interface Tombstone {
  expires: number
  gone: true
  session?: undefined
}

interface CachedFile {
  ino: number
  mtimeMs: number
  size: number
  text: string
}

/** Sets of one file not yet started: a later set replaces the JSON, and all of them settle with the one write. */
interface PendingWrite {
  json: string
  /** The record's user, for the user index. */
  user: string | undefined
  done?: Promise<void>
}

const DAY = 24 * 3600 * 1000
// Session IDs are hex-encoded into file names: lossless, free of path separators, dots and device
// names, and safe on case-insensitive file systems. 100 bytes keep names far below 255.
const MAX_ID_BYTES = 100
const TEMP_PREFIX = '.tmp-'
// The user index: `.users/<sha256 of the user>/<hex session ID>`, one empty file per
// session. Creating and removing a file are atomic, so processes sharing the
// directory never lose each other's entries, and no index file is ever rewritten.
const USERS_DIR = '.users'
const TEMP_MAX_AGE = 60_000
const LOCK_PREFIX = '.lock-'
// A lock file older than this was left by a crashed process (a merge holds it for milliseconds).
const LOCK_STALE_MS = 5_000
const LOCK_WAIT_MS = 10_000
const CACHE_MAX_TEXT = 16 * 1024
const BATCH = 64
const ENCODINGS: readonly string[] = Object.freeze(['utf8', 'utf-8', 'utf16le', 'utf-16le', 'ucs2', 'ucs-2'])
// What the reaper reads of a session file: far more than the `{"expires":<ms>,"session":{` toJson starts with.
const HEAD_CHARS = 128
// That start, as JSON may spell it; `expires` is a JSON number or null.
const HEAD = /^\s*\{\s*"expires"\s*:\s*(null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*,\s*"session"\s*:\s*\{/
// Read errors of a path that is there but is no session file: a symlink (ELOOP), a directory, a FIFO.
const NOT_A_FILE: readonly string[] = Object.freeze(['ELOOP', 'EISDIR', 'EAGAIN', 'EMLINK'])

/**
 * One JSON file per session. Session IDs can come from clients, so they are
 * encoded, never trusted as paths; files are written to a temp file and
 * renamed into place, so readers and crashes only ever see whole files.
 */
export class FileStore extends Store {
  readonly path: string
  private readonly ttl: number
  private readonly extension: string
  private readonly encoding: BufferEncoding
  private readonly fsync: boolean
  private readonly cacheSize: number
  private readonly tombstoneMs: number
  private readonly cache = new Map<string, CachedFile>()
  private readonly queue = new KeyedQueue()
  private readonly pending = new Map<string, PendingWrite>()
  /** Session file to the user its index entry was written for, by this process (bounded like `cache`). */
  private readonly linked = new Map<string, string>()
  private ready: Promise<unknown>
  private reapTimer: ReturnType<typeof setInterval> | undefined
  private reaping: Promise<void> | undefined

  constructor(options: FileStoreOptions = {}) {
    super()
    this.path = path.resolve(options.path || './sessions')
    this.ttl = options.ttl && options.ttl > 0 ? options.ttl : DAY
    this.extension = options.fileExtension ?? '.json'
    if (!/^(\.[A-Za-z0-9_-]{1,15})?$/.test(this.extension)) throw new TypeError(`fileExtension is invalid: ${this.extension}`)
    this.encoding = options.encoding || 'utf8'
    // Other encodings would lose characters, or turn JSON into something else.
    if (!ENCODINGS.includes(this.encoding)) throw new TypeError(`encoding must be utf8 or utf16le: ${this.encoding}`)
    this.fsync = Boolean(options.fsync)
    this.cacheSize = options.cacheSize === undefined ? 1000 : Math.max(0, options.cacheSize)
    this.tombstoneMs = options.tombstoneMs === undefined ? 60_000 : Math.max(0, options.tombstoneMs)
    this.ready = this.makeDir()
    const interval = options.reapInterval === undefined ? 3600_000 : options.reapInterval
    if (interval && interval > 0) {
      this.reapTimer = setInterval(() => {
        this.reap().catch((err) => {
          // An error event with no listener would crash the process: the next round tries again.
          if (this.listenerCount('error') > 0) this.emit('error', err)
        })
      }, interval)
      this.reapTimer.unref?.()
    }
  }

  get(sid: string, callback?: Callback<SessionRecord | null>): Promise<SessionRecord | null> {
    return settle(this.withFile(sid, (file) => this.readLive(file), () => null), callback)
  }

  /** Store a record; a number as third argument is a lifetime in ms for a record without cookie expiry. */
  set(sid: string, session: SessionRecord, callback?: Callback): Promise<void>
  set(sid: string, session: SessionRecord, maxAge?: number, callback?: Callback): Promise<void>
  set(sid: string, session: SessionRecord, maxAgeOrCallback?: number | Callback, callback?: Callback): Promise<void> {
    const lifetime = typeof maxAgeOrCallback === 'number' ? maxAgeOrCallback : this.ttl
    const done = typeof maxAgeOrCallback === 'function' ? maxAgeOrCallback : callback
    // Serialized now: what is stored is the record as it was when set was called.
    const work = attempt(() => {
      const json = toJson(sid, session, lifetime)
      const user = recordMeta(session)?.user
      return this.withFile(sid, (file) => this.schedule(file, json, user), () => {
        throw invalidSid(sid)
      })
    })
    return settle(work, done)
  }

  /**
   * Remove a session, and its entry in the user index. Its file keeps a tombstone for `tombstoneMs`
   * (read as no session), written under the file's cross-process lock, so that no merge in flight
   * writes the session back.
   */
  destroy(sid: string, callback?: Callback): Promise<void> {
    const work = this.withFile(
      sid,
      (file) =>
        this.serial(file, async () => {
          const stored = await this.readFile(file).catch(() => undefined)
          if (this.tombstoneMs <= 0) await removeFile(file)
          else await this.locked(file, () => this.write(file, JSON.stringify({ expires: Date.now() + this.tombstoneMs, gone: true })))
          await this.unlink(file, stored && !stored.gone ? recordMeta(stored.session)?.user : undefined)
        }),
      noop
    )
    return settle(work, callback)
  }

  /**
   * Apply a request's changes to the record as stored now: under this process's queue for the
   * file and a lock file (`.lock-<name>`, O_EXCL) shared with every process using the directory.
   * A missing record is stored whole, unless the file holds a tombstone (`'gone'`), or a live
   * forward record written by `renew` (`'gone'` too: its data moved to another ID).
   */
  merge(sid: string, patch: SessionPatch, callback?: Callback<MergeOutcome>): Promise<MergeOutcome> {
    const work = attempt(() => {
      // Taken now, as set does: later changes of the caller's objects are not stored.
      const whole = toJson(sid, patch.record, this.ttl)
      const changes = JSON.parse(JSON.stringify({ set: patch.set, unset: patch.unset, cookie: patch.cookie }))
      return this.withFile(
        sid,
        (file) =>
          this.serial(file, () =>
            this.locked(file, async (): Promise<MergeOutcome> => {
              const stored = await this.readFile(file)
              if (stored && !isExpired(stored) && (stored.gone || isForward(stored.session))) return 'gone'
              if (!stored || stored.gone || isExpired(stored)) {
                await this.write(file, whole)
                await this.link(file, recordMeta(patch.record)?.user)
                return 'created'
              }
              const merged = applyPatch(stored.session, changes)
              await this.write(file, toJson(sid, merged, this.ttl))
              await this.link(file, recordMeta(merged)?.user)
              return 'merged'
            })
          ),
        () => {
          throw invalidSid(sid)
        }
      )
    })
    return settle(work, callback)
  }

  /**
   * Refresh a session's expiry from `session.cookie`, keeping the data on disk (not the request's snapshot),
   * under the file's cross-process lock as `merge` and `destroy`. Tombstones and forward records stay as they are.
   */
  touch(sid: string, session: SessionRecord, callback?: Callback): Promise<void> {
    const work = attempt(() => {
      const cookie = session && isObject(session.cookie) ? JSON.parse(JSON.stringify(session.cookie)) : undefined
      return this.withFile(sid, (file) => this.serial(file, () => this.locked(file, () => this.retouch(sid, file, cookie))), noop)
    })
    return settle(work, callback)
  }

  /** Every live session, keyed by session ID. */
  all(callback?: Callback<Record<string, SessionRecord>>): Promise<Record<string, SessionRecord>> {
    const result: Record<string, SessionRecord> = Object.create(null)
    const work = this.eachFile(async (name, file) => {
      const sid = this.idOf(name)
      if (sid === undefined) return
      const record = await this.readLive(file)
      if (record) result[sid] = record
    }).then(() => result)
    return settle(work, callback)
  }

  /**
   * The live sessions of `user` (the record's `cookie.sessionware.user`),
   * keyed by session ID, from the on-disk index; entries whose session is
   * gone or belongs to another user now are removed.
   */
  userSessions(user: string, callback?: Callback<Record<string, SessionRecord>>): Promise<Record<string, SessionRecord>> {
    const work = attempt(async () => {
      await this.ready
      const dir = this.userDir(user)
      const names = await readdirOrNone(dir)
      const result: Record<string, SessionRecord> = Object.create(null)
      await Promise.all(
        names.map(async (name) => {
          const sid = this.idOf(name + this.extension)
          const record = sid === undefined ? null : await this.readLive(this.fileOf(sid)!)
          if (sid !== undefined && record && recordMeta(record)?.user === user) result[sid] = record
          else {
            await removeFile(dir + path.sep + name)
            this.forget(this.path + path.sep + name + this.extension, user)
          }
        })
      )
      return result
    })
    return settle(work, callback)
  }

  length(callback?: Callback<number>): Promise<number> {
    return settle(
      this.all().then((sessions) => Object.keys(sessions).length),
      callback
    )
  }

  /** Remove every session, and temp files left by a crash (those of writes in flight stay). */
  clear(callback?: Callback): Promise<void> {
    const now = Date.now()
    const work = this.eachFile(async (name, file) => {
      if (this.idOf(name) !== undefined) await removeFile(file)
      else if (name === USERS_DIR) await fs.promises.rm(file, { recursive: true, force: true })
      else await removeStaleTemp(name, file, now)
    }).then(() => this.linked.clear())
    return settle(work, callback)
  }

  /** Stop the background reaper (it never keeps the process alive anyway). */
  close(): void {
    if (this.reapTimer) clearInterval(this.reapTimer)
    this.reapTimer = undefined
  }

  /**
   * Remove expired and corrupt session files, and temp files left by a crash,
   * a batch at a time. Runs on its own timer; callable by hand.
   */
  reap(): Promise<void> {
    if (this.reaping) return this.reaping
    const now = Date.now()
    const sessions = this.eachFile(async (name, file) => {
      if (this.idOf(name) !== undefined) await this.reapFile(file)
      else await removeStaleTemp(name, file, now)
    })
    // The index after the session files, so that the entries of those just reaped go too.
    this.reaping = sessions
      .then(() => this.reapIndex(this.path + path.sep + USERS_DIR))
      .finally(() => {
        this.reaping = undefined
      })
    return this.reaping
  }

  /** The session file for `sid`, or undefined when the ID cannot name one (empty, too long, not valid Unicode). */
  fileOf(sid: string): string | undefined {
    checkSid(sid)
    const bytes = Buffer.from(sid, 'utf8')
    // A lone surrogate encodes as U+FFFD, like U+FFFD itself: refused, so that no two IDs share a file.
    if (bytes.length === 0 || bytes.length > MAX_ID_BYTES || bytes.toString('utf8') !== sid) return undefined
    return this.path + path.sep + bytes.toString('hex') + this.extension
  }

  /** The index directory of `user`. */
  private userDir(user: string): string {
    return this.path + path.sep + USERS_DIR + path.sep + createHash('sha256').update(user).digest('hex')
  }

  /** The index entry of a session file under `user`'s directory. */
  private entryOf(file: string, user: string): string {
    return this.userDir(user) + path.sep + path.basename(file, this.extension)
  }

  /**
   * Index the session of `file` under `user`, and no longer under the user
   * this process last indexed it for. What this process wrote is remembered,
   * so a session saved again for the same user costs no file operation.
   */
  private async link(file: string, user: string | undefined): Promise<void> {
    const previous = this.linked.get(file)
    if (previous === user) return
    if (previous !== undefined) await removeFile(this.entryOf(file, previous))
    if (user === undefined) {
      this.linked.delete(file)
      return
    }
    const entry = this.entryOf(file, user)
    try {
      await step<void>((done) => fs.writeFile(entry, '', { flag: 'wx', mode: 0o600 }, done))
    } catch (err: any) {
      if (err.code === 'ENOENT') {
        await fs.promises.mkdir(path.dirname(entry), { recursive: true, mode: 0o700 })
        await step<void>((done) => fs.writeFile(entry, '', { flag: 'wx', mode: 0o600 }, (e) => done(e && e.code !== 'EEXIST' ? e : null)))
      } else if (err.code !== 'EEXIST') throw err
    }
    if (this.linked.size >= Math.max(this.cacheSize, 1)) this.linked.delete(this.linked.keys().next().value as string)
    this.linked.set(file, user)
  }

  /** Forget that `file` is indexed under `user` (its entry was removed), so that a later write indexes it again. */
  private forget(file: string, user: string): void {
    if (this.linked.get(file) === user) this.linked.delete(file)
  }

  /** Remove the index entry of the session of `file`. */
  private async unlink(file: string, user: string | undefined): Promise<void> {
    const known = this.linked.get(file)
    this.linked.delete(file)
    for (const name of new Set([user, known])) if (name !== undefined) await removeFile(this.entryOf(file, name))
  }

  private idOf(name: string): string | undefined {
    if (!name.endsWith(this.extension)) return undefined
    const hex = name.slice(0, name.length - this.extension.length)
    if (!/^(?:[0-9a-f]{2})+$/.test(hex)) return undefined
    const sid = Buffer.from(hex, 'hex').toString('utf8')
    // Names this store did not write (not UTF-8) are not sessions.
    return this.fileOf(sid) === this.path + path.sep + name ? sid : undefined
  }

  /** Run `work` on the file of `sid` once the directory exists; an ID that names no file gets `refused()`. */
  private withFile<T>(sid: string, work: (file: string) => Promise<T>, refused: () => T): Promise<T> {
    return attempt(() => {
      const file = this.fileOf(sid)
      return file === undefined ? refused() : this.ready.then(() => work(file))
    })
  }

  /** Rewrite a live session file with a new cookie (or just a new ttl). */
  private async retouch(sid: string, file: string, cookie: SessionRecord['cookie'] | undefined): Promise<void> {
    const stored = await this.readFile(file)
    if (!stored || stored.gone || isExpired(stored) || isForward(stored.session)) return
    const record = cookie ? { ...stored.session, cookie } : stored.session
    await this.write(file, toJson(sid, record, this.ttl))
    await this.link(file, recordMeta(record)?.user)
  }

  /** A live record, or null; an expired or corrupt file is removed. */
  private async readLive(file: string): Promise<SessionRecord | null> {
    const stored = await this.readFile(file)
    if (stored && !isExpired(stored)) return stored.gone ? null : stored.session
    if (stored !== undefined) {
      // Re-checked inside the write queue, so a fresh write is never the one removed; best effort.
      await this.serial(file, async () => {
        const again = await this.readFile(file)
        if (again === null || (again && isExpired(again))) {
          await removeFile(file)
          await this.unlink(file, again ? recordMeta(again.session)?.user : undefined)
        }
      }).catch(noop)
    }
    return null
  }

  /**
   * Remove a session file that has expired or is no session file, judging by its head:
   * sessions can be large, and a reap must not read (or parse) them whole.
   */
  private async reapFile(file: string): Promise<void> {
    if (!isDead(await readExpiry(file, this.encoding))) return
    // Re-checked inside the write queue, so a fresh write is never the one removed; best effort.
    await this.serial(file, async () => {
      if (!isDead(await readExpiry(file, this.encoding))) return
      this.cache.delete(file)
      await removeFile(file)
      this.linked.delete(file)
    }).catch(noop)
  }

  /** Remove the user index entries whose session file is gone (expired and reaped, or removed by hand). */
  private async reapIndex(dir: string): Promise<void> {
    for (const user of await readdirOrNone(dir)) {
      const names = await readdirOrNone(dir + path.sep + user)
      for (let i = 0; i < names.length; i += BATCH) {
        if (i > 0) await new Promise((resolve) => setImmediate(resolve))
        await Promise.all(
          names.slice(i, i + BATCH).map(async (name) => {
            const gone = await lstat(this.path + path.sep + name + this.extension).then(
              () => false,
              (err) => err.code === 'ENOENT'
            )
            if (!gone) return
            await removeFile(dir + path.sep + user + path.sep + name)
            // The session file is gone: a later write of it must index it again.
            this.linked.delete(this.path + path.sep + name + this.extension)
          })
        )
      }
    }
  }

  /** The parsed file; `undefined` when there is none, `null` when it is corrupt. */
  private async readFile(file: string): Promise<SessionFile | Tombstone | null | undefined> {
    let text: string
    try {
      const cached = this.cache.get(file)
      const stat = cached && (await lstat(file))
      text = cached && stat && sameFile(cached, stat) ? cached.text : await readText(file, this.encoding)
    } catch (err: any) {
      this.cache.delete(file)
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined
      // A symlink (ELOOP), a directory, a FIFO: whatever it is, it is not a session.
      if (NOT_A_FILE.includes(err.code)) return null
      throw err
    }
    return parseSessionFile(text)
  }

  /** Queue a write of `json`; sets of one file waiting for their turn are merged into one write of the last. */
  private schedule(file: string, json: string, user: string | undefined): Promise<void> {
    const waiting = this.pending.get(file)
    if (waiting) {
      waiting.json = json
      waiting.user = user
      return waiting.done!
    }
    const write: PendingWrite = { json, user }
    this.pending.set(file, write)
    write.done = this.enqueue(file, async () => {
      this.pending.delete(file)
      await this.write(file, write.json)
      await this.link(file, write.user)
    })
    return write.done
  }

  /** Write to a fresh temp file, then rename it over the session file. */
  private async write(file: string, json: string): Promise<void> {
    const temp = `${this.path}${path.sep}${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${path.basename(file)}`
    this.cache.delete(file)
    let written: Stats
    try {
      written = await writeNew(temp, json, this.encoding, this.fsync).catch(async (err) => {
        if (err.code !== 'ENOENT') throw err
        // The directory was removed under us (a tmp cleaner, a test): make it again, once.
        await (this.ready = this.makeDir())
        return writeNew(temp, json, this.encoding, this.fsync)
      })
      await step<void>((done) => fs.rename(temp, file, done))
    } catch (err) {
      await removeFile(temp).catch(noop)
      throw err
    }
    // The renamed file keeps the inode, size and mtime of what was written: a later
    // read that finds them unchanged can skip reading it again.
    if (this.cacheSize && json.length <= CACHE_MAX_TEXT) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as string)
      this.cache.set(file, { ino: written.ino, mtimeMs: written.mtimeMs, size: written.size, text: json })
    }
  }

  /**
   * Run `work` holding the file's lock file, created with O_EXCL: one process at a time. A lock
   * older than LOCK_STALE_MS was left by a crashed process and is broken.
   */
  private async locked<T>(file: string, work: () => Promise<T>): Promise<T> {
    const lock = this.path + path.sep + LOCK_PREFIX + path.basename(file)
    const deadline = Date.now() + LOCK_WAIT_MS
    for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
      try {
        const fd = await step<number>((done) => fs.open(lock, WRITE_FLAGS, 0o600, done))
        await step<void>((done) => fs.close(fd, done))
        break
      } catch (err: any) {
        if (err.code === 'ENOENT') {
          await (this.ready = this.makeDir())
          continue
        }
        if (err.code !== 'EEXIST') throw err
        const stat = await lstat(lock).catch(() => undefined)
        if (stat && Date.now() - stat.mtimeMs > LOCK_STALE_MS) {
          await removeFile(lock)
          continue
        }
        if (Date.now() > deadline) throw Object.assign(new Error(`FileStore: ${lock} is held by another process`), { code: 'ELOCKED' })
        await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random())))
      }
    }
    try {
      return await work()
    } finally {
      await removeFile(lock)
    }
  }

  /** Queue `work` after everything queued for `file`; later sets queue after it too. */
  private serial<T>(file: string, work: () => Promise<T>): Promise<T> {
    this.pending.delete(file)
    return this.enqueue(file, work)
  }

  /** Writes, removals and touches of one file run one after another, in call order. */
  private enqueue<T>(file: string, work: () => Promise<T>): Promise<T> {
    return this.queue.run(file, work)
  }

  /** Visit every directory entry, a batch at a time, giving the event loop back between batches. */
  private async eachFile(visit: (name: string, file: string) => Promise<void>): Promise<void> {
    await this.ready
    let names: string[]
    try {
      names = await fs.promises.readdir(this.path)
    } catch (err: any) {
      if (err.code === 'ENOENT') return
      throw err
    }
    for (let i = 0; i < names.length; i += BATCH) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve))
      await Promise.all(names.slice(i, i + BATCH).map((name) => visit(name, this.path + path.sep + name)))
    }
  }

  private makeDir(): Promise<unknown> {
    const made = fs.promises.mkdir(this.path, { recursive: true, mode: 0o700 })
    made.catch(noop)
    return made
  }
}

const noop = () => {}
const O_NOFOLLOW = constants.O_NOFOLLOW || 0
// O_NONBLOCK: a FIFO planted in the directory must not hang a read.
const READ_FLAGS = constants.O_RDONLY | O_NOFOLLOW | (constants.O_NONBLOCK || 0)
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW

function invalidSid(sid: string): Error {
  const err = new Error(`session id cannot be stored: ${JSON.stringify(sid.slice(0, 40))}`) as Error & { code: string }
  err.code = 'EINVALIDSID'
  return err
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A record the file format can hold: an object whose `cookie`, if any, is an object. */
function isRecord(value: unknown): value is SessionRecord {
  return isObject(value) && (value.cookie === undefined || isObject(value.cookie))
}

function toJson(sid: string, session: SessionRecord, lifetime: number): string {
  if (!isRecord(session)) throw new TypeError('session must be an object, and its cookie an object')
  const expires = expiryOf(session, lifetime)
  try {
    return JSON.stringify({ expires: Number.isFinite(expires) ? expires : null, session })
  } catch (err) {
    throw serializeError(sid, err)
  }
}

function parseSessionFile(text: string): SessionFile | Tombstone | null {
  let data: any
  try {
    data = JSON.parse(text)
  } catch {
    return null
  }
  if (isObject(data) && data.gone === true) return typeof data.expires === 'number' ? (data as Tombstone) : null
  if (!isObject(data) || !isRecord(data.session)) return null
  if (data.expires !== null && typeof data.expires !== 'number') return null
  return data as SessionFile
}

/** A forward record, written by `renew` on the old ID: nothing is merged into it or touched. */
function isForward(record: SessionRecord): boolean {
  return typeof recordMeta(record)?.renewedTo === 'string'
}

function isExpired(file: SessionFile | Tombstone): boolean {
  return file.expires !== null && file.expires <= Date.now()
}

function sameFile(cached: CachedFile, stat: Stats): boolean {
  return stat.isFile() && stat.ino === cached.ino && stat.mtimeMs === cached.mtimeMs && stat.size === cached.size
}

// The callback API: fs.promises.readFile reads in many small steps and is several times slower.
function step<T>(run: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))))
}

function readText(file: string, encoding: BufferEncoding): Promise<string> {
  return step<string>((done) => fs.readFile(file, { encoding, flag: READ_FLAGS as any }, done as any))
}

/**
 * The expiry a session file starts with (epoch ms, `Infinity` for never), read from its
 * head only; `false` when it is no session file, `undefined` when there is none.
 */
async function readExpiry(file: string, encoding: BufferEncoding): Promise<number | false | undefined> {
  const size = HEAD_CHARS * Buffer.byteLength('x', encoding) // 2 bytes a char in utf16le
  const head = Buffer.allocUnsafe(size)
  let length = 0
  try {
    const fd = await step<number>((done) => fs.open(file, READ_FLAGS, done))
    try {
      // Until the head is full or the file ends: only then is a short head the whole file.
      for (let read = -1; read !== 0 && length < size; length += read) {
        read = await step<number>((done) => fs.read(fd, head, length, size - length, length, done))
      }
    } finally {
      await step<void>((done) => fs.close(fd, done))
    }
  } catch (err: any) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined
    if (NOT_A_FILE.includes(err.code)) return false
    throw err
  }
  const text = head.toString(encoding, 0, length)
  if (length < size) {
    // The whole file: checked as fully as a read does.
    const parsed = parseSessionFile(text)
    return parsed ? (parsed.expires ?? Infinity) : false
  }
  const match = HEAD.exec(text)
  return match ? (match[1] === 'null' ? Infinity : Number(match[1])) : false
}

/** Whether the reaper removes a file of this expiry: one expired, or no session file. */
function isDead(expiry: number | false | undefined): boolean {
  return expiry === false || (expiry !== undefined && expiry <= Date.now())
}

function readdirOrNone(dir: string): Promise<string[]> {
  return fs.promises.readdir(dir).catch((err) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return []
    throw err
  })
}

function lstat(file: string): Promise<Stats> {
  return step<Stats>((done) => fs.lstat(file, done))
}

function removeFile(file: string): Promise<void> {
  return step<void>((done) => fs.unlink(file, (err) => done(err && err.code !== 'ENOENT' ? err : null)))
}

/** Remove a temp or lock file not written to for a minute: its writer has crashed. */
async function removeStaleTemp(name: string, file: string, now: number): Promise<void> {
  if (!name.startsWith(TEMP_PREFIX) && !name.startsWith(LOCK_PREFIX)) return
  const stat = await lstat(file).catch(() => undefined)
  if (stat && now - stat.mtimeMs > TEMP_MAX_AGE) await removeFile(file)
}

/** Write a file that must not exist yet, mode 0600 (fsynced if asked); resolves with its stat. */
async function writeNew(file: string, text: string, encoding: BufferEncoding, sync: boolean): Promise<Stats> {
  const fd = await step<number>((done) => fs.open(file, WRITE_FLAGS, 0o600, done))
  try {
    await step<void>((done) => fs.writeFile(fd, text, { encoding }, done))
    if (sync) await step<void>((done) => fs.fsync(fd, done))
    return await step<Stats>((done) => fs.fstat(fd, done))
  } finally {
    await step<void>((done) => fs.close(fd, done))
  }
}
