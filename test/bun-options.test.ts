import fs from 'fs'
import os from 'os'
import path from 'path'
import express from 'express'
import { afterEach, describe, expect, it, vi } from 'vitest'
import session, { MemoryStore, SessionService } from '../lib/index'
import { Client, cookiePair, serve, type Served } from './helpers/http'

/**
 * The options the Bun session libraries document (../shared/docs/seeds),
 * through real HTTP on Express: each test fails without its option.
 */
const secret = 'bun options'
const servers: Served[] = []

afterEach(async () => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  for (const server of servers.splice(0)) await server.close()
})

type Routes = (app: express.Express) => void

/** An Express app with `session(options)` and a counter at `/count`; `routes` adds more. */
async function app(options: Record<string, unknown>, routes?: Routes) {
  const middleware = session({ secret, resave: false, saveUninitialized: false, ...options } as any)
  const server = express()
  server.use(middleware)
  routes?.(server)
  server.get('/count', (req: any, res) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(String(req.session.count))
  })
  server.get('/read', (req: any, res) => res.json({ count: req.session.count ?? null, user: req.session.user ?? null }))
  const served = await serve(server)
  servers.push(served)
  return { middleware, client: new Client(served.url), url: served.url }
}

const line = (setCookie: string[], name = 'connect.sid') => setCookie.find((l) => l.startsWith(name + '=')) ?? ''
const expiresIn = (setCookie: string[]) => Date.parse(/Expires=([^;]+)/.exec(line(setCookie))![1]) - Date.now()

describe('top-level cookie attributes (bun-router, bun-server)', () => {
  it('maxAge, httpOnly, secure, sameSite, domain and path at the top level reach the cookie', async () => {
    const { client } = await app({ maxAge: 7 * 24 * 3600_000, httpOnly: false, sameSite: 'strict', domain: 'example.com', path: '/count' })
    const reply = await client.get('/count')
    const cookie = line(reply.setCookie)
    expect(cookie).toMatch(/; Domain=example\.com; Path=\/count; Expires=/)
    expect(cookie).toMatch(/SameSite=Strict$/)
    expect(cookie).not.toMatch(/HttpOnly/)
    expect(expiresIn(reply.setCookie)).toBeGreaterThan(6.9 * 24 * 3600_000)
  })

  it('top-level secure: true makes a Secure cookie (sent only to a secure request)', async () => {
    const { client } = await app({ secure: true, proxy: true })
    expect((await client.get('/count')).setCookie).toEqual([])
    const reply = await client.get('/count', { headers: { 'x-forwarded-proto': 'https' } })
    expect(line(reply.setCookie)).toMatch(/; Secure/)
  })

  it('cookie wins where it sets the same attribute; the top level fills the rest', async () => {
    const { client } = await app({ maxAge: 3600_000, sameSite: 'strict', cookie: { maxAge: 60_000 } })
    const reply = await client.get('/count')
    expect(expiresIn(reply.setCookie)).toBeLessThanOrEqual(60_000)
    expect(line(reply.setCookie)).toMatch(/SameSite=Strict/)
  })

  it('a cookie function gets the top-level attributes too', async () => {
    const { client } = await app({ maxAge: 3600_000, cookie: () => ({ sameSite: 'lax' }) })
    const reply = await client.get('/count')
    expect(line(reply.setCookie)).toMatch(/Expires=.*SameSite=Lax/)
  })

  it("ts-auth's lifetime (minutes) and cookie name given as cookie: 'name'", async () => {
    const { client } = await app({ lifetime: 120, cookie: 'app_session' })
    const reply = await client.get('/count')
    expect(line(reply.setCookie, 'app_session')).not.toBe('')
    const left = expiresIn(reply.setCookie.map((l) => l.replace(/^app_session/, 'connect.sid')))
    expect(left).toBeGreaterThan(119 * 60_000)
    expect(left).toBeLessThanOrEqual(120 * 60_000)
  })
})

describe('store by name', () => {
  it("store: 'memory' makes a MemoryStore", async () => {
    const { client, middleware } = await app({ store: 'memory' })
    await client.get('/count')
    expect((await client.get('/count')).body).toBe('2')
    expect(middleware.service.options.store).toBeInstanceOf(MemoryStore)
  })

  it("store: 'file' with files: { path } keeps sessions as files there; ts-auth's driver: 'file' too", async () => {
    for (const key of ['store', 'driver']) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-store-name-'))
      try {
        const { client, middleware } = await app({ [key]: 'file', files: { path: dir, reapInterval: false } })
        await client.get('/count')
        expect((await client.get('/count')).body).toBe('2')
        expect(fs.readdirSync(dir).filter((name) => name.endsWith('.json'))).toHaveLength(1)
        ;(middleware.service.options.store as any).close()
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  })

  it('an unknown store name is a clear error', () => {
    expect(() => session({ secret, resave: false, saveUninitialized: false, store: 'database' as any })).toThrow(/store option must be a store, or "memory", "file" or "redis", not "database"/)
  })
})

describe('unknown options are never silent', () => {
  it('one warning per unknown option and session() call, naming it; options without meaning say why', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const { client } = await app({ bogus: 1, maxAgee: 5, id: 'abc' })
    await client.get('/count')
    await client.get('/count')
    const messages = warn.mock.calls.map((call) => String(call[0]))
    expect(messages.filter((m) => m.includes('"bogus"'))).toEqual(['unknown option "bogus" is ignored (see the README for sessionware\'s options)'])
    expect(messages.filter((m) => m.includes('"maxAgee"'))).toHaveLength(1)
    expect(messages.filter((m) => m.includes('"id"'))).toEqual([expect.stringMatching(/option "id" has no meaning in sessionware and is ignored: the session ID comes from/)])
    expect(warn.mock.calls.find((call) => String(call[0]).includes('bogus'))![1]).toMatchObject({ code: 'SESSIONWARE_OPTION' })
  })

  it('files or redis settings for a store that is not made by that name are reported', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    session({ secret, resave: false, saveUninitialized: false, store: new MemoryStore({ sweepInterval: false }), redis: { url: 'redis://localhost' }, files: { path: '/tmp' } } as any)
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
      "option \"files\" is ignored: it configures store: 'file' only",
      "option \"redis\" is ignored: it configures store: 'redis' only"
    ])
  })

  it('every option documented by sessionware is known (no warning)', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-known-'))
    session({
      secret, cookie: {}, genid: () => 'x', name: 'n', proxy: false, resave: false, rolling: false, saveUninitialized: false, store: 'file', files: { path: dir, reapInterval: false },
      unset: 'keep', onSaveError: 'respond', maxAge: 1, httpOnly: true, secure: false, sameSite: 'lax', domain: 'example.com', path: '/',
      lifetime: 1, autoCommit: true, renew: true, renewAfter: 1, renewGrace: 1, storeTtl: 'ms'
    } as any).service.options.store.clear?.()
    fs.rmSync(dir, { recursive: true, force: true })
    expect(warn).not.toHaveBeenCalled()
  })
})

describe('autoCommit: false (bun-router)', () => {
  it('nothing is saved or touched at the end of the request; save() saves and sends the cookie', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const calls: string[] = []
    const { set, touch } = store
    store.set = function (this: any, ...args: any[]) {
      calls.push('set')
      return (set as any).apply(this, args)
    } as any
    store.touch = function (this: any, ...args: any[]) {
      calls.push('touch')
      return (touch as any).apply(this, args)
    } as any
    const { client } = await app({ store, autoCommit: false, rolling: true, saveUninitialized: true, resave: true }, (server) => {
      server.get('/commit', async (req: any, res) => {
        req.session.count = (req.session.count || 0) + 1
        await req.session.save()
        res.send(String(req.session.count))
      })
    })
    const unsaved = await client.get('/count')
    expect(unsaved.setCookie).toEqual([])
    expect(calls).toEqual([])
    const saved = await client.get('/commit')
    expect(saved.body).toBe('1')
    expect(saved.setCookie).toHaveLength(1)
    expect(calls).toEqual(['set'])
    // A loaded session, changed without save(): neither saved nor touched, and no cookie (even with rolling).
    const changed = await client.get('/count')
    expect(changed.body).toBe('2')
    expect(changed.setCookie).toEqual([])
    expect(calls).toEqual(['set'])
    expect((await client.get('/commit')).body).toBe('2')
    expect(calls).toEqual(['set', 'set'])
  })
})

describe("bun-server's flash pattern", () => {
  const routes: Routes = (server) => {
    server.post('/login', (req: any, res) => {
      req.session.flash = { type: 'success', message: 'Welcome back!' }
      res.redirect(302, '/dashboard')
    })
    server.get('/dashboard', (req: any, res) => {
      const flash = req.session.flash
      req.session.flash = undefined
      res.json({ flash: typeof flash === 'function' ? 'holder' : flash })
    })
    server.get('/old-flash', (req: any, res) => {
      req.flash('info', 'one')
      req.session.flash('info', 'two')
      res.send('ok')
    })
    server.get('/old-read', (req: any, res) => res.json(req.flash('info')))
  }

  it('session.flash = { type, message } is read back on the next request, then cleared with undefined', async () => {
    const { client } = await app({}, routes)
    expect((await client.post('/login')).status).toBe(302)
    expect(JSON.parse((await client.get('/dashboard')).body)).toEqual({ flash: { type: 'success', message: 'Welcome back!' } })
    expect(JSON.parse((await client.get('/dashboard')).body)).toEqual({ flash: 'holder' })
  })

  it('req.flash(type, message) and session.flash(type, message) keep working where nothing was assigned', async () => {
    const { client } = await app({}, routes)
    await client.get('/old-flash')
    expect(JSON.parse((await client.get('/old-read')).body)).toEqual(['one', 'two'])
  })
})

describe('SessionService (bun-server)', () => {
  const whoami: Routes = (server) => server.get('/me', (req: any, res) => res.json({ userId: req.session.userId ?? null, role: req.session.role ?? null }))

  it('middleware.service: create gives the cookie the middleware loads; get, update, touch, destroy', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const { middleware, url } = await app({ store, cookie: { maxAge: 60_000 } }, whoami)
    const service = middleware.service
    const created = await service.create({ userId: 'u1', createdAt: 1 })
    expect(decodeURIComponent(created.cookie).startsWith(`s:${created.id}.`)).toBe(true)
    expect(created.setCookie).toMatch(new RegExp(`^connect\\.sid=${created.cookie.replace(/[%.]/g, '\\$&')}; Path=/; Expires=`))
    const browser = new Client(url)
    browser.cookies.set('connect.sid', created.cookie)
    expect(JSON.parse((await browser.get('/me')).body)).toEqual({ userId: 'u1', role: null })

    const before = await service.get(created.id)
    expect(before).toMatchObject({ userId: 'u1', createdAt: 1, cookie: { originalMaxAge: 60_000 } })
    await service.update(created.id, { role: 'admin' })
    const after = await service.get(created.id)
    expect(after).toMatchObject({ userId: 'u1', role: 'admin' })
    expect(after!.cookie.expires).toBe(before!.cookie.expires)
    expect(JSON.parse((await browser.get('/me')).body)).toEqual({ userId: 'u1', role: 'admin' })

    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 30_000)
    await service.touch(created.id)
    expect(Date.parse((await service.get(created.id))!.cookie.expires as string)).toBeGreaterThan(Date.parse(before!.cookie.expires as string) + 29_000)
    vi.useRealTimers()

    await service.destroy(created.id)
    expect(await service.get(created.id)).toBeNull()
    expect(JSON.parse((await browser.get('/me')).body)).toEqual({ userId: null, role: null })
    await expect(service.update(created.id, { role: 'x' })).rejects.toMatchObject({ code: 'ESESSIONNOTFOUND' })
  })

  it('new SessionService(options) over the same store, with callbacks', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const { url } = await app({ store }, whoami)
    const service = new SessionService({ secret, store, resave: false, saveUninitialized: false })
    const created = await new Promise<any>((resolve, reject) => service.create({ userId: 'u2' }, (err, value) => (err ? reject(err) : resolve(value))))
    const browser = new Client(url)
    browser.cookies.set('connect.sid', created.cookie)
    expect(JSON.parse((await browser.get('/me')).body).userId).toBe('u2')
    const got = await new Promise<any>((resolve) => service.get(created.id, (_err, value) => resolve(value)))
    expect(got.userId).toBe('u2')
    await new Promise<void>((resolve, reject) => service.update(created.id, { role: 'r' }, (err) => (err ? reject(err) : resolve())))
    await new Promise<void>((resolve, reject) => service.touch(created.id, (err) => (err ? reject(err) : resolve())))
    await new Promise<void>((resolve, reject) => service.destroy(created.id, (err) => (err ? reject(err) : resolve())))
    expect(await service.get(created.id)).toBeNull()
  })

  it('a session the middleware created is read and changed by the service', async () => {
    const { middleware, client } = await app({}, (server) =>
      server.get('/login', (req: any, res) => {
        req.session.userId = 'u3'
        res.send('ok')
      })
    )
    await client.get('/login')
    const service = middleware.service
    expect((await service.get(client.sid()))!.userId).toBe('u3')
    await service.update(client.sid(), { count: 41 })
    expect((await client.get('/count')).body).toBe('42')
  })
})
