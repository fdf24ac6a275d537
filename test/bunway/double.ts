/**
 * A small, faithful test double of bunway (not published on npm), built from
 * ../shared/docs/bunway.md. What a session middleware meets there:
 *
 * - §2, §6: `next` is only a flag. A handler that called `next()` before it
 *   returned moves the pipeline on; otherwise a returned promise is awaited
 *   and `next` is checked when it settles; otherwise the pipeline stops. A
 *   stopped global pipeline skips the remaining global middleware but still
 *   runs the routes; a route pipeline that sent nothing answers an empty 200.
 * - §2: a router mounted with `use(prefix, router)` takes the request before
 *   the app's own global middleware runs.
 * - §3: `req.headers` is a Fetch `Headers`; `req.get(name)`; `req.cookies`
 *   parsed lazily; `secure`/`protocol` follow `trust proxy` (first
 *   X-Forwarded-Proto value); no socket, no events.
 * - §4, §5: `res` is not a ServerResponse: `statusCode` is a getter only,
 *   `set` keeps one value per name (arrays become "a,b"), `append` adds lines,
 *   `json`/`send`/`end`/`redirect` only store the body and set a flag, and the
 *   Response is built afterwards by `res.toResponse()`, which may be patched
 *   and may return a promise that is awaited. No setHeader/writeHead/on.
 * - §2: errors (throw, rejection, `next(err)`) go to 4-argument handlers.
 */

type Handler = (req: BunRequest, res: BunResponse, next: (err?: unknown) => void) => unknown
type ErrorHandler = (err: unknown, req: BunRequest, res: BunResponse, next: (err?: unknown) => void) => unknown

export class BunRequest {
  readonly headers: Headers
  readonly original: Request
  readonly method: string
  originalUrl: string
  url: string
  private parsedCookies: Record<string, string> | undefined;
  [key: string]: any

  constructor(request: Request, readonly app: App) {
    this.original = request
    this.headers = request.headers
    this.method = request.method
    const url = new URL(request.url)
    this.originalUrl = this.url = url.pathname + url.search
  }

  get path(): string {
    return this.url.split('?')[0]
  }

  get(name: string): string | undefined {
    return this.headers.get(name) ?? undefined
  }

  get cookies(): Record<string, string> {
    if (!this.parsedCookies) {
      this.parsedCookies = {}
      for (const part of (this.get('cookie') || '').split(';')) {
        const eq = part.indexOf('=')
        if (eq < 0) continue
        let value = part.slice(eq + 1).trim()
        if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
        try {
          value = decodeURIComponent(value)
        } catch {}
        this.parsedCookies[part.slice(0, eq).trim()] = value
      }
    }
    return this.parsedCookies
  }

  set cookies(value: Record<string, string>) {
    this.parsedCookies = value
  }

  get protocol(): string {
    if (this.app.get('trust proxy')) {
      const forwarded = this.get('x-forwarded-proto')
      if (forwarded) return forwarded.split(',')[0].trim()
    }
    return new URL(this.original.url).protocol.replace(':', '')
  }

  get secure(): boolean {
    return this.protocol === 'https'
  }
}

export class BunResponse {
  private _status = 200
  private _body: BodyInit | null = null
  private _sent = false
  private readonly single = new Map<string, string>()
  private readonly lines: Array<[string, string]> = []

  get statusCode(): number {
    return this._status
  }

  get headersSent(): boolean {
    return this._sent
  }

  status(code: number): this {
    this._status = code
    return this
  }

  set(name: string, value: unknown): this {
    this.single.set(name.toLowerCase(), String(value))
    return this
  }

  header(name: string, value: unknown): this {
    return this.set(name, value)
  }

  append(name: string, value: string): this {
    this.lines.push([name, value])
    return this
  }

  get(name: string): string | undefined {
    const key = name.toLowerCase()
    const values = [...(this.single.has(key) ? [this.single.get(key)!] : []), ...this.lines.filter(([n]) => n.toLowerCase() === key).map(([, v]) => v)]
    return values.length ? values.join(', ') : undefined
  }

  cookie(name: string, value: string, options: { path?: string; maxAge?: number } = {}): this {
    let line = `${name}=${encodeURIComponent(value)}; Path=${options.path || '/'}`
    if (options.maxAge !== undefined) line += `; Max-Age=${Math.floor(options.maxAge / 1000)}; Expires=${new Date(Date.now() + options.maxAge).toUTCString()}`
    return this.append('Set-Cookie', line)
  }

  json(data: unknown): this {
    this.set('content-type', 'application/json')
    return this.finish(JSON.stringify(data))
  }

  send(body: unknown): this {
    if (typeof body === 'object' && body !== null) return this.json(body)
    if (!this.single.has('content-type')) this.set('content-type', 'text/html; charset=utf-8')
    return this.finish(String(body))
  }

  redirect(location: string): this {
    this._status = 302
    this.set('location', location)
    return this.finish(`Found. Redirecting to ${location}`)
  }

  end(body?: BodyInit | null): this {
    return this.finish(body)
  }

  // json/send/redirect store the body themselves: none of them calls end() (§4).
  private finish(body?: BodyInit | null): this {
    this._body = body ?? null
    this._sent = true
    return this
  }

  isSent(): boolean {
    return this._sent
  }

  toResponse(): Response | Promise<Response> {
    const headers = new Headers()
    for (const [name, value] of this.single) headers.set(name, value)
    for (const [name, value] of this.lines) headers.append(name, value)
    return new Response(this._body, { status: this._status, headers })
  }

  toStreamingResponse(): Response | Promise<Response> {
    return this.toResponse()
  }
}

interface Route {
  method: string
  path: string
  handlers: Handler[]
}

export class Router {
  protected readonly middleware: Handler[] = []
  protected readonly errorHandlers: ErrorHandler[] = []
  protected readonly mounts: Array<{ prefix: string; router: Router }> = []
  protected readonly routes: Route[] = []

  use(prefixOrHandler: string | Handler | ErrorHandler, router?: Router | Handler): this {
    if (typeof prefixOrHandler === 'string') {
      if (router instanceof Router) this.mounts.push({ prefix: prefixOrHandler, router })
      else throw new Error('the double supports use(prefix, router) only')
    } else if (prefixOrHandler.length === 4) {
      this.errorHandlers.push(prefixOrHandler as ErrorHandler)
    } else {
      this.middleware.push(prefixOrHandler as Handler)
    }
    return this
  }

  get(path: string, ...handlers: Handler[]): this {
    this.routes.push({ method: 'GET', path, handlers })
    return this
  }

  post(path: string, ...handlers: Handler[]): this {
    this.routes.push({ method: 'POST', path, handlers })
    return this
  }

  /** Router.handle (§2): mounted routers first, then global middleware, then the matching route. */
  async handle(req: BunRequest, res: BunResponse): Promise<Response> {
    for (const { prefix, router } of this.mounts) {
      if (req.path === prefix || req.path.startsWith(prefix + '/')) {
        req.url = req.url.slice(prefix.length) || '/'
        return router.handle(req, res).catch((err) => this.handleError(err, req, res))
      }
    }
    try {
      await this.runPipeline(this.middleware, req, res)
      const route = this.routes.find((r) => r.method === req.method && r.path === req.path)
      if (!route) return new Response('Not Found', { status: 404 })
      await this.runPipeline(route.handlers, req, res)
      if (!res.isSent()) return new Response(null, { status: 200 })
      return await res.toResponse()
    } catch (err) {
      return this.handleError(err, req, res)
    }
  }

  /** runPipeline (§2): `next` is a flag; only a returned promise is waited for. */
  private async runPipeline(handlers: Handler[], req: BunRequest, res: BunResponse): Promise<void> {
    for (const handler of handlers) {
      let called = false
      let error: unknown
      const next = (err?: unknown) => {
        called = true
        error = err
      }
      const returned = handler(req, res, next)
      if (!called && returned && typeof (returned as Promise<unknown>).then === 'function') await returned
      if (!called) return
      if (error) throw error
      if (res.isSent()) return
    }
  }

  private async handleError(err: unknown, req: BunRequest, res: BunResponse): Promise<Response> {
    for (const handler of this.errorHandlers) {
      handler(err, req, res, () => {})
      if (res.isSent()) return res.toResponse()
    }
    const status = (err as any)?.status || (err as any)?.statusCode || 500
    return Response.json({ error: (err as Error)?.message ?? String(err) }, { status })
  }
}

export class App extends Router {
  private readonly settings = new Map<string, unknown>([['trust proxy', false]])
  private server: { stop(force?: boolean): void; port: number } | undefined

  set(name: string, value: unknown): this {
    this.settings.set(name, value)
    return this
  }

  // Router.get(path, handler) and app.get(setting) share a name, as in Express.
  override get(path: string, ...handlers: Handler[]): this
  override get(name: string): any
  override get(path: string, ...handlers: Handler[]): any {
    if (handlers.length === 0) return this.settings.get(path)
    return super.get(path, ...handlers)
  }

  /** The app's fetch handler: `app.handle(request)` (§2, entry). */
  fetch = (request: Request): Promise<Response> => {
    const req = new BunRequest(request, this)
    const res = new BunResponse()
    return this.handle(req, res)
  }

  listen(port = 0): { url: string; stop(): void } {
    const server = (globalThis as any).Bun.serve({ port, hostname: '127.0.0.1', fetch: this.fetch })
    this.server = server
    return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) }
  }
}

/**
 * bunway's cookieParser(secret) (§3, §7 deviation 8): moves every `s:` cookie
 * out of req.cookies into req.signedCookies. It verifies them with its own
 * base64url HMAC, which cookie-signature's cookies fail: they arrive as false.
 */
export function cookieParser(secret: string): Handler {
  return (req, _res, next) => {
    req.secret = secret
    const signed: Record<string, string | false> = {}
    const plain: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.cookies)) {
      if (value.startsWith('s:')) signed[name] = false
      else plain[name] = value
    }
    req.cookies = plain
    req.signedCookies = signed
    next()
  }
}

export function bunway(): App {
  return new App()
}
