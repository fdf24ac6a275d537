/**
 * A test double of bunway (github: JointOps/bunway, not on npm), written from
 * the contract in ../shared/docs/bunway.md, not from bunway's code. It keeps
 * exactly what a session middleware meets there:
 *
 * - §2 dispatch: routers mounted with `use(prefix, router)` are matched first
 *   and take the whole request, so the parent's global middleware never runs
 *   (errors still bubble up); then global middleware, then prefix middleware
 *   (`use(prefix, fn)`, url stripped), then the route; 404 built without `res`.
 * - §2/§6 pipeline: `next` is only a flag. Called before the handler returned:
 *   go on (or throw its error); else a returned promise is awaited and the
 *   flag read when it settles; else the pipeline stops. A stopped global
 *   pipeline skips the remaining global middleware, routes still run; a route
 *   that sent nothing answers an empty 200 without `res`.
 * - §2 errors: 4-argument handlers with a no-op `next`; the first that sends
 *   answers via `res.toResponse()`; else the parent's; else a JSON error.
 * - §3 req: `headers` is a Fetch `Headers`; `get(name)`; `cookies` parsed
 *   lazily (URI-decoded, quotes stripped); `protocol`/`secure` from the URL,
 *   or the first X-Forwarded-Proto when `trust proxy` is set; no socket/on.
 * - §4/§5 res: `statusCode` getter only; `set` keeps one value per name
 *   (arrays coerced to "a,b"); `append` adds lines; `json`/`send`/`end`/
 *   `redirect` store a body and a flag; `headersSent` is true from then on;
 *   `toResponse()` (patchable, may return a promise, awaited) builds the
 *   Response; `toStreamingResponse()` after `write()`. No setHeader,
 *   writeHead, on, _implicitHeader.
 * - §3/§7: `cookieParser(secret)` moves `s:` cookies to `req.signedCookies`,
 *   failing cookie-signature's signatures (bunway signs with base64url).
 */

export type Next = (err?: unknown) => void
export type Handler = (req: BunRequest, res: BunResponse, next: Next) => unknown
export type ErrorHandler = (err: unknown, req: BunRequest, res: BunResponse, next: Next) => unknown

export class BunRequest {
  readonly headers: Headers
  readonly original: Request
  method: string
  readonly originalUrl: string
  url: string
  baseUrl = ''
  params: Record<string, string> = {}
  signedCookies: Record<string, unknown> = {}
  secret: string | undefined
  res!: BunResponse
  private jar: Record<string, string> | undefined;
  [field: string]: any

  constructor(request: Request, readonly app: App) {
    this.original = request
    this.headers = request.headers
    this.method = request.method
    const url = new URL(request.url)
    this.originalUrl = this.url = url.pathname + url.search
  }

  get path(): string {
    const q = this.url.indexOf('?')
    return q === -1 ? this.url : this.url.slice(0, q)
  }
  get query(): Record<string, string> {
    return Object.fromEntries(new URL(this.original.url).searchParams)
  }
  get(name: string): string | undefined {
    return this.headers.get(name) ?? undefined
  }
  header(name: string): string | undefined {
    return this.get(name)
  }
  get cookies(): Record<string, string> {
    if (this.jar) return this.jar
    const jar: Record<string, string> = {}
    for (const piece of (this.get('cookie') ?? '').split(';')) {
      const at = piece.indexOf('=')
      if (at < 1) continue
      let value = piece.slice(at + 1).trim().replace(/^"(.*)"$/, '$1')
      try {
        value = decodeURIComponent(value)
      } catch {}
      jar[piece.slice(0, at).trim()] = value
    }
    return (this.jar = jar)
  }
  set cookies(jar: Record<string, string>) {
    this.jar = jar
  }
  get protocol(): string {
    const forwarded = this.app.get('trust proxy') !== false ? this.get('x-forwarded-proto') : undefined
    if (forwarded) return forwarded.split(',')[0].trim().toLowerCase()
    return new URL(this.original.url).protocol.slice(0, -1)
  }
  get secure(): boolean {
    return this.protocol === 'https'
  }
}

export interface CookieOptions {
  maxAge?: number
  expires?: Date
  domain?: string
  path?: string
  httpOnly?: boolean
  secure?: boolean
  sameSite?: boolean | string
}

export class BunResponse {
  private code = 200
  private body: BodyInit | null = null
  private sent = false
  private chunks: string[] | undefined
  private readonly single = new Map<string, string>()
  private readonly lines: Array<[string, string]> = []
  req!: BunRequest

  get statusCode(): number {
    return this.code
  }
  get headersSent(): boolean {
    return this.sent
  }
  status(code: number): this {
    this.code = code
    return this
  }
  set(name: string | Record<string, unknown>, value?: unknown): this {
    if (typeof name === 'object') {
      for (const [key, v] of Object.entries(name)) this.set(key, v)
      return this
    }
    this.single.set(name.toLowerCase(), String(value))
    return this
  }
  header(name: string, value: unknown): this {
    return this.set(name, value)
  }
  append(name: string, value: string): this {
    this.lines.push([name.toLowerCase(), String(value)])
    return this
  }
  get(name: string): string | undefined {
    const key = name.toLowerCase()
    const values = this.lines.filter(([n]) => n === key).map(([, v]) => v)
    if (this.single.has(key)) values.unshift(this.single.get(key)!)
    return values.length ? values.join(', ') : undefined
  }
  getHeader(name: string): string | undefined {
    return this.get(name)
  }
  getHeaders(): Headers {
    return this.headers()
  }
  cookie(name: string, value: string, options: CookieOptions = {}): this {
    const parts = [`${name}=${encodeURIComponent(value)}`]
    if (options.maxAge !== undefined) {
      parts.push(`Max-Age=${Math.floor(options.maxAge / 1000)}`, `Expires=${new Date(Date.now() + options.maxAge).toUTCString()}`)
    } else if (options.expires) parts.push(`Expires=${options.expires.toUTCString()}`)
    if (options.domain) parts.push(`Domain=${options.domain}`)
    parts.push(`Path=${options.path ?? '/'}`)
    if (options.httpOnly) parts.push('HttpOnly')
    if (options.secure) parts.push('Secure')
    if (options.sameSite) {
      const same = options.sameSite === true ? 'Strict' : String(options.sameSite)
      parts.push(`SameSite=${same[0].toUpperCase()}${same.slice(1).toLowerCase()}`)
    }
    return this.append('Set-Cookie', parts.join('; '))
  }
  clearCookie(name: string, options: CookieOptions = {}): this {
    return this.cookie(name, '', { ...options, maxAge: undefined, expires: new Date(0) })
  }
  json(data: unknown): this {
    if (!this.single.has('content-type')) this.set('content-type', 'application/json')
    return this.finish(JSON.stringify(data))
  }
  send(body?: unknown): this {
    if (body !== null && typeof body === 'object') return this.json(body)
    if (!this.single.has('content-type')) this.set('content-type', 'text/html; charset=utf-8')
    return this.finish(body === undefined ? null : String(body))
  }
  sendStatus(code: number): this {
    return this.status(code).send(String(code))
  }
  redirect(statusOrUrl: number | string, url?: string): this {
    const [code, location] = typeof statusOrUrl === 'number' ? [statusOrUrl, url!] : [302, statusOrUrl]
    this.code = code
    this.set('location', location)
    return this.finish(`Redirecting to ${location}`)
  }
  write(chunk: string): boolean {
    ;(this.chunks ??= []).push(String(chunk))
    return true
  }
  // None of json/send/redirect goes through end() (§4).
  end(chunk?: string | null): this {
    if (this.chunks) {
      if (chunk) this.chunks.push(chunk)
      this.sent = true
      return this
    }
    return this.finish(chunk ?? null)
  }
  private finish(body: BodyInit | null): this {
    this.body = body
    this.sent = true
    return this
  }
  isSent(): boolean {
    return this.sent
  }
  isStreaming(): boolean {
    return this.chunks !== undefined
  }
  private headers(): Headers {
    const headers = new Headers()
    for (const [name, value] of this.single) headers.set(name, value)
    for (const [name, value] of this.lines) headers.append(name, value)
    return headers
  }
  toResponse(): Response | Promise<Response> {
    return new Response(this.body, { status: this.code, headers: this.headers() })
  }
  toStreamingResponse(): Response | Promise<Response> {
    const chunks = this.chunks ?? []
    const stream = new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        controller.close()
      }
    })
    return new Response(stream, { status: this.code, headers: this.headers() })
  }
}

interface Route {
  method: string
  pattern: RegExp
  keys: string[]
  handlers: Handler[]
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : prefix + '/')
const build = (res: BunResponse) => (res.isStreaming() ? res.toStreamingResponse() : res.toResponse())

export class Router {
  parent: Router | undefined
  private readonly global: Handler[] = []
  private readonly prefixed: Array<{ prefix: string; fn: Handler }> = []
  private readonly mounts: Array<{ prefix: string; router: Router }> = []
  private readonly errorHandlers: ErrorHandler[] = []
  private readonly routes: Route[] = []

  use(first: string | Handler | ErrorHandler, second?: Router | Handler): this {
    if (typeof first === 'string') {
      if (second instanceof Router) {
        second.parent = this
        this.mounts.push({ prefix: first, router: second })
      } else this.prefixed.push({ prefix: first, fn: second as Handler })
    } else if (first.length === 4) this.errorHandlers.push(first as ErrorHandler)
    else this.global.push(first as Handler)
    return this
  }

  route(method: string, path: string, handlers: Handler[]): this {
    const keys: string[] = []
    const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_m, key) => (keys.push(key), '([^/]+)'))
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), keys, handlers })
    return this
  }
  get(path: string, ...handlers: Handler[]): any {
    return this.route('GET', path, handlers)
  }
  post(path: string, ...handlers: Handler[]): this {
    return this.route('POST', path, handlers)
  }

  /** Router.handle (§2). */
  async handle(req: BunRequest, res: BunResponse): Promise<Response> {
    for (const { prefix, router } of this.mounts) {
      if (!under(req.path, prefix)) continue
      req.baseUrl += prefix
      req.url = req.url.slice(prefix.length) || '/'
      if (!req.url.startsWith('/')) req.url = '/' + req.url
      return router.handle(req, res)
    }
    try {
      if (this.global.length || this.prefixed.length || this.errorHandlers.length) {
        await this.pipeline(this.global, req, res)
        if (res.isSent()) return await build(res)
        for (const { prefix, fn } of this.prefixed) {
          if (!under(req.path, prefix)) continue
          const url = req.url
          req.url = url.slice(prefix.length) || '/'
          try {
            await this.pipeline([fn], req, res)
          } finally {
            req.url = url
          }
          if (res.isSent()) return await build(res)
        }
      }
      for (const route of this.routes) {
        const match = route.method === req.method ? route.pattern.exec(req.path) : null
        if (!match) continue
        route.keys.forEach((key, i) => (req.params[key] = decodeURIComponent(match[i + 1])))
        await this.pipeline(route.handlers, req, res)
        if (!res.isSent()) return new Response(null, { status: 200 })
        return await build(res)
      }
      return new Response(`Cannot ${req.method} ${req.originalUrl}`, { status: 404 })
    } catch (err) {
      return this.handleError(err, req, res)
    }
  }

  /** runPipeline (§2, §6): `next` only sets a flag. */
  private async pipeline(handlers: Handler[], req: BunRequest, res: BunResponse): Promise<void> {
    for (const handler of handlers) {
      let called = false
      let failure: unknown
      const next: Next = (err) => {
        if (called) return
        called = true
        failure = err
      }
      const returned: any = handler(req, res, next)
      if (!called && returned && typeof returned.then === 'function') await returned
      if (!called) return
      if (failure !== undefined && failure !== null) throw failure
      if (res.isSent()) return
    }
  }

  async handleError(err: unknown, req: BunRequest, res: BunResponse): Promise<Response> {
    for (const handler of this.errorHandlers) {
      try {
        await handler(err, req, res, () => {})
      } catch (thrown) {
        err = thrown
      }
      if (res.isSent()) return build(res)
    }
    if (this.parent) return this.parent.handleError(err, req, res)
    const e = err as any
    return Response.json({ error: e?.message ?? String(err) }, { status: e?.status || e?.statusCode || 500 })
  }
}

export class App extends Router {
  private readonly settings = new Map<string, unknown>([['trust proxy', false]])

  set(name: string, value: unknown): this {
    this.settings.set(name, value)
    return this
  }
  // app.get(setting) and app.get(path, ...handlers) share a name, as in Express.
  override get(name: string, ...handlers: Handler[]): any {
    return handlers.length ? super.get(name, ...handlers) : this.settings.get(name)
  }

  /** The `fetch` given to Bun.serve: fresh, cross-linked req/res per request (§2). */
  fetch = (request: Request): Promise<Response> => {
    const req = new BunRequest(request, this)
    const res = new BunResponse()
    req.res = res
    res.req = req
    return this.handle(req, res)
  }

  listen(port = 0): { port: number; url: string; stop(): void } {
    const server = (globalThis as any).Bun.serve({ port, hostname: '127.0.0.1', fetch: this.fetch })
    return { port: server.port, url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) }
  }
}

export function cookieParser(secret: string): Handler {
  return (req, _res, next) => {
    req.secret = secret
    const plain: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.cookies)) {
      if (value.startsWith('s:')) req.signedCookies[name] = false
      else plain[name] = value
    }
    req.cookies = plain
    next()
  }
}

export const bunway = (): App => new App()
export default bunway
