import { ServerResponse } from 'http'
import { handleBunway, isBunwayResponse } from './adapters/bunway'
import { handleNode } from './adapters/node'
import { SessionEngine } from './core/engine'
import { resolveOptions } from './options'
import { SessionService } from './service'
import type { SessionOptions } from './types'

/** A middleware usable by Express 4 and 5, plain node:http, and bunway. */
export type SessionMiddleware = ((req: any, res: any, next: (err?: any) => void) => void | Promise<void>) & {
  /** Sessions by ID outside a request, with this middleware's store and options. */
  readonly service: SessionService
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
  const service = new SessionService(undefined, { options: engine.options, store: engine.store })
  return Object.assign(middleware, { service })
}
