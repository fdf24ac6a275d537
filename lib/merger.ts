import { applyPatch } from './core/changes'
import { debug } from './debug'
import { KeyedQueue } from './keyed-queue'
import { canMerge, type BridgedStore } from './store-bridge'
import type { MergeOutcome, SessionPatch } from './types'

// How many session IDs one middleware remembers (as gone, or as written by this process).
const REMEMBERED = 10_000

/**
 * Where a loaded session's save goes: the store's own atomic `merge` when it
 * has one (and its `get`/`set` are its own), else a read-merge-write through
 * `get` and `set`, one at a time per ID in this process. Also remembers which
 * IDs this middleware destroyed, so that no slower request writes them back,
 * whatever the store (the stores of sessionware remember it themselves too,
 * across processes).
 */
export class SessionMerger {
  /** Destroyed IDs, to the time (epoch ms) they may be used again; oldest first. */
  private readonly gone = new Map<string, number>()
  /** For each ID, the number of this process's last write of it (see `mark`). */
  private readonly writes = new Map<string, number>()
  private writeCount = 0
  /** Writes numbered up to this one are not in `writes` (forgotten, or not tracked per ID). */
  private forgottenUpTo = 0
  private readonly queue = new KeyedQueue()

  constructor(
    private readonly store: BridgedStore,
    private readonly tombstoneMs: number
  ) {}

  /** Taken when a request reads a session: `merge` learns from it whether this process wrote the session since. */
  mark(): number {
    return this.writeCount
  }

  /**
   * The request writes `sid` as a whole (a new session, a new ID): it is not
   * gone. No request can have loaded it before, so it is no write to watch for.
   */
  created(sid: string): void {
    if (this.gone.size > 0) this.gone.delete(sid)
  }

  /** `sid` was destroyed: merges and touches of it are dropped for `tombstoneMs`. */
  destroyed(sid: string): void {
    this.gone.delete(sid)
    this.gone.set(sid, Date.now() + this.tombstoneMs)
    if (this.gone.size > REMEMBERED) this.gone.delete(this.gone.keys().next().value as string)
    this.wrote(sid)
  }

  isGone(sid: string): boolean {
    const until = this.gone.get(sid)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.gone.delete(sid)
    return false
  }

  /** Apply a request's changes to `sid` as stored now; `mark` is what `mark()` gave when it read the session. */
  merge(sid: string, patch: SessionPatch, mark: number): Promise<MergeOutcome> {
    if (this.isGone(sid)) {
      debug('not saving %s: destroyed meanwhile', sid)
      return Promise.resolve('gone')
    }
    const store = this.store.store
    if (canMerge(store)) {
      // Not tracked per ID (a map write per save costs the collector): should the store's set be replaced
      // later, every request that read its session before now reads it again before writing.
      this.forgottenUpTo = ++this.writeCount
      return this.store.optional<MergeOutcome>('merge', [sid, patch])
    }
    return this.serial(sid, () => this.readMergeWrite(sid, patch, mark))
  }

  /**
   * Correct within this process. When no request of this process wrote the
   * session since this one read it, the request's own copy is the merge: one
   * `set`, the very calls express-session makes.
   */
  private async readMergeWrite(sid: string, patch: SessionPatch, mark: number): Promise<MergeOutcome> {
    if (this.isGone(sid)) return 'gone'
    if (!this.writtenSince(sid, mark)) {
      this.wrote(sid)
      await this.store.set(sid, patch.record)
      return 'merged'
    }
    const stored = await this.store.get(sid)
    if (this.isGone(sid)) return 'gone'
    this.wrote(sid)
    await this.store.set(sid, stored ? applyPatch(stored, patch) : patch.record)
    return stored ? 'merged' : 'created'
  }

  private wrote(sid: string): void {
    const writes = this.writes
    writes.delete(sid)
    writes.set(sid, ++this.writeCount)
    if (writes.size > REMEMBERED) {
      const [oldest, count] = writes.entries().next().value as [string, number]
      writes.delete(oldest)
      this.forgottenUpTo = count
    }
  }

  private writtenSince(sid: string, mark: number): boolean {
    if (this.forgottenUpTo > mark) return true
    const count = this.writes.get(sid)
    return count !== undefined && count > mark
  }

  private serial<T>(sid: string, work: () => Promise<T>): Promise<T> {
    return this.queue.run(sid, work)
  }
}
