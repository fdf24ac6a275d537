import { afterCommit, type Commit, type RequestSession, type SessionEngine } from '../core/engine'
import { debug } from '../debug'
import { decorateRequest, ExpressStyleView } from './request'
import { startThenNext } from './start'

/**
 * What the engine reads from a bunway request: its `req.headers` is a Fetch
 * `Headers`, so headers come through `req.get`.
 */
class BunwayRequestView extends ExpressStyleView {
  readonly cookieHeader: string | undefined

  constructor(req: any) {
    super(req)
    this.cookieHeader = this.header('cookie')
  }

  encrypted(): boolean {
    const url = this.req.original && this.req.original.url
    return typeof url === 'string' && url.startsWith('https:')
  }

  forwardedProto(): string | undefined {
    return this.header('x-forwarded-proto')
  }

  private header(name: string): string | undefined {
    const req = this.req
    return (typeof req.get === 'function' ? req.get(name) : req.headers?.get?.(name)) ?? undefined
  }
}

/** Is this a bunway response (its Response is built by `res.toResponse()`)? */
export function isBunwayResponse(res: any): boolean {
  return Boolean(res) && typeof res.toResponse === 'function'
}

type Next = (err?: any) => void

/**
 * The bunway adapter. bunway waits only for a middleware that returns a
 * promise, and builds its Response in `res.toResponse()`; so the session is
 * loaded before `next()`, and the commit happens inside a wrapped
 * `toResponse`, which bunway awaits (see ../shared/docs/bunway.md).
 */
export function handleBunway(engine: SessionEngine, req: any, res: any, next: Next): void | Promise<void> {
  return startThenNext(engine, req, new BunwayRequestView(req), next, (state) => {
    decorateRequest(req)
    holdToResponse(engine, state, res)
  })
}

function holdToResponse(engine: SessionEngine, state: RequestSession, res: any): void {
  let commit: Commit | undefined
  for (const method of ['toResponse', 'toStreamingResponse']) {
    const original = res[method]
    if (typeof original !== 'function') continue
    res[method] = function (this: any, ...args: unknown[]) {
      // toStreamingResponse may fall through to toResponse: commit only once.
      if (commit !== undefined) return original.apply(this, args)
      commit = state.commit()
      const respond = () => {
        if (commit!.cookie) res.append('Set-Cookie', commit!.cookie)
        return original.apply(this, args)
      }
      const failed = (err: unknown) => {
        // Past the route, bunway has no next(err): a 500, or (onSaveError: 'respond') a log line.
        debug('commit failed after the route: %s', err)
        if (engine.options.onSaveError !== 'respond') return errorResponse(err)
        console.error('sessionware: the session could not be committed:', err)
        return respond()
      }
      return afterCommit(commit, (problem) => (problem === undefined ? respond() : failed(problem)))
    }
  }
}

function errorResponse(err: unknown): Response {
  console.error('sessionware: the session could not be committed:', err)
  return new Response('Internal Server Error', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } })
}
