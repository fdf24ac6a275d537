import { IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'http'
import { decorateRequest } from '../request'
import { decorateNodeRequest } from './node-request'
import type { RequestAccess, RequestState, SessionEngine } from '../engine'
import { startThenNext } from './start'

/** Reading a Node `IncomingMessage` (plain node:http, Express 4 and 5, Express on Bun). */
export const nodeAccess: RequestAccess = {
  header(req: IncomingMessage, name: string) {
    const value = req.headers[name]
    return Array.isArray(value) ? value.join(', ') : value
  },
  encrypted(req: any) {
    return Boolean((req.socket && req.socket.encrypted) || (req.connection && req.connection.encrypted))
  },
  originalUrl(req: any) {
    return req.originalUrl || req.url || '/'
  },
  decorate(req: any, store: unknown) {
    if (req instanceof IncomingMessage) decorateNodeRequest(req, store)
    else decorateRequest(req, store)
  }
}

type Next = (err?: any) => void

/**
 * The Node adapter: loads the session, then adds the cookie when the headers
 * go out and holds `res.end` until the store has answered. A store failure
 * reaches `next(err)`, so the app's error handler answers instead.
 */
export function handleNode(engine: SessionEngine, req: any, res: ServerResponse, next: Next): void | Promise<void> {
  return startThenNext(engine, req, nodeAccess, next, (state) => {
    hooks.set(res, new ResponseHook(state, next, res.writeHead, res.end))
    res.writeHead = writeHeadWithSession as any
    res.end = endWithSession as any
  })
}

// Kept aside rather than on `res`: each property added to an Express
// response costs microseconds (see node-request.ts).
const hooks = new WeakMap<ServerResponse, ResponseHook>()

// One object per request holds what the patched writeHead/end need; the
// functions themselves are shared, so a request allocates no closures.
class ResponseHook {
  addedCookie: string | undefined
  reported = false

  constructor(
    readonly state: RequestState,
    readonly next: Next,
    readonly writeHead: ServerResponse['writeHead'],
    readonly end: ServerResponse['end']
  ) {}

  addCookie(res: ServerResponse, line: string | undefined): void {
    if (!line) return
    this.addedCookie = line
    const previous = res.getHeader('Set-Cookie')
    res.setHeader('Set-Cookie', previous === undefined ? [line] : ([] as any[]).concat(previous, line))
  }

  report(err: unknown): void {
    if (this.reported) return
    this.reported = true
    process.nextTick(this.next, err)
  }

  // Before the headers went out, the error handler answers in place of the
  // response; after, the response is finished and the error still reported.
  fail(res: ServerResponse, err: unknown, chunk: any, encoding: any, callback: any): ServerResponse {
    if (res.headersSent) {
      this.end.call(res, chunk, encoding, callback)
    } else if (this.addedCookie !== undefined) {
      const lines = ([] as any[]).concat(res.getHeader('Set-Cookie') || []).filter((line) => line !== this.addedCookie)
      if (lines.length) res.setHeader('Set-Cookie', lines)
      else res.removeHeader('Set-Cookie')
    }
    this.report(err)
    return res
  }
}

function writeHeadWithSession(this: ServerResponse, statusCode: number, reason?: any, headers?: any): ServerResponse {
  const hook = hooks.get(this)!
  this.writeHead = hook.writeHead as any
  // Headers passed to writeHead() win over setHeader(); apply them first so
  // the session cookie is added to them, not replaced by them (as on-headers does).
  if (typeof reason !== 'string') {
    headers = reason
    reason = undefined
  }
  try {
    if (headers) applyHeaders(this, headers)
    hook.addCookie(this, hook.state.headerCookie())
  } catch (err) {
    hook.report(err)
  }
  return reason === undefined ? hook.writeHead.call(this, statusCode) : hook.writeHead.call(this, statusCode, reason)
}

function endWithSession(this: ServerResponse, chunk?: any, encoding?: any, callback?: any): ServerResponse {
  const hook = hooks.get(this)!
  this.end = hook.end as any
  let commit
  try {
    commit = hook.state.commit()
    if (!this.headersSent) hook.addCookie(this, commit.cookie)
  } catch (err) {
    return hook.fail(this, err, chunk, encoding, callback)
  }
  if (!commit.work) return hook.end.call(this, chunk, encoding, callback)
  commit.work.then(
    () => hook.end.call(this, chunk, encoding, callback),
    (err) => hook.fail(this, err, chunk, encoding, callback)
  )
  return this
}

function applyHeaders(res: ServerResponse, headers: OutgoingHttpHeaders | any[]): void {
  if (Array.isArray(headers)) {
    const pairs = Array.isArray(headers[0]) ? headers : chunk(headers)
    for (const [key, value] of pairs) res.setHeader(key, value)
  } else {
    for (const key of Object.keys(headers)) {
      const value = headers[key]
      if (value !== undefined) res.setHeader(key, value)
    }
  }
}

function chunk(flat: any[]): any[][] {
  const pairs: any[][] = []
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]])
  return pairs
}
