import express from 'express'
import MemoryStoreFactory from 'memorystore'
import expressSession from 'express-session'
import { afterEach, describe, expect, it, vi } from 'vitest'
import session from '../lib/index'
import { Client, serve, type Served } from './helpers/http'
import { makeStore, storeNames, type OurStore } from './helpers/our-stores'
import { promiseStore } from './helpers/stores'
import { userRoutes } from './helpers/user-routes'

let servers: Served[] = []
let ours: OurStore | undefined
afterEach(async () => {
  vi.useRealTimers()
  for (const served of servers.splice(0)) await served.close()
  await ours?.dispose()
  ours = undefined
})

async function appOn(store: any, options: object = {}) {
  const middleware = session({ secret: 'users', resave: false, saveUninitialized: false, store, userKey: 'userId', ...options })
  const served = await serve(userRoutes(express, middleware))
  servers.push(served)
  return { url: served.url, middleware, client: () => new Client(served.url) }
}

async function loggedIn(app: { client(): Client }, user: string) {
  const client = app.client()
  expect((await client.post('/login?user=' + user)).body).toBe('in')
  return client
}

const ids = async (client: Client, user: string) => (JSON.parse((await client.get('/sessions?user=' + user)).body) as Array<{ id: string }>).map((s) => s.id).sort()

describe.each(storeNames())('the user index of %s', (name) => {
  it('lists a user\'s sessions with their creation and last-use times, kept on login, logout, regenerate and user change', async () => {
    ours = await makeStore(name as any)
    const app = await appOn(ours.store)
    const [a, b, c] = [await loggedIn(app, 'ada'), await loggedIn(app, 'ada'), await loggedIn(app, 'ada')]
    const bob = await loggedIn(app, 'bob')
    const list = JSON.parse((await a.get('/sessions?user=ada')).body)
    expect(list.map((s: any) => s.id).sort()).toEqual([a.sid(), b.sid(), c.sid()].sort())
    for (const entry of list) expect(entry).toEqual({ id: expect.any(String), created: expect.any(Number), used: expect.any(Number) })
    expect(await ids(a, 'bob')).toEqual([bob.sid()])

    await c.post('/logout') // destroy
    const before = b.sid()
    await b.post('/login?user=ada') // regenerate: a new ID, the old one gone
    expect(b.sid()).not.toBe(before)
    await bob.post('/login?user=ada') // the same browser, now someone else
    expect(await ids(a, 'ada')).toEqual([a.sid(), b.sid(), bob.sid()].sort())
    expect(await ids(a, 'bob')).toEqual([])
    await bob.post('/forget') // the user key removed from the session
    expect(await ids(a, 'ada')).toEqual([a.sid(), b.sid()].sort())
    expect(await ids(a, 'nobody-at-all')).toEqual([])
  })

  it('links a session that gains or changes its user without a new ID (the save is a merge)', async () => {
    ours = await makeStore(name as any)
    const app = await appOn(ours.store)
    const client = app.client()
    expect((await client.post('/visit')).body).toBe('1')
    const sid = client.sid()
    expect(await ids(client, 'ada')).toEqual([])
    await client.post('/claim?user=ada')
    expect(client.sid()).toBe(sid)
    expect(await ids(client, 'ada')).toEqual([sid])
    await client.post('/claim?user=bob')
    expect(await ids(client, 'bob')).toEqual([sid])
    expect(await ids(client, 'ada')).toEqual([])
    expect((await client.post('/visit')).body).toBe('2')
    expect(await ids(client, 'bob')).toEqual([sid])
  })

  it('destroyAll(user, { except }) logs out the other devices, and only them', async () => {
    ours = await makeStore(name as any)
    const app = await appOn(ours.store)
    const [a, b, c] = [await loggedIn(app, 'ada'), await loggedIn(app, 'ada'), await loggedIn(app, 'ada')]
    const bob = await loggedIn(app, 'bob')
    expect((await a.post('/others-out')).body).toBe('2')
    expect((await a.get('/me')).body).toBe('ada')
    expect((await b.get('/me')).body).toBe('nobody')
    expect((await c.get('/me')).body).toBe('nobody')
    expect((await bob.get('/me')).body).toBe('bob')
    expect(await ids(a, 'ada')).toEqual([a.sid()])
    expect(await app.middleware.service.destroyAll('ada')).toBe(1)
    expect((await a.get('/me')).body).toBe('nobody')
  })

  it('maxSessionsPerUser ends the oldest session when a login exceeds it', async () => {
    ours = await makeStore(name as any)
    vi.useFakeTimers({ toFake: ['Date'] })
    const app = await appOn(ours.store, { maxSessionsPerUser: 2 })
    const first = await loggedIn(app, 'ada')
    vi.setSystemTime(Date.now() + 1000)
    const second = await loggedIn(app, 'ada')
    vi.setSystemTime(Date.now() + 1000)
    const third = await loggedIn(app, 'ada')
    expect((await first.get('/me')).body).toBe('nobody')
    expect((await second.get('/me')).body).toBe('ada')
    expect((await third.get('/me')).body).toBe('ada')
    expect(await ids(third, 'ada')).toEqual([second.sid(), third.sid()].sort())
  })

  it('drops sessions that expired (idleTimeout) from the list, and destroys them', async () => {
    ours = await makeStore(name as any)
    vi.useFakeTimers({ toFake: ['Date'] })
    const app = await appOn(ours.store, { idleTimeout: 60_000 })
    const a = await loggedIn(app, 'ada')
    vi.setSystemTime(Date.now() + 50_000)
    const b = await loggedIn(app, 'ada')
    vi.setSystemTime(Date.now() + 20_000)
    expect(await ids(b, 'ada')).toEqual([b.sid()])
    expect(await ours.store.get(a.sid())).toBeNull()
  })

  it('keeps its index across a restart (another store instance over the same data)', async () => {
    ours = await makeStore(name as any)
    const app = await appOn(ours.store)
    const a = await loggedIn(app, 'ada')
    const b = await loggedIn(app, 'ada')
    const again = await appOn(await ours.reopen())
    expect(await again.middleware.service.list('ada').then((list) => list.map((s) => s.id).sort())).toEqual([a.sid(), b.sid()].sort())
    expect(await again.middleware.service.destroyAll('ada')).toBe(2)
    expect((await a.get('/me')).body).toBe('nobody')
  })
})

describe('the user index of third-party stores', () => {
  it('falls back to all() (memorystore), and takes numbers as users', async () => {
    const MemoryStore = MemoryStoreFactory(expressSession as any)
    const store = new MemoryStore({ checkPeriod: 0 })
    const app = await appOn(store)
    const a = await loggedIn(app, '42')
    await loggedIn(app, 'ada')
    expect((await app.middleware.service.list(42)).map((s) => s.id)).toEqual([a.sid()])
    expect(await app.middleware.service.destroyAll(42)).toBe(1)
    expect((await a.get('/me')).body).toBe('nobody')
  })

  it('gives a clear error without a user index and without all(), and without userKey', async () => {
    const app = await appOn(promiseStore())
    await loggedIn(app, 'ada')
    await expect(app.middleware.service.list('ada')).rejects.toMatchObject({ code: 'ENOUSERINDEX', message: expect.stringMatching(/no user index/) })
    const plain = session({ secret: 's', resave: false, saveUninitialized: false })
    await expect(plain.service.destroyAll('ada')).rejects.toMatchObject({ code: 'ENOUSERINDEX', message: expect.stringMatching(/userKey/) })
    const viaCallback = await new Promise((resolve) => plain.service.list('ada', (err) => resolve(err)))
    expect(viaCallback).toMatchObject({ code: 'ENOUSERINDEX' })
  })
})

describe.skipIf(!storeNames().includes('RedisStore'))('the Redis user index across two app processes', () => {
  it('a session made by one process is listed and destroyed by the other', async () => {
    const { spawn } = await import('child_process')
    const path = await import('path')
    const { bun } = await import('./helpers/bun')
    const { uniquePrefix } = await import('./helpers/our-stores')
    const prefix = uniquePrefix()
    const fixture = path.join(__dirname, 'fixtures', 'user-index', 'app.ts')
    const children = [0, 1].map(() => spawn(bun, [fixture, process.env.REDIS_URL!, prefix], { stdio: ['ignore', 'pipe', 'pipe'] }))
    const logs = children.map((child) => {
      const log = { text: '' }
      child.stderr!.on('data', (data) => (log.text += data))
      return log
    })
    try {
      const urls = await Promise.all(
        children.map(
          (child, i) =>
            new Promise<string>((resolve, reject) => {
              let out = ''
              child.stdout!.on('data', (data) => {
                out += data
                if (out.includes('\n')) resolve(out.trim())
              })
              child.once('exit', (code) => reject(new Error(`app process exited early (${code}): ${logs[i].text}`)))
              setTimeout(() => reject(new Error(`app process did not start within 30 s: ${logs[i].text}`)), 30_000).unref()
            })
        )
      )
      const [one, two] = urls.map((url) => ({ client: () => new Client(url) }))
      const a = await loggedIn(one, 'ada')
      const b = await loggedIn(two, 'ada')
      const c = await loggedIn(one, 'ada')
      expect(await ids(two.client(), 'ada')).toEqual([a.sid(), b.sid(), c.sid()].sort())
      // "Log out other devices" from process two: the sessions process one made end too.
      const onTwo = new Client(urls[1])
      onTwo.cookies.set('connect.sid', b.cookies.get('connect.sid')!)
      expect((await onTwo.post('/others-out')).body).toBe('2')
      expect((await new Client(urls[0]).get('/me', { cookie: a.cookie })).body).toBe('nobody')
      expect((await new Client(urls[0]).get('/me', { cookie: c.cookie })).body).toBe('nobody')
      expect((await new Client(urls[0]).get('/me', { cookie: b.cookie })).body).toBe('ada')
      expect(await ids(one.client(), 'ada')).toEqual([b.sid()])
    } finally {
      for (const child of children) child.kill()
      const { RedisStore } = await import('../stores/redis')
      const { createClient } = await import('redis')
      const client = createClient({ url: process.env.REDIS_URL })
      await client.connect()
      await new RedisStore({ client, prefix }).clear()
      await client.quit()
    }
  }, 60_000)
})

describe('FileStore\'s index on disk', () => {
  it('the reaper removes the entries of sessions that expired; entries are atomic files, one per session', async () => {
    const fs = await import('fs')
    const path = await import('path')
    ours = await makeStore('FileStore')
    const store = ours.store as import('../stores/file').FileStore
    const record = (ms: number) => ({ cookie: { originalMaxAge: ms, expires: new Date(Date.now() + ms).toISOString(), sessionware: { created: 1, used: 1, user: 'ada' } } })
    await store.set('live', record(60_000))
    await store.set('dying', record(50))
    const users = path.join(store.path, '.users')
    const [dir] = fs.readdirSync(users)
    expect(fs.readdirSync(path.join(users, dir)).sort()).toEqual([Buffer.from('dying').toString('hex'), Buffer.from('live').toString('hex')])
    await new Promise((resolve) => setTimeout(resolve, 80))
    await store.reap()
    expect(fs.readdirSync(path.join(users, dir))).toEqual([Buffer.from('live').toString('hex')])
    expect(Object.keys(await store.userSessions('ada'))).toEqual(['live'])
  })
})
