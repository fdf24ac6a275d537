import { IncomingMessage, OutgoingMessage, ServerResponse, type OutgoingHttpHeaders } from 'http'
import { inheritedGetter, inheritsFrom } from '../lookup'
import { decorateRequest } from '../request'
import { decorateNodeRequest } from './node-request'
import type { RequestAccess, RequestState, SessionEngine } from '../engine'
import { startThenNext } from './start'

// Node's own getters, called directly when nothing overrides them (see lib/lookup.ts).
const headersOf = inheritedGetter(IncomingMessage.prototype, 'headers')
const headersSent = inheritedGetter(OutgoingMessage.prototype, 'headersSent')

/** Reading a Node `IncomingMessage` (plain node:http, Express 4 and 5, Express on Bun). */
export const nodeAccess: RequestAccess = {
  header(req: IncomingMessage, name: string) {
    const value = headersOf(req)[name]
    return Array.isArray(value) ? value.join(', ') : value
  },
  encrypted(req: any) {
    return Boolean((req.socket && req.socket.encrypted) || (req.connection && req.connection.encrypted))
  },
  originalUrl(req: any) {
    return req.originalUrl || req.url || '/'
  },
  decorate(req: any, store: unknown) {
    return req instanceof IncomingMessage ? decorateNodeRequest(req, store) : decorateRequest(req, store)
  }
}

type Next = (err?: any) => void
type WriteHead = ServerResponse['writeHead']
type End = ServerResponse['end']

/**
 * The Node adapter: loads the session, then adds the cookie when the headers
 * go out and holds `res.end` until the store has answered. A store failure
 * reaches `next(err)`, so the app's error handler answers instead.
 */
export function handleNode(engine: SessionEngine, req: any, res: ServerResponse, next: Next): void | Promise<void> {
  return startThenNext(engine, req, res, nodeAccess, next, hookResponse)
}

/**
 * How the response is held: `writeHead` and `end` of `ServerResponse.prototype`
 * are wrapped once, and each response's hook is kept aside in a Map until the
 * response ends. Express gives every response its own hidden class, so a
 * property added to one (`res.end = …`) copies that class and slows every
 * later property access in Node's own writeHead (measured: about 4 µs per
 * request). When something wrapped this response's `writeHead` or `end`
 * before the session middleware ran, the hook wraps them on the response
 * itself instead, as express-session does, so that the wrappers still run in
 * the order they were installed.
 *
 * Not a WeakMap: a hook leads back to its response (through the request), and
 * V8's young-generation collector keeps such an entry alive, so every request
 * would be promoted to the old generation (measured: about 5 µs per request
 * more garbage collection).
 */
const hooks = new Map<ServerResponse, ResponseHook>()
const OWN_HOOK = Symbol('sessionware.responseHook')
let prototypeWriteHead: WriteHead | undefined
let prototypeEnd: End | undefined

// Responses that end without our end (their client went away, or the app
// called the original end directly) are dropped from `hooks` every so often.
const SWEEP_EVERY = 512
let hookedSinceSweep = 0

function hookResponse(state: RequestState, res: ServerResponse, next: Next): void {
  if (prototypeWriteHead === undefined) wrapPrototype()
  const proto = ServerResponse.prototype
  if (proto.writeHead === sessionWriteHead && proto.end === sessionEnd && inheritsFrom(res, proto, 'writeHead', 'end')) {
    hooks.set(res, new ResponseHook(state, next, prototypeWriteHead!, prototypeEnd!))
    if (++hookedSinceSweep >= SWEEP_EVERY) sweepHooks()
    return
  }
  ;(res as any)[OWN_HOOK] = new ResponseHook(state, next, res.writeHead, res.end)
  res.writeHead = ownWriteHead as WriteHead
  res.end = ownEnd as End
}

/** How many responses are held (for tests). */
export function heldResponses(): number {
  return hooks.size
}

function sweepHooks(): void {
  hookedSinceSweep = 0
  for (const res of hooks.keys()) if (isOver(res)) hooks.delete(res)
}

function isOver(res: any): boolean {
  // A pipelined response whose connection closed before its turn has no
  // socket and is not destroyed; its request still knows the socket.
  return res.writableEnded || res.destroyed || res.closed || Boolean(res.req && res.req.socket && res.req.socket.destroyed)
}

function wrapPrototype(): void {
  const proto = ServerResponse.prototype
  prototypeWriteHead = proto.writeHead
  prototypeEnd = proto.end
  proto.writeHead = sessionWriteHead as WriteHead
  proto.end = sessionEnd as End
}

// One object per response holds what the wrapped writeHead/end need; the
// wrappers themselves are shared, so a request allocates no closures.
class ResponseHook {
  /** The cookie decided at `end`, added when the headers go out, where the session's wrapper runs. */
  pendingCookie: string | undefined
  reported = false
  headersHandled = false
  ended = false

  constructor(
    readonly state: RequestState,
    readonly next: Next,
    readonly writeHead: WriteHead,
    readonly end: End
  ) {}

  addCookie(res: ServerResponse, line: string | undefined): void {
    if (!line) return
    // Read from the prototype when nothing overrides it there (see lib/lookup.ts);
    // read now, not at load time, so that instrumentation installed later still runs.
    const methods: OutgoingMessage = inheritsFrom(res, OutgoingMessage.prototype, 'getHeader', 'setHeader') ? OutgoingMessage.prototype : res
    const previous = methods.getHeader.call(res, 'Set-Cookie')
    methods.setHeader.call(res, 'Set-Cookie', previous === undefined ? [line] : ([] as any[]).concat(previous, line))
  }

  report(err: unknown): void {
    if (this.reported) return
    this.reported = true
    process.nextTick(this.next, err)
  }

  // Before the headers went out, the error handler answers in place of the
  // response; after, the response is finished and the error still reported.
  fail(res: ServerResponse, err: unknown, chunk: any, encoding: any, callback: any): ServerResponse {
    if (res.headersSent) this.end.call(res, chunk, encoding, callback)
    // The error handler's response carries no session cookie.
    this.pendingCookie = undefined
    this.headersHandled = true
    hooks.delete(res)
    this.report(err)
    return res
  }
}

// The prototype's wrappers run for every response in the process, with or
// without a session: the first check must stay cheap. A hook that already ran
// passes through, so a chain of own wrappers that ends in the prototype's
// does not act twice.

function sessionWriteHead(this: ServerResponse, statusCode: number, reason?: any, headers?: any): ServerResponse {
  const hook = hooks.get(this)
  if (hook === undefined || hook.headersHandled) return (prototypeWriteHead as Function).apply(this, arguments)
  return writeHeadWithSession(this, hook, statusCode, reason, headers)
}

function sessionEnd(this: ServerResponse, chunk?: any, encoding?: any, callback?: any): ServerResponse {
  const hook = hooks.get(this)
  if (hook === undefined || hook.ended) return (prototypeEnd as Function).apply(this, arguments)
  return endWithSession(this, hook, chunk, encoding, callback)
}

// Own wrappers, for a response whose writeHead/end were wrapped before ours.
function ownWriteHead(this: ServerResponse, statusCode: number, reason?: any, headers?: any): ServerResponse {
  const hook: ResponseHook = (this as any)[OWN_HOOK]
  if (this.writeHead === ownWriteHead) this.writeHead = hook.writeHead
  if (hook.headersHandled) return (hook.writeHead as Function).apply(this, arguments)
  return writeHeadWithSession(this, hook, statusCode, reason, headers)
}

function ownEnd(this: ServerResponse, chunk?: any, encoding?: any, callback?: any): ServerResponse {
  const hook: ResponseHook = (this as any)[OWN_HOOK]
  if (this.end === ownEnd) this.end = hook.end
  if (hook.ended) return (hook.end as Function).apply(this, arguments)
  return endWithSession(this, hook, chunk, encoding, callback)
}

function writeHeadWithSession(res: ServerResponse, hook: ResponseHook, statusCode: number, reason: any, headers: any): ServerResponse {
  hook.headersHandled = true
  // Headers passed to writeHead() win over setHeader(); apply them first so
  // the session cookie is added to them, not replaced by them (as on-headers does).
  if (typeof reason !== 'string') {
    headers = reason
    reason = undefined
  }
  try {
    if (headers) applyHeaders(res, headers)
    const pending = hook.pendingCookie
    hook.addCookie(res, pending === undefined ? hook.state.headerCookie() : pending)
  } catch (err) {
    hook.report(err)
  }
  return reason === undefined ? hook.writeHead.call(res, statusCode) : hook.writeHead.call(res, statusCode, reason)
}

function endWithSession(res: ServerResponse, hook: ResponseHook, chunk: any, encoding: any, callback: any): ServerResponse {
  hook.ended = true
  let commit
  try {
    commit = hook.state.commit()
    // The headers go out through writeHead, even from end(): the cookie is
    // added there, so writeHead wrappers see it as they would with express-session.
    if (commit.cookie !== undefined && !headersSent(res)) hook.pendingCookie = commit.cookie
  } catch (err) {
    return hook.fail(res, err, chunk, encoding, callback)
  }
  if (!commit.work) return endAndRelease(res, hook, chunk, encoding, callback)
  commit.work.then(
    () => endAndRelease(res, hook, chunk, encoding, callback),
    (err) => hook.fail(res, err, chunk, encoding, callback)
  )
  return res
}

// The hook stays until the original end returns: the headers go out inside it.
function endAndRelease(res: ServerResponse, hook: ResponseHook, chunk: any, encoding: any, callback: any): ServerResponse {
  const result = hook.end.call(res, chunk, encoding, callback)
  hooks.delete(res)
  return result
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
