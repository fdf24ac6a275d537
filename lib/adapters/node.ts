import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'http'
import { debug } from '../debug'
import { afterCommit, type Commit, type RequestSession, type SessionEngine } from '../core/engine'
import { addFlash, ExpressStyleView } from './request'
import { startThenNext } from './start'
import { useDictionaryProperties } from './layout'

type Next = (err?: any) => void

/** What the engine reads from a Node `IncomingMessage` (plain node:http, Express 4 and 5, Express on Bun). */
class NodeRequestView extends ExpressStyleView {
  readonly cookieHeader: string | undefined

  constructor(req: IncomingMessage) {
    super(req)
    this.cookieHeader = req.headers.cookie
  }

  encrypted(): boolean {
    const req = this.req
    return Boolean((req.socket && req.socket.encrypted) || (req.connection && req.connection.encrypted))
  }

  forwardedProto(): string | undefined {
    const value = (this.req as IncomingMessage).headers['x-forwarded-proto']
    return Array.isArray(value) ? value.join(',') : value
  }
}

/**
 * The Node adapter: loads the session, then wraps this response's `writeHead`
 * and `end` (own properties of this response only, as express-session does).
 * The commit happens when the headers go out; `end` is held until the store
 * has answered, so the next request sees the saved session.
 */
export function handleNode(engine: SessionEngine, req: any, res: ServerResponse, next: Next): void | Promise<void> {
  useDictionaryProperties(req)
  useDictionaryProperties(res)
  return startThenNext(engine, req, new NodeRequestView(req), next, (state) => holdResponse(engine, state, req, res, next))
}

function holdResponse(engine: SessionEngine, state: RequestSession, req: any, res: ServerResponse, next: Next): void {
  // Only req.flash of the request helpers: each property added to an Express
  // request costs it a new hidden class (Express sets every request's
  // prototype, and V8 then records no transition), about 3 µs each, measured.
  // req.session.regenerate() and destroy() return promises, and do on Express
  // what bun-router's req.regenerateSession() and destroySession() do.
  addFlash(req)
  // serialize: a client that goes away before the response ends gives the session back too.
  if (state.lock) res.once('close', () => state.release())
  const hold = new ResponseHold(engine, state, next, res.writeHead, res.end)
  res.writeHead = function writeHead(this: ServerResponse, statusCode: number, reason?: any, headers?: any) {
    return hold.writeHead(this, statusCode, reason, headers)
  } as ServerResponse['writeHead']
  res.end = function end(this: ServerResponse, chunk?: any, encoding?: any, callback?: any) {
    return hold.end(this, chunk, encoding, callback)
  } as ServerResponse['end']
}

/** One response's hold: the original methods, the commit, and what is left to do. */
class ResponseHold {
  private commit: Commit | undefined
  /** The cookie to add when the headers go out (decided at `end`, added in `writeHead`, where express-session adds it). */
  private pendingCookie: string | undefined
  private headersHandled = false
  private ended = false
  private reported = false

  constructor(
    private readonly engine: SessionEngine,
    private readonly state: RequestSession,
    private readonly next: Next,
    private readonly originalWriteHead: ServerResponse['writeHead'],
    private readonly originalEnd: ServerResponse['end']
  ) {}

  writeHead(res: ServerResponse, statusCode: number, reason: any, headers: any): ServerResponse {
    if (this.headersHandled) return (this.originalWriteHead as Function).call(res, statusCode, reason, headers)
    this.headersHandled = true
    if (typeof reason !== 'string') {
      headers = reason
      reason = undefined
    }
    // Headers passed to writeHead() win over setHeader(): apply them first,
    // so the session cookie joins them instead of being replaced (as on-headers does).
    if (headers) applyHeaders(res, headers)
    if (this.commit === undefined) {
      // The headers leave before end() (an explicit writeHead, a streamed body): commit now.
      const commit = this.commitNow()
      if (commit.error !== undefined) this.report(commit.error)
      else this.pendingCookie = commit.cookie
    }
    if (this.pendingCookie !== undefined) addCookie(res, this.pendingCookie)
    return reason === undefined ? this.originalWriteHead.call(res, statusCode) : this.originalWriteHead.call(res, statusCode, reason)
  }

  end(res: ServerResponse, chunk: any, encoding: any, callback: any): ServerResponse {
    // A second end (an error handler answering in place of the response) goes straight through.
    if (this.ended) return this.originalEnd.call(res, chunk, encoding, callback)
    this.ended = true
    const commit = this.commit === undefined ? this.commitNow() : this.commit
    // An error of a commit made in writeHead was reported there already; report() reports once.
    const finished = afterCommit(commit, (problem) => this.finish(res, problem, chunk, encoding, callback))
    return finished instanceof Promise ? res : finished
  }

  private commitNow(): Commit {
    return (this.commit = this.state.commit())
  }

  /**
   * Release the response. On an error, with `onSaveError: 'error'` and the
   * headers still unsent, the error handler answers instead, without the
   * cookie; otherwise the response goes out as written and the error follows.
   */
  private finish(res: ServerResponse, err: unknown, chunk: any, encoding: any, callback: any): ServerResponse {
    if (err !== undefined && this.engine.options.onSaveError === 'error' && !res.headersSent) {
      debug('no Set-Cookie: %s (onSaveError: error, the error handler answers)', errorText(err))
      this.report(err, true)
      return res
    }
    // Added when the headers go out, unless they already have.
    this.pendingCookie = this.commit!.cookie
    const result = this.originalEnd.call(res, chunk, encoding, callback)
    if (err !== undefined) this.report(err)
    return result
  }

  // As express-session: after the response, on the next turn of the event loop.
  private report(err: unknown, now = false): void {
    if (this.reported) return
    this.reported = true
    debug('error passed to next(err): %s', errorText(err))
    if (now) process.nextTick(this.next, err)
    else setImmediate(this.next, err)
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function addCookie(res: ServerResponse, line: string): void {
  const previous = res.getHeader('Set-Cookie')
  res.setHeader('Set-Cookie', previous === undefined ? [line] : ([] as any[]).concat(previous, line))
}

function applyHeaders(res: ServerResponse, headers: OutgoingHttpHeaders | any[]): void {
  if (Array.isArray(headers)) {
    const pairs = Array.isArray(headers[0]) ? headers : toPairs(headers)
    for (const [key, value] of pairs) res.setHeader(key, value)
  } else {
    for (const key of Object.keys(headers)) {
      const value = headers[key]
      if (value !== undefined) res.setHeader(key, value)
    }
  }
}

function toPairs(flat: any[]): any[][] {
  const pairs: any[][] = []
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]])
  return pairs
}
