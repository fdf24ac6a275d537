import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import session from '../lib/index'
import { hashId } from '../lib/events'
import { resolveOptions } from '../lib/options'
import { Client, serve, type Served } from './helpers/http'
import { FaultyStore, promiseStore } from './helpers/stores'
import { until } from './helpers/until'

/** A store whose `hanging` methods never answer, until `release()` answers them all (late). */
function hangingStore(kind: 'callback' | 'promise', hanging: string[]) {
  const late: Array<() => void> = []
  const base: any = kind === 'callback' ? new FaultyStore() : promiseStore()
  const calls: string[] = []
  for (const method of ['get', 'set', 'destroy', 'touch']) {
    const original = base[method].bind(base)
    base[method] = (...args: any[]) => {
      calls.push(method)
      if (!hanging.includes(method)) return original(...args)
      if (kind === 'callback') {
        const callback = args[args.length - 1]
        late.push(() => callback(null, method === 'get' ? { cookie: { originalMaxAge: null }, late: true } : undefined))
        return undefined
      }
      return new Promise((resolve) => late.push(() => resolve(method === 'get' ? { cookie: { originalMaxAge: null }, late: true } : undefined)))
    }
  }
  return { store: base, calls, release: () => late.splice(0).forEach((answer) => answer()) }
}

let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

async function appWith(store: any, options: object = {}) {
  const errors: any[] = []
  const middleware = session({ secret: 't', resave: false, saveUninitialized: false, store, storeTimeout: 100, ...options })
  const app = express()
  app.use(middleware)
  app.get('/set', (req: any, res) => {
    req.session.n = (req.session.n || 0) + 1
    res.send(String(req.session.n))
  })
  app.get('/read', (req: any, res) => res.send(String(req.session.n ?? 'none')))
  app.get('/logout', (req: any, res, next) => req.session.destroy((err: any) => (err ? next(err) : res.send('bye'))))
  app.use((err: any, _req: any, res: any, _next: any) => {
    errors.push(err)
    if (!res.headersSent) res.status(503).send(err.code)
  })
  served = await serve(app)
  return { client: new Client(served.url), errors, middleware }
}

describe.each(['callback', 'promise'] as const)('storeTimeout with a %s store', (kind) => {
  it('a get that never answers gives next(err) with ETIMEDOUT, and its late answer is ignored', async () => {
    const hanging = hangingStore(kind, [])
    const { client, errors, middleware } = await appWith(hanging.store)
    const timeouts: any[] = []
    middleware.events.on('timeout', (event) => void timeouts.push(event))
    await client.get('/set')
    const sid = client.sid()
    hanging.store.get = (...args: any[]) => hangingStore(kind, ['get']).store.get(...args)
    const reply = await client.get('/read')
    expect(reply.status).toBe(503)
    expect(reply.body).toBe('ETIMEDOUT')
    expect(errors[0]).toMatchObject({ name: 'SessionError', code: 'ETIMEDOUT' })
    expect(timeouts).toHaveLength(1)
    expect(timeouts[0]).toMatchObject({ method: 'get', id: hashId(sid) })
    expect(timeouts[0].req.url).toBe('/read')
  })

  it('set, touch and destroy that never answer give next(err) with ETIMEDOUT; late answers change nothing', async () => {
    for (const method of ['set', 'touch', 'destroy']) {
      const hanging = hangingStore(kind, [method])
      const { client, errors } = await appWith(hanging.store, { onSaveError: 'error' })
      if (method !== 'set') await client.get('/set') // a stored session to touch or destroy
      const reply = await client.get(method === 'set' ? '/set' : method === 'touch' ? '/read' : '/logout')
      expect(reply.status, method).toBe(503)
      expect(reply.body).toBe('ETIMEDOUT')
      expect(errors).toHaveLength(1)
      hanging.release()
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(errors).toHaveLength(1)
      await served!.close()
      served = undefined
    }
  })
})

describe('requests without a cookie', () => {
  it('do not touch the store until they save', async () => {
    const hanging = hangingStore('callback', [])
    const { client } = await appWith(hanging.store)
    expect((await client.get('/read')).body).toBe('none')
    expect((await client.get('/read')).body).toBe('none')
    expect(hanging.calls).toEqual([])
    await client.get('/set')
    expect(hanging.calls).toEqual(['set'])
  })
})

describe('storeTimeout option', () => {
  it('defaults to 10 s; false turns it off, and a slow store is then waited for', async () => {
    expect(resolveOptions({ secret: 's', resave: false, saveUninitialized: false }).storeTimeout).toBe(10_000)
    expect(resolveOptions({ secret: 's', resave: false, saveUninitialized: false, storeTimeout: false }).storeTimeout).toBe(false)
    expect(() => resolveOptions({ secret: 's', resave: false, saveUninitialized: false, storeTimeout: -1 } as any)).toThrow(/storeTimeout/)
    const slow = promiseStore({ delay: 150 })
    const { client, errors } = await appWith(slow, { storeTimeout: false })
    expect((await client.get('/set')).body).toBe('1')
    expect((await client.get('/set')).body).toBe('2')
    await until(() => slow.calls.length === 3)
    expect(errors).toEqual([])
  })
})
