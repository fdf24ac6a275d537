/**
 * HTTP for the tests, under Node (vitest) and under Bun (the scripts in
 * test/bun-runtime and test/runtime): serve a listener, send one request, and
 * the one cookie-jar client. Fetch-based; no vitest import.
 */
import http from 'http'
import net from 'net'
import type { AddressInfo } from 'net'

export interface Served {
  url: string
  close(): Promise<void>
}

/** Serve a request listener (plain handler or Express app) on 127.0.0.1, port 0. */
export async function serve(listener: http.RequestListener): Promise<Served> {
  const server = http.createServer(listener)
  server.keepAliveTimeout = 100
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      })
  }
}

export interface Reply {
  status: number
  body: string
  setCookie: string[]
  headers: Headers
}

export interface RequestOptions {
  method?: string
  cookie?: string
  headers?: Record<string, string>
  body?: string
  /** Abort the request (a client that goes away). */
  signal?: AbortSignal
}

/** One HTTP request, redirects not followed. */
export async function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.cookie) headers.cookie = options.cookie
  const res = await fetch(url, { method: options.method || 'GET', headers, body: options.body, redirect: 'manual', signal: options.signal })
  return { status: res.status, body: await res.text(), setCookie: res.headers.getSetCookie(), headers: res.headers }
}

/** The `name=value` part of the Set-Cookie line for `name`, if any. */
export function cookiePair(setCookie: string[], name = 'connect.sid'): string | undefined {
  const line = setCookie.find((l) => l.startsWith(name + '='))
  return line && line.split(';')[0]
}

/**
 * A browser-like client with one cookie jar for a base URL: it sends the jar's
 * cookies (unless `options.cookie` replaces them for one request), keeps what
 * Set-Cookie sends, drops a cookie set to expire in 1970, follows no redirect.
 */
export class Client {
  /** The jar: cookie name to (still encoded) value. */
  readonly cookies = new Map<string, string>()
  constructor(readonly base: string) {}

  /** The Cookie header the jar sends. */
  get cookie(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  async fetch(path: string, options: RequestOptions = {}): Promise<Reply> {
    const reply = await request(this.base + path, { ...options, cookie: options.cookie ?? (this.cookie || undefined) })
    for (const line of reply.setCookie) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const expired = attrs.some((a) => /^\s*expires=thu, 01 jan 1970/i.test(a))
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, pair.slice(eq + 1))
    }
    return reply
  }

  get(path: string, options: RequestOptions = {}): Promise<Reply> {
    return this.fetch(path, { ...options, method: 'GET' })
  }

  post(path: string, options: RequestOptions = {}): Promise<Reply> {
    return this.fetch(path, { ...options, method: 'POST' })
  }

  /** The session ID inside this jar's `connect.sid` (or `name`) cookie. */
  sid(name = 'connect.sid'): string {
    return decodeURIComponent(this.cookies.get(name) ?? '').slice(2).split('.')[0]
  }
}

/** Send bytes no HTTP client would send; resolves with the raw response head and body. */
export function rawRequest(url: string, head: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.end(Buffer.from(head + '\r\n', 'latin1'))
    })
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve({ status: Number(text.split(' ')[1]), text }))
  })
}
