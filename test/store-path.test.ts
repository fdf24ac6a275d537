import connectFlash from 'connect-flash'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import session, { MemoryStore, Session, Store } from '../lib/index'
import { implementations, type Implementation } from './helpers/apps'
import { Client, serve, type Served } from './helpers/http'
import { until } from './helpers/until'

let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

/** An Express app with a counter, a read, a logout and a flash redirect, over `store`. */
async function app(impl: Implementation, store: any) {
  const errors: any[] = []
  const app = express()
  app.use(implementations[impl]({ secret: 's', resave: false, saveUninitialized: false, store }))
  app.use(connectFlash())
  app.get('/count', (req: any, res) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(String(req.session.count))
  })
  app.get('/read', (req: any, res) => res.send(String(req.session.count ?? 'none')))
  app.get('/logout', (req: any, res, next) => req.session.destroy((err: any) => (err ? next(err) : res.send('bye'))))
  app.post('/message', (req: any, res) => {
    req.flash('info', 'saved!')
    res.redirect('/messages')
  })
  app.get('/messages', (req: any, res) => res.json(req.flash('info')))
  app.use((err: any, _req: any, res: any, _next: any) => {
    errors.push(err)
    if (!res.headersSent) res.status(500).send('error: ' + err.message)
  })
  served = await serve(app)
  return { client: new Client(served.url), errors }
}

const both: Implementation[] = ['express-session', 'sessionware']

describe('every store call goes through the store method as it is at the time of the call', () => {
  it.each(both)('%s: methods replaced on the instance after mounting (a spy) are the ones called, with the same calls', async (impl) => {
    const store = new MemoryStore()
    const { client } = await app(impl, store)
    await client.get('/count')
    // Replaced after the middleware was mounted and used, as a test spy would be.
    const calls: string[] = []
    for (const method of ['get', 'set', 'touch', 'destroy'] as const) {
      const original = (store as any)[method]
      ;(store as any)[method] = function (this: any, sid: string, ...rest: any[]) {
        calls.push(method)
        return original.call(this, sid, ...rest)
      }
    }
    expect((await client.get('/count')).body).toBe('2')
    expect((await client.get('/read')).body).toBe('2')
    expect((await client.get('/logout')).body).toBe('bye')
    expect(calls).toEqual(['get', 'set', 'get', 'touch', 'get', 'destroy'])
  })

  it.each(both)('%s: a replaced set that fails reaches next(err)', async (impl) => {
    const store = new MemoryStore()
    const { client, errors } = await app(impl, store)
    store.set = function (_sid: string, _session: any, callback: any) {
      setImmediate(() => callback(new Error('disk full')))
    } as any
    await client.get('/count')
    await until(() => errors.length > 0)
    expect(errors.map((err) => err.message)).toEqual(['disk full'])
  })

  it.each(both)('%s: a replaced set that is slow is waited for before the response is released', async (impl) => {
    const store = new MemoryStore()
    const { client } = await app(impl, store)
    const events: string[] = []
    const set = store.set
    store.set = function (this: any, sid: string, record: any, callback: any) {
      setTimeout(() => {
        events.push('stored')
        set.call(this, sid, record, callback)
      }, 30)
    } as any
    await client.get('/count')
    events.push('response')
    // express-session writes the response before the store answers, and holds only its end.
    expect(events).toEqual(['stored', 'response'])
  })

  it.each(both)("%s: connect-flash's post/redirect/get keeps its message when the store's set is wrapped", async (impl) => {
    const store = new MemoryStore()
    const { client } = await app(impl, store)
    let writes = 0
    const set = store.set
    store.set = function (this: any, ...args: any[]) {
      writes++
      return (set as Function).apply(this, args)
    } as any
    const posted = await client.post('/message')
    expect(posted.status).toBe(302)
    expect(JSON.parse((await client.get('/messages')).body)).toEqual(['saved!'])
    expect(writes).toBeGreaterThanOrEqual(1)
  })
})

describe('subclasses of our stores, written as express-session users write them', () => {
  it.each(both)('%s: a subclass overriding get in callback style is called with a callback, and its error reaches next(err)', async (impl) => {
    class ChaosStore extends MemoryStore {
      broken = false
      get(sid: string, callback?: any): any {
        if (this.broken) return callback(Object.assign(new Error('chaos'), { code: 'ECHAOS' }))
        return super.get(sid, callback)
      }
    }
    const store = new ChaosStore()
    const { client, errors } = await app(impl, store)
    expect((await client.get('/count')).body).toBe('1')
    store.broken = true
    const reply = await client.get('/count')
    expect(reply.status).toBe(500)
    expect(errors.map((err) => err.code)).toEqual(['ECHAOS'])
    store.broken = false
    expect((await client.get('/count')).body).toBe('2')
  })

  it.each(both)('%s: a subclass whose overrides return nothing and answer through the callback only, later', async (impl) => {
    class LaterStore extends MemoryStore {}
    for (const method of ['get', 'set', 'touch', 'destroy']) {
      ;(LaterStore.prototype as any)[method] = function (this: any, ...args: any[]) {
        const callback = args.pop()
        ;(MemoryStore.prototype as any)[method].call(this, ...args).then(
          (value: unknown) => setImmediate(callback, null, value),
          (err: unknown) => setImmediate(callback, err)
        )
      }
    }
    const store = new LaterStore()
    expect(store).toBeInstanceOf(Store)
    const { client, errors } = await app(impl, store)
    expect((await client.get('/count')).body).toBe('1')
    expect((await client.get('/count')).body).toBe('2')
    expect((await client.get('/read')).body).toBe('2')
    expect(errors).toEqual([])
  })
})

describe('stores that answer through their promise, or both ways (sessionware: the first answer wins)', () => {
  it('a subclass whose async overrides ignore the callback is answered by their promises', async () => {
    class AsyncStore extends MemoryStore {
      calls: string[] = []
    }
    for (const method of ['get', 'set', 'touch', 'destroy']) {
      ;(AsyncStore.prototype as any)[method] = async function (this: any, ...args: any[]) {
        this.calls.push(method)
        // The callback the middleware passes is ignored: only the returned promise answers.
        return (MemoryStore.prototype as any)[method].call(this, ...args.slice(0, typeof args.at(-1) === 'function' ? -1 : undefined))
      }
    }
    const store = new AsyncStore()
    const { client, errors } = await app('sessionware', store)
    expect((await client.get('/count')).body).toBe('1')
    expect((await client.get('/count')).body).toBe('2')
    expect((await client.get('/read')).body).toBe('2')
    expect((await client.get('/logout')).body).toBe('bye')
    expect((await client.get('/read')).body).toBe('none')
    expect(errors).toEqual([])
    expect(store.calls).toContain('destroy')
  })

  it('a store that calls back with an error and then resolves its promise fails once, with the callback\'s error', async () => {
    class TwoFacedStore extends MemoryStore {
      broken = false
      get(sid: string, callback?: any): any {
        if (!this.broken) return super.get(sid, callback)
        callback(Object.assign(new Error('callback first'), { code: 'EFIRST' }))
        return Promise.resolve(null)
      }
    }
    const store = new TwoFacedStore()
    const { client, errors } = await app('sessionware', store)
    expect((await client.get('/count')).body).toBe('1')
    store.broken = true
    expect((await client.get('/count')).status).toBe(500)
    expect(errors.map((err) => err.code)).toEqual(['EFIRST'])
    store.broken = false
    expect((await client.get('/count')).body).toBe('2')
  })
})

describe('public store methods take a callback and return a promise', () => {
  it('load(sid) without a callback resolves with a Session, or undefined for none', async () => {
    const store = new MemoryStore()
    await store.set('sid', { cookie: { originalMaxAge: null, path: '/', httpOnly: true }, n: 1 } as any)
    const loaded = await store.load('sid')
    expect(loaded).toBeInstanceOf(Session)
    expect((loaded as any).n).toBe(1)
    expect(await store.load('missing')).toBeUndefined()
    const viaCallback = await new Promise((resolve, reject) => store.load('sid', (err, s) => (err ? reject(err) : resolve(s))))
    expect((viaCallback as any).id).toBe('sid')
  })

  it('regenerate(req) without a callback resolves once the old session is gone and a new one made', async () => {
    const store = new MemoryStore()
    await store.set('old', { cookie: { originalMaxAge: null, path: '/' } } as any)
    store.generate = (req: any) => {
      req.sessionID = 'new'
    }
    const req: any = { sessionID: 'old' }
    await store.regenerate(req)
    expect(req.sessionID).toBe('new')
    expect(await store.get('old')).toBeNull()
  })

  it('sweep() settles when the whole sweep is done, though it yields to the event loop on the way', async () => {
    const store = new MemoryStore({ sweepInterval: false })
    const past = { cookie: { originalMaxAge: 1, expires: new Date(Date.now() - 1000).toISOString(), path: '/' } }
    for (let i = 0; i < 60_000; i++) await store.set('expired' + i, past as any, 60_000)
    await store.set('live', { cookie: { originalMaxAge: null, path: '/' } } as any)
    let yielded = false
    setImmediate(() => (yielded = true))
    const first = store.sweep()
    const joined = store.sweep()
    await first
    await joined
    expect((store as any).sessions.size).toBe(1)
    expect(yielded).toBe(true)
    await new Promise<void>((resolve, reject) => store.sweep((err) => (err ? reject(err) : resolve())))
    expect(await store.length()).toBe(1)
  })

  it('a script can use every method with await, and the same store then serves the middleware', async () => {
    const store = new MemoryStore()
    await store.set('script', { cookie: { originalMaxAge: null, path: '/', httpOnly: true }, count: 41 } as any)
    expect(await store.length()).toBe(1)
    expect((await store.get('script'))!.count).toBe(41)
    const express5 = express()
    express5.use(session({ secret: 's', resave: false, saveUninitialized: false, store }))
    express5.get('/', (req: any, res) => res.send(String(++req.session.count)))
    served = await serve(express5)
    const cookie = 'connect.sid=' + encodeURIComponent('s:' + require('cookie-signature').sign('script', 's'))
    expect((await new Client(served.url).get('/', { cookie })).body).toBe('42')
    await store.clear()
    expect(await store.length()).toBe(0)
  })
})
