import type { RequestAccess, RequestState, SessionEngine } from '../engine'

type Next = (err?: any) => void

/**
 * The `(req, res, next)` side shared by the Node and bunway adapters: start
 * the session, let `hook(state, res, next)` wrap the response, then call
 * `next()`; any error goes to `next(err)`. When the store has to be asked,
 * the returned promise settles after `next()` was called (bunway waits for
 * it; Express ignores it) and never rejects.
 */
export function startThenNext<Res>(
  engine: SessionEngine,
  req: any,
  res: Res,
  access: RequestAccess,
  next: Next,
  hook: (state: RequestState, res: Res, next: Next) => void
): void | Promise<void> {
  let started: RequestState | Promise<RequestState> | undefined
  try {
    started = engine.start(req, access)
  } catch (err) {
    return next(err)
  }
  if (!started) return next()
  if (started instanceof Promise) {
    return started.then((state) => {
      hook(state, res, next)
      next()
    }).catch(next)
  }
  hook(started, res, next)
  next()
}
