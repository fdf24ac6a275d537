import { randomBytes } from 'crypto'
import fsCallbacks, { constants, promises as fs } from 'fs'
import path from 'path'
import { settle, type Callback } from '../lib/callback'
import { checkSid, expiryOf, serializeError } from '../lib/record'
import { Store } from '../lib/store'
import { PROMISE_API } from '../lib/store-bridge'
import type { SessionRecord } from '../lib/types'

export interface FileStoreOptions {
  /** The directory sessions are kept in; created (mode 0700) if missing. Default `./sessions`. */
  path?: string
  /** Lifetime in ms of sessions whose cookie has no expiry. Default 24 hours. */
  ttl?: number
  /** File name extension of session files. Default `.json`. */
  fileExtension?: string
  /** Text encoding of session files. Default `utf8`. */
  encoding?: BufferEncoding
  /** How often expired sessions and stale temp files are removed, in ms (default 1 hour); `false` turns it off. */
  reapInterval?: number | false
  /** fsync each file before it replaces the old one: survives power loss, at a cost. Default `false`. */
  fsync?: boolean
  /**
   * How many recently written files this process remembers (default 1000, `0` for none). A
   * remembered file is still checked against the disk (one lstat) on every read, so writes by other
   * processes are always seen.
   */
  cacheSize?: number
}

/** bun-router's spelling: `fileStore({ path, encoding, fileExtension })`. */
export function fileStore(options?: FileStoreOptions): FileStore {
  return new FileStore(options)
}

interface CachedFile {
  ino: number
  mtimeMs: number
  size: number
  text: string
}

/** What a session file holds: its expiry (epoch ms, `null` for never) and the record as stored. */
interface SessionFile {
  expires: number | null
  session: SessionRecord
}

const DAY = 24 * 3600 * 1000
// Session IDs are hex-encoded into file names: lossless, free of path
// separators, dots and device names, and safe on case-insensitive file systems.
const MAX_ID_BYTES = 100
const TEMP_PREFIX = '.tmp-'
const TEMP_MAX_AGE = 60_000
const BATCH = 64
const O_NOFOLLOW = constants.O_NOFOLLOW || 0

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
  private readonly queues = new Map<string, Promise<unknown>>()
  private readonly cache = new Map<string, CachedFile>()
  private readonly cacheSize: number
  private readonly ready: Promise<unknown>
  private reapTimer: ReturnType<typeof setInterval> | undefined

  constructor(options: FileStoreOptions = {}) {
    super()
    this.path = path.resolve(options.path || './sessions')
    this.ttl = options.ttl && options.ttl > 0 ? options.ttl : DAY
    this.extension = options.fileExtension ?? '.json'
    if (!/^(\.[A-Za-z0-9_-]+)*$/.test(this.extension)) throw new TypeError(`fileExtension is invalid: ${this.extension}`)
    this.encoding = options.encoding || 'utf8'
    this.fsync = Boolean(options.fsync)
    this.cacheSize = options.cacheSize === undefined ? 1000 : Math.max(0, options.cacheSize)
    this.ready = fs.mkdir(this.path, { recursive: true, mode: 0o700 })
    this.ready.catch(() => {})
    const interval = options.reapInterval === undefined ? 3600_000 : options.reapInterval
    if (interval && interval > 0) {
      this.reapTimer = setInterval(() => void this.reap().catch((err) => this.emit('error', err)), interval)
      this.reapTimer.unref?.()
    }
  }

  get(sid: string, callback?: Callback<SessionRecord | null>): Promise<SessionRecord | null> {
    return settle(this.withFile(sid, null, (file) => this.readLive(sid, file)), callback)
  }

  /** Store a record; a number as third argument is a lifetime in ms for a record without cookie expiry. */
  set(sid: string, session: SessionRecord, callback?: Callback): Promise<void>
  set(sid: string, session: SessionRecord, maxAge?: number, callback?: Callback): Promise<void>
  set(sid: string, session: SessionRecord, maxAgeOrCallback?: number | Callback, callback?: Callback): Promise<void> {
    const lifetime = typeof maxAgeOrCallback === 'number' ? maxAgeOrCallback : this.ttl
    const done = typeof maxAgeOrCallback === 'function' ? maxAgeOrCallback : callback
    const work = this.withFile(sid, undefined, (file) => {
      if (!session || typeof session !== 'object') throw new TypeError('session must be an object')
      const expires = expiryOf(session, lifetime)
      let json: string
      try {
        json = JSON.stringify({ expires: Number.isFinite(expires) ? expires : null, session })
      } catch (err) {
        throw serializeError(sid, err)
      }
      return this.serial(file, () => this.write(file, json))
    })
    return settle(work, done)
  }

  destroy(sid: string, callback?: Callback): Promise<void> {
    return settle(this.withFile(sid, undefined, (file) => this.serial(file, () => removeFile(file))), callback)
  }

  /** Refresh a session's expiry from `session.cookie`, keeping the data on disk (not the request's snapshot). */
  touch(sid: string, session: SessionRecord, callback?: Callback): Promise<void> {
    const work = this.withFile(sid, undefined, (file) =>
      this.serial(file, async () => {
        const stored = await this.readFile(file)
        if (!stored || isExpired(stored)) return
        const record = session && session.cookie ? { ...stored.session, cookie: session.cookie } : stored.session
        const expires = expiryOf(record as SessionRecord, this.ttl)
        await this.write(file, JSON.stringify({ expires: Number.isFinite(expires) ? expires : null, session: record }))
      })
    )
    return settle(work, callback)
  }

  /** Every live session, keyed by session ID. */
  all(callback?: Callback<Record<string, SessionRecord>>): Promise<Record<string, SessionRecord>> {
    const work = this.scan(async (sid, file, result: Record<string, SessionRecord>) => {
      const record = await this.readLive(sid, file)
      if (record) result[sid] = record
    }, Object.create(null))
    return settle(work, callback)
  }

  length(callback?: Callback<number>): Promise<number> {
    return settle(
      this.all().then((sessions) => Object.keys(sessions).length),
      callback
    )
  }

  clear(callback?: Callback): Promise<void> {
    const work = this.ready.then(async () => {
      const names = await fs.readdir(this.path)
      await inBatches(
        names.filter((name) => this.idOf(name) !== undefined || name.startsWith(TEMP_PREFIX)),
        (name) => removeFile(path.join(this.path, name))
      )
    })
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
  async reap(): Promise<void> {
    await this.ready
    const names = await fs.readdir(this.path)
    const now = Date.now()
    await inBatches(names, async (name) => {
      const file = path.join(this.path, name)
      if (name.startsWith(TEMP_PREFIX)) {
        const stat = await fs.lstat(file).catch(() => undefined)
        if (stat && now - stat.mtimeMs > TEMP_MAX_AGE) await removeFile(file)
        return
      }
      const sid = this.idOf(name)
      if (sid !== undefined) await this.readLive(sid, file)
    })
  }

  /** The session file for `sid`, or undefined when the ID cannot name one. */
  fileOf(sid: string): string | undefined {
    checkSid(sid)
    const hex = Buffer.from(sid, 'utf8').toString('hex')
    if (hex.length === 0 || hex.length > MAX_ID_BYTES * 2) return undefined
    return path.join(this.path, hex + this.extension)
  }

  private idOf(name: string): string | undefined {
    if (!name.endsWith(this.extension)) return undefined
    const hex = name.slice(0, name.length - this.extension.length)
    if (!/^(?:[0-9a-f]{2})+$/.test(hex)) return undefined
    return Buffer.from(hex, 'hex').toString('utf8')
  }

  /** Run `work` with the file of `sid`; an ID that names no file answers `refused` (or fails, when undefined). */
  private withFile<T>(sid: string, refused: T | undefined, work: (file: string) => Promise<T>): Promise<T> {
    try {
      const file = this.fileOf(sid)
      if (file === undefined) {
        if (refused !== undefined) return Promise.resolve(refused)
        const err = new Error(`session id cannot be stored: ${JSON.stringify(sid.slice(0, 40))}`) as Error & { code: string }
        err.code = 'EINVALIDSID'
        throw err
      }
      return this.ready.then(() => work(file))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** A live record, or null; an expired or corrupt file is removed. */
  private async readLive(sid: string, file: string): Promise<SessionRecord | null> {
    const stored = await this.readFile(file)
    if (stored && !isExpired(stored)) return stored.session
    if (stored !== undefined) {
      // Re-check inside the write queue, so a fresh write is never the one removed.
      await this.serial(file, async () => {
        const again = await this.readFile(file)
        if (again === null || (again && isExpired(again))) await removeFile(file)
      })
    }
    return null
  }

  /** The parsed file; `undefined` when there is none, `null` when it is corrupt. */
  private async readFile(file: string): Promise<SessionFile | null | undefined> {
    let text: string
    try {
      const cached = this.cache.get(file)
      const stat = cached && (await lstat(file))
      if (cached && stat && sameFile(cached, stat)) {
        text = cached.text
      } else {
        text = await readText(file, this.encoding)
      }
    } catch (err: any) {
      this.cache.delete(file)
      if (err && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return undefined
      // A symlink (ELOOP), a directory, a FIFO: whatever it is, it is not a session.
      if (err && (err.code === 'ELOOP' || err.code === 'EISDIR' || err.code === 'EAGAIN' || err.code === 'EMLINK')) return null
      throw err
    }
    return parseSessionFile(text)
  }

  private async write(file: string, json: string): Promise<void> {
    const temp = path.join(this.path, `${TEMP_PREFIX}${path.basename(file)}-${randomBytes(6).toString('hex')}`)
    this.cache.delete(file)
    let written: fsCallbacks.Stats
    try {
      written = await writeNew(temp, json, this.encoding, this.fsync)
      await new Promise<void>((resolve, reject) => fsCallbacks.rename(temp, file, (err) => (err ? reject(err) : resolve())))
    } catch (err) {
      await removeFile(temp)
      throw err
    }
    // The renamed file keeps the inode and mtime of what was written: a later
    // read that finds them unchanged can skip reading it again.
    if (this.cacheSize) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as string)
      this.cache.set(file, { ino: written.ino, mtimeMs: written.mtimeMs, size: written.size, text: json })
    }
  }

  /** Writes (and removals) of one file run one after another, in call order. */
  private serial<T>(file: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(file) || Promise.resolve()
    const next = previous.then(work, work)
    const settled = next.then(
      () => {},
      () => {}
    )
    this.queues.set(file, settled)
    settled.then(() => {
      if (this.queues.get(file) === settled) this.queues.delete(file)
    })
    return next
  }

  private async scan<R>(visit: (sid: string, file: string, result: R) => Promise<void>, result: R): Promise<R> {
    await this.ready
    const names = await fs.readdir(this.path)
    await inBatches(names, async (name) => {
      const sid = this.idOf(name)
      if (sid !== undefined) await visit(sid, path.join(this.path, name), result)
    })
    return result
  }
}

;(FileStore.prototype as any)[PROMISE_API] = true

// The callback API: fs.promises.readFile reads in many small steps and is several times slower.
const READ_FLAGS = constants.O_RDONLY | O_NOFOLLOW | (constants.O_NONBLOCK || 0)
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW

function readText(file: string, encoding: BufferEncoding): Promise<string> {
  return new Promise((resolve, reject) =>
    fsCallbacks.readFile(file, { encoding, flag: READ_FLAGS as any }, (err, text) => (err ? reject(err) : resolve(text as string)))
  )
}

function lstat(file: string): Promise<fsCallbacks.Stats> {
  return new Promise((resolve, reject) => fsCallbacks.lstat(file, (err, stat) => (err ? reject(err) : resolve(stat))))
}

function sameFile(cached: CachedFile, stat: fsCallbacks.Stats): boolean {
  return stat.isFile() && stat.ino === cached.ino && stat.mtimeMs === cached.mtimeMs && stat.size === cached.size
}

/** Write a file that must not exist yet, mode 0600 (fsynced if asked); resolves with its stat. */
function writeNew(file: string, text: string, encoding: BufferEncoding, sync: boolean): Promise<fsCallbacks.Stats> {
  const step = <T>(run: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))))
  return step<number>((done) => fsCallbacks.open(file, WRITE_FLAGS, 0o600, done)).then(async (fd) => {
    try {
      await step((done) => fsCallbacks.writeFile(fd, text, { encoding }, done))
      if (sync) await step((done) => fsCallbacks.fsync(fd, done))
      return await step<fsCallbacks.Stats>((done) => fsCallbacks.fstat(fd, done))
    } finally {
      await step((done) => fsCallbacks.close(fd, done))
    }
  })
}

function parseSessionFile(text: string): SessionFile | null {
  let data: any
  try {
    data = JSON.parse(text)
  } catch {
    return null
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return null
  const { expires, session } = data
  if (!session || typeof session !== 'object' || Array.isArray(session)) return null
  if (expires !== null && typeof expires !== 'number') return null
  if ('cookie' in session && (!session.cookie || typeof session.cookie !== 'object')) return null
  return { expires, session }
}

function isExpired(file: SessionFile): boolean {
  return file.expires !== null && file.expires <= Date.now()
}

function removeFile(file: string): Promise<void> {
  return new Promise((resolve, reject) =>
    fsCallbacks.unlink(file, (err) => (err && err.code !== 'ENOENT' ? reject(err) : resolve()))
  )
}

// A few files at a time, giving the event loop back between batches.
async function inBatches<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    await Promise.all(items.slice(i, i + BATCH).map(work))
    if (i + BATCH < items.length) await new Promise((resolve) => setImmediate(resolve))
  }
}
