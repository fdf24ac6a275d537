import { settle, type Callback } from './callback'
import type { SessionEngine } from './core/engine'
import { recordMeta, userOf } from './core/meta'
import { expiryReason } from './core/timeouts'
import { SessionError } from './errors'
import type { SessionRecord } from './types'

/** One session of a user, as `service.list` gives it. */
export interface UserSession {
  /** The session ID (as the store keys it: treat it as a secret). */
  id: string
  /** When the session was created (epoch ms), if known. */
  created: number | undefined
  /** When it was last used (epoch ms, to within a tenth of `idleTimeout`), if known. */
  used: number | undefined
}

export interface DestroyAllOptions {
  /** Session IDs to keep: "log out other devices" passes `req.sessionID`. */
  except?: string | string[]
}

/**
 * `middleware.service`: what an app does with sessions outside a request.
 * `list` and `destroyAll` need the `userKey` option; they use the store's
 * user index (`userSessions`) when it has one, else search `all()`.
 */
export class SessionService {
  constructor(private readonly engine: SessionEngine) {}

  /** The live sessions of `user`, oldest first. */
  list(user: string | number, callback?: Callback<UserSession[]>): Promise<UserSession[]> {
    const work = this.sessionsOf(user).then((sessions) =>
      Object.keys(sessions)
        .map((id) => {
          const meta = recordMeta(sessions[id])
          return { id, created: meta && meta.created, used: meta && meta.used }
        })
        .sort((a, b) => (a.created ?? 0) - (b.created ?? 0))
    )
    return settle(work, callback)
  }

  /** Destroy every session of `user` but those in `except`; resolves with how many were destroyed. */
  destroyAll(user: string | number, options?: DestroyAllOptions | Callback<number>, callback?: Callback<number>): Promise<number> {
    if (typeof options === 'function') {
      callback = options
      options = undefined
    }
    const except = new Set(([] as unknown[]).concat(options?.except ?? []))
    const work = this.list(user).then(async (sessions) => {
      const ended = sessions.filter((session) => !except.has(session.id))
      await this.destroyEach(ended.map((session) => session.id), undefined)
      return ended.length
    })
    return settle(work, callback)
  }

  /** End the oldest sessions of `user` past `maxSessionsPerUser`, never `current`. */
  async enforceLimit(user: string, current: string, req: unknown): Promise<void> {
    const max = this.engine.options.maxSessionsPerUser
    if (max === undefined) return
    const sessions = await this.list(user)
    const others = sessions.filter((session) => session.id !== current)
    const excess = others.length + 1 - max
    if (excess > 0) await this.destroyEach(others.slice(0, excess).map((session) => session.id), req)
  }

  private async destroyEach(ids: string[], req: unknown): Promise<void> {
    const { store, events } = this.engine
    await Promise.all(
      ids.map((id) =>
        store.destroy(id, req).then(() => {
          events.notify('destroyed', id, req)
        })
      )
    )
  }

  /** The user's live sessions; expired ones met on the way are destroyed. */
  private async sessionsOf(user: string | number): Promise<Record<string, SessionRecord>> {
    const { options, store } = this.engine
    const userKey = options.userKey
    if (userKey === undefined) throw new SessionError('ENOUSERINDEX', 'listing the sessions of a user needs the userKey option')
    if ((typeof user !== 'string' && typeof user !== 'number') || user === '') throw new TypeError('user must be a non-empty string or a number')
    const name = String(user)
    let sessions: Record<string, SessionRecord>
    const kind = store.userIndex()
    if (kind === 'index') sessions = await store.userSessions(name)
    else if (kind === 'all') {
      const every = await store.all()
      sessions = Object.create(null)
      for (const id of Object.keys(every)) {
        const record = every[id]
        if (record && typeof record === 'object' && userOf(record, userKey) === name) sessions[id] = record
      }
    } else {
      throw new SessionError('ENOUSERINDEX', 'the session store has no user index (userSessions) and no all(): it cannot list the sessions of a user')
    }
    const now = Date.now()
    const live: Record<string, SessionRecord> = Object.create(null)
    const expired: string[] = []
    for (const id of Object.keys(sessions)) {
      const record = sessions[id]
      if (expiryReason(recordMeta(record), record.cookie && record.cookie.expires, options, now)) expired.push(id)
      else live[id] = record
    }
    await Promise.all(expired.map((id) => store.destroy(id)))
    return live
  }
}
