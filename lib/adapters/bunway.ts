import type { Commit, RequestAccess, RequestState, SessionEngine } from '../engine'
import { decorateRequest } from '../request'
import { startThenNext } from './start'

/**
 * Reading a bunway request: its `req.headers` is a Fetch `Headers`, so headers
 * come through `req.get`; `req.secure` already honours `trust proxy`.
 */
export const bunwayAccess: RequestAccess = {
  header(req: any, name: string) {
    return typeof req.get === 'function' ? req.get(name) : req.headers?.get?.(name) ?? undefined
  },
  encrypted(req: any) {
    const url = req.original && req.original.url
    return typeof url === 'string' && url.startsWith('https:')
  },
  originalUrl(req: any) {
    return req.originalUrl || req.url || '/'
  },
  decorate: decorateRequest
}

/** Is this a bunway response (its Response is built by `res.toResponse()`)? */
export function isBunwayResponse(res: any): boolean {
  return Boolean(res) && typeof res.toResponse === 'function'
}

type Next = (err?: any) => void

/**
 * The bunway adapter. bunway waits only for a middleware that returns a
 * promise, and builds its Response in `res.toResponse()`; so the session is
 * loaded before `next()`, and the cookie and the store write happen inside a
 * wrapped `toResponse`, which bunway awaits.
 */
export function handleBunway(engine: SessionEngine, req: any, res: any, next: Next): void | Promise<void> {
  return startThenNext(engine, req, res, bunwayAccess, next, hookToResponse)
}

function hookToResponse(state: RequestState, res: any): void {
  let pending: Promise<void> | undefined
  // toStreamingResponse may fall through to toResponse: commit only once.
  const commitOnce = (): Promise<void> | undefined => {
    if (pending) return pending
    let commit: Commit
    try {
      commit = state.commit()
    } catch (err) {
      return (pending = Promise.reject(err))
    }
    if (commit.cookie) res.append('Set-Cookie', commit.cookie)
    pending = commit.work || Promise.resolve()
    return commit.work
  }
  for (const method of ['toResponse', 'toStreamingResponse']) {
    const original = res[method]
    if (typeof original !== 'function') continue
    res[method] = function (this: any, ...args: unknown[]) {
      const work = commitOnce()
      if (!work) return original.apply(this, args)
      return work.then(() => original.apply(this, args), failedResponse)
    }
  }
}

// Past the route, bunway offers no next(err): answer 500 rather than send a
// response that claims success for data that was not saved.
function failedResponse(err: unknown): Response {
  console.error('sessionware: the session could not be saved:', err)
  return new Response('Internal Server Error', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } })
}
