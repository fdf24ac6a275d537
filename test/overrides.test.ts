import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import session, { MemoryStore } from '../lib/index'
import { cookiePair, request, serve, type Served } from './helpers/http'

let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

describe('over HTTP, what an earlier middleware put on the request or response is honoured', () => {
  async function appWith(before: (req: any, res: any) => void) {
    const store = new MemoryStore()
    const app = express()
    app.use((req: any, res: any, next: any) => {
      before(req, res)
      next()
    })
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, store }))
    app.get('/', (req: any, res: any) => {
      req.session.n = (req.session.n || 0) + 1
      res.send(String(req.session.n))
    })
    served = await serve(app)
    return served.url
  }

  it('headers replaced with an own property are the ones read', async () => {
    let replacement: string | undefined
    const url = await appWith((req) => {
      if (replacement) Object.defineProperty(req, 'headers', { value: { ...req.headers, cookie: replacement } })
    })
    const first = await request(url)
    replacement = cookiePair(first.setCookie)
    // The client sends no cookie; the replaced headers carry the session's.
    expect((await request(url)).body).toBe('2')
  })

  it('the session cookie goes through a setHeader the app installed on the response', async () => {
    const seen: string[] = []
    const url = await appWith((_req, res) => {
      const setHeader = res.setHeader
      res.setHeader = function (this: any, name: string, value: any) {
        seen.push(String(name).toLowerCase())
        return setHeader.call(this, name, value)
      }
    })
    const reply = await request(url)
    expect(reply.setCookie).toHaveLength(1)
    expect(seen).toContain('set-cookie')
  })

  it('a session an app prototype provides is left alone', async () => {
    const app = express()
    Object.defineProperty(app.request, 'session', { configurable: true, get: () => ({ n: 41, provided: true }) })
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, store: new MemoryStore() }))
    app.get('/', (req: any, res: any) => res.json({ session: req.session, sessionID: req.sessionID ?? null }))
    served = await serve(app)
    const reply = await request(served.url)
    expect(JSON.parse(reply.body)).toEqual({ session: { n: 41, provided: true }, sessionID: null })
    expect(reply.setCookie).toEqual([])
  })

  it('a writeHead wrapped on an app prototype still sees the session cookie, as with an own wrapper', async () => {
    const app = express()
    const seen: unknown[] = []
    const inherited = app.response.writeHead
    app.response.writeHead = function (this: any, ...args: any[]) {
      seen.push(this.getHeader('Set-Cookie'))
      return inherited.apply(this, args)
    }
    app.use(session({ secret: 's', resave: false, saveUninitialized: true, store: new MemoryStore() }))
    app.get('/', (_req: any, res: any) => res.send('ok'))
    served = await serve(app)
    const reply = await request(served.url)
    expect(reply.setCookie).toHaveLength(1)
    // express-session wraps the response itself, so its cookie is set before the prototype's wrapper runs.
    expect(seen).toEqual([[reply.setCookie[0]]])
  })
})
