import { createHash } from 'crypto'
import { EventEmitter } from 'events'
import { debug } from './debug'

/** Why a session was ended when it was loaded. */
export type ExpiryReason = 'idle' | 'absolute' | 'cookie'

/** What every event carries. */
export interface SessionEventBase {
  /**
   * The session ID, hashed: the first 16 hex digits of its SHA-256. Enough to
   * follow one session through the logs, useless to take it over.
   */
  id: string
  /** The request (absent for calls made outside a request: `middleware.service`). */
  req: any
}

/** The events of `middleware.events`, with what each one carries. */
export interface SessionEventMap {
  /** A request was given a new session (it is stored only if it is saved). */
  created: [SessionEventBase]
  /** A session was loaded from the store. */
  loaded: [SessionEventBase]
  /** A session was written to the store. */
  saved: [SessionEventBase]
  /** A session's expiry was refreshed in the store. */
  touched: [SessionEventBase]
  /** A session was replaced by a new, empty one (`regenerate`); `id` is the old one's, `newId` the new one's. */
  regenerated: [SessionEventBase & { newId: string }]
  /** A session got a new ID and kept its data (`renew`); `id` is the old one's, `newId` the new one's. */
  renewed: [SessionEventBase & { newId: string }]
  /** A session was destroyed (by the app, `unset: 'destroy'`, or `service.destroyAll`). */
  destroyed: [SessionEventBase]
  /** A session was found expired when loaded, and destroyed. */
  expired: [SessionEventBase & { reason: ExpiryReason }]
  /** A store call did not answer within `storeTimeout`. */
  timeout: [SessionEventBase & { method: string }]
}

export type SessionEventName = keyof SessionEventMap

/**
 * `middleware.events`: an EventEmitter typed by `SessionEventMap`, one per
 * middleware. A listener that throws (or rejects) is reported on the
 * `sessionware` debug line and as a process warning; the request goes on.
 */
export class SessionEvents extends EventEmitter {
  override on<E extends SessionEventName>(event: E, listener: (...args: SessionEventMap[E]) => unknown): this
  override on(event: string | symbol, listener: (...args: any[]) => void): this
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener)
  }

  override once<E extends SessionEventName>(event: E, listener: (...args: SessionEventMap[E]) => unknown): this
  override once(event: string | symbol, listener: (...args: any[]) => void): this
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener)
  }

  override off<E extends SessionEventName>(event: E, listener: (...args: SessionEventMap[E]) => unknown): this
  override off(event: string | symbol, listener: (...args: any[]) => void): this
  override off(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.off(event, listener)
  }

  /** Whether anything listens to `event`: the engine builds no event, and hashes no ID, otherwise. */
  wants(event: SessionEventName): boolean {
    return this.listenerCount(event) > 0
  }

  /**
   * Call each listener of `event` with `payload`, the raw session ID hashed
   * into `id`. A throwing listener neither stops the others nor the request.
   */
  notify<E extends SessionEventName>(event: E, sid: string, req: unknown, extra?: Omit<SessionEventMap[E][0], 'id' | 'req'>): void {
    if (this.listenerCount(event) === 0) return
    const payload = { ...extra, id: hashId(sid), req } as SessionEventMap[E][0]
    if ('newId' in payload) (payload as any).newId = hashId((payload as any).newId)
    for (const listener of this.rawListeners(event)) {
      try {
        const result = (listener as Function).call(this, payload)
        if (result && typeof result.then === 'function') result.then(undefined, (err: unknown) => report(event, err))
      } catch (err) {
        report(event, err)
      }
    }
    // once() listeners: rawListeners gives their wrappers, which removed themselves when called.
  }
}

/** The first 16 hex digits of the SHA-256 of a session ID. */
export function hashId(sid: string): string {
  return createHash('sha256').update(String(sid)).digest('hex').slice(0, 16)
}

function report(event: string, err: unknown): void {
  debug('a listener of %s threw: %s', event, err instanceof Error ? err.message : String(err))
  process.emitWarning(`a listener of the session "${event}" event threw: ${err instanceof Error ? err.message : String(err)}`, {
    type: 'SessionwareListenerError'
  })
}
