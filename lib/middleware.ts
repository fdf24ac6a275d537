import { ServerResponse } from 'http'
import { handleBunway, isBunwayResponse } from './adapters/bunway'
import { handleNode } from './adapters/node'
import { SessionEngine } from './core/engine'
import { resolveOptions } from './options'
import type { SessionOptions } from './types'

/** A middleware usable by Express 4 and 5, plain node:http, and bunway. */
export type SessionMiddleware = (req: any, res: any, next: (err?: any) => void) => void | Promise<void>

/**
 * Create the session middleware. Same options, same cookie, same stored
 * records as express-session; every session method also returns a promise.
 */
export function session(options?: SessionOptions): SessionMiddleware {
  const engine = new SessionEngine(resolveOptions(options))
  return function session(req, res, next) {
    if (res instanceof ServerResponse || !isBunwayResponse(res)) return handleNode(engine, req, res, next)
    return handleBunway(engine, req, res, next)
  }
}
