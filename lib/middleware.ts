import { ServerResponse } from 'http'
import { handleBunway, isBunwayResponse } from './adapters/bunway'
import { handleNode } from './adapters/node'
import { SessionEngine } from './core/engine'
import type { SessionEvents } from './events'
import { resolveOptions } from './options'
import type { SessionService } from './service'
import type { SessionOptions } from './types'

/** A middleware usable by Express 4 and 5, plain node:http, and bunway. */
export type SessionMiddleware = ((req: any, res: any, next: (err?: any) => void) => void | Promise<void>) & {
  /** Sessions outside a request, with this middleware's store and options: by ID (`create`, `get`, `update`, `touch`, `destroy`) and by user (`list`, `destroyAll`, need `userKey`). */
  readonly service: SessionService
  /** `created`, `loaded`, `saved`, `touched`, `regenerated`, `renewed`, `destroyed`, `expired`, `timeout`. */
  readonly events: SessionEvents
}

/**
 * Create the session middleware. Same options, same cookie, same stored
 * records as express-session; every session method also returns a promise.
 */
export function session(options?: SessionOptions): SessionMiddleware {
  const engine = new SessionEngine(resolveOptions(options))
  const middleware = function session(req: any, res: any, next: (err?: any) => void) {
    if (res instanceof ServerResponse || !isBunwayResponse(res)) return handleNode(engine, req, res, next)
    return handleBunway(engine, req, res, next)
  }
  return Object.assign(middleware, { service: engine.service, events: engine.events })
}
