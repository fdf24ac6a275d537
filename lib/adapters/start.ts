import type { RequestSession, RequestView, SessionEngine } from '../core/engine'

type Next = (err?: any) => void

/**
 * The `(req, res, next)` side shared by the Node and bunway adapters: start
 * the session, let `hold(state)` decorate the request and hook the response,
 * then call `next()`; any
 * error goes to `next(err)`. When the store has to be asked, the returned
 * promise settles after `next()` was called (bunway waits for it; Express
 * ignores it) and never rejects.
 */
export function startThenNext(
  engine: SessionEngine,
  req: any,
  view: RequestView,
  next: Next,
  hold: (state: RequestSession) => void
): void | Promise<void> {
  let started: RequestSession | Promise<RequestSession> | undefined
  try {
    started = engine.start(req, view)
  } catch (err) {
    return next(err)
  }
  if (!started) return next()
  if (started instanceof Promise) {
    return started
      .then((state) => {
        hold(state)
        next()
      })
      .catch(next)
  }
  hold(started)
  next()
}
