import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'http'
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
  }
}

type Next = (err?: any) => void

/**
 * The Node adapter: loads the session, then adds the cookie when the headers
 * go out and holds `res.end` until the store has answered. A store failure
 * reaches `next(err)`, so the app's error handler answers instead.
 */
export function handleNode(engine: SessionEngine, req: any, res: ServerResponse, next: Next): void | Promise<void> {
  return startThenNext(engine, req, nodeAccess, next, (state) => hookResponse(state, res, next))
}

function hookResponse(state: RequestState, res: ServerResponse, next: Next): void {
  const writeHead = res.writeHead
  const end = res.end
  let addedCookie: string | undefined
  let reported = false
  const report = (err: unknown) => {
    if (reported) return
    reported = true
    process.nextTick(next, err)
  }

  const addCookie = (line: string | undefined) => {
    if (!line) return
    addedCookie = line
    const previous = res.getHeader('Set-Cookie')
    res.setHeader('Set-Cookie', previous === undefined ? [line] : ([] as any[]).concat(previous, line))
  }

  res.writeHead = function writeHeadWithSession(this: ServerResponse, statusCode: number, ...rest: any[]) {
    res.writeHead = writeHead
    try {
      applyHeaders(res, rest)
      addCookie(state.headerCookie())
    } catch (err) {
      report(err)
    }
    return writeHead.apply(this, [statusCode, ...rest] as any)
  } as typeof res.writeHead

  res.end = function endWithSession(this: ServerResponse, ...args: any[]) {
    res.end = end
    let commit
    try {
      commit = state.commit()
      if (!res.headersSent) addCookie(commit.cookie)
    } catch (err) {
      return fail(err, args)
    }
    if (!commit.work) return end.apply(this, args as any)
    commit.work.then(
      () => end.apply(res, args as any),
      (err) => fail(err, args)
    )
    return res
  } as typeof res.end

  // Before the headers went out, the error handler answers in place of the
  // response; after, the response is finished and the error still reported.
  function fail(err: unknown, args: any[]): ServerResponse {
    if (res.headersSent) {
      end.apply(res, args as any)
    } else if (addedCookie !== undefined) {
      const lines = ([] as any[]).concat(res.getHeader('Set-Cookie') || []).filter((line) => line !== addedCookie)
      if (lines.length) res.setHeader('Set-Cookie', lines)
      else res.removeHeader('Set-Cookie')
    }
    report(err)
    return res
  }
}

// Headers passed to writeHead() win over setHeader(); apply them first so the
// session cookie is added to them, not replaced by them (as on-headers does).
function applyHeaders(res: ServerResponse, rest: any[]): void {
  const index = typeof rest[0] === 'string' ? 1 : 0
  const headers = rest[index] as OutgoingHttpHeaders | any[] | undefined
  if (!headers) return
  if (Array.isArray(headers)) {
    const pairs = Array.isArray(headers[0]) ? headers : chunk(headers)
    for (const [key, value] of pairs) res.setHeader(key, value)
  } else {
    for (const key of Object.keys(headers)) {
      const value = headers[key]
      if (value !== undefined) res.setHeader(key, value)
    }
  }
  rest.splice(index, 1)
}

function chunk(flat: any[]): any[][] {
  const pairs: any[][] = []
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]])
  return pairs
}
