/**
 * Concurrent requests of one session keep each other's changes, `serialize`
 * makes them take turns, and a logout or login is never undone by a slower
 * request: through real HTTP, on every store, and across two app processes
 * for FileStore and RedisStore.
 */
import { spawn, type ChildProcess } from 'child_process'
import fs from 'fs'
import os from 'os'
import path from 'path'
import express from 'express'
import createMemoryStore from 'memorystore'
import Redis from 'ioredis'
import { createClient } from 'redis'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import session, { FileStore, MemoryStore, RedisStore } from '../lib/index'
import { bun } from './helpers/bun'
import { Client, request, serve, type Served } from './helpers/http'
import { redisAvailable, redisForTests } from './helpers/redis-server'
import { concurrencyApp } from './helpers/routes'

const redis = redisAvailable()
const tests = redisForTests(redis)
const uniquePrefix = () => `test:conc:${Math.random().toString(36).slice(2)}:`
const clients: Array<{ disconnect(): unknown }> = []
const dirs: string[] = []
let served: Served | undefined

afterEach(async () => {
  await served?.close()
  served = undefined
})
afterAll(async () => {
  for (const client of clients.splice(0)) await Promise.resolve(client.disconnect()).catch(() => {})
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-conc-'))
  dirs.push(dir)
  return dir
}

async function nodeRedis() {
  const client = createClient({ url: tests.url() })
  client.on('error', () => {})
  await client.connect()
  clients.push(client)
  return client
}

interface StoreCase {
  name: string
  skip?: boolean
  create(): Promise<any>
}

const MemoryStoreOfPackage = createMemoryStore(session as any)
const stores: StoreCase[] = [
  { name: 'MemoryStore', create: async () => new MemoryStore() },
  { name: 'FileStore', create: async () => new FileStore({ path: tempDir(), reapInterval: false }) },
  { name: 'RedisStore (node-redis)', skip: !redis, create: async () => new RedisStore({ client: await nodeRedis(), prefix: uniquePrefix() }) },
  {
    name: 'RedisStore (ioredis)',
    skip: !redis,
    create: async () => {
      const client = new Redis(tests.url())
      clients.push(client)
      return new RedisStore({ client, prefix: uniquePrefix() })
    }
  },
  // A third-party store without merge: read-merge-write, correct within one process.
  { name: 'memorystore (third-party, no merge)', create: async () => new MemoryStoreOfPackage({ checkPeriod: 0 }) }
]

/** What the store holds for `sid`, through its callback (third-party stores answer only that way). */
const stored = (store: any, sid: string) =>
  new Promise((resolve, reject) => store.get(sid, (err: unknown, record: unknown) => (err ? reject(err) : resolve(record))))

/** Serve the concurrency app over `store`; `gate` is what /slow waits for after loading its session. */
async function app(store: any, options: Record<string, unknown> = {}, gate?: () => Promise<void>) {
  const middleware = session({ secret: 'shared', resave: false, saveUninitialized: false, store, ...options })
  served = await serve(concurrencyApp(express, middleware, gate))
  return new Client(served.url)
}

/** A gate that tells when a request reached it, and opens on demand. */
function gate() {
  let reached!: () => void
  let open!: () => void
  const arrived = new Promise<void>((resolve) => (reached = resolve))
  const opened = new Promise<void>((resolve) => (open = resolve))
  return {
    wait: () => {
      reached()
      return opened
    },
    arrived,
    open
  }
}

const keys = Array.from({ length: 50 }, (_, i) => `k${i}`)

describe.each(stores)('$name', ({ skip, create }) => {
  it.skipIf(skip)('50 concurrent requests each setting its own key keep 50 of 50', async () => {
    const client = await app(await create())
    await client.get('/start')
    const replies = await Promise.all(keys.map((key) => client.get(`/set/${key}`)))
    expect(replies.map((reply) => reply.status)).toEqual(keys.map(() => 200))
    const data = JSON.parse((await client.get('/data')).body)
    expect(keys.filter((key) => data[key] === true)).toHaveLength(50)
    expect(data.started).toBe(true)
  })

  it.skipIf(skip)('with serialize, 50 concurrent count++ end at 50', async () => {
    const client = await app(await create(), { serialize: true })
    await client.get('/start')
    const replies = await Promise.all(keys.map(() => client.get('/count')))
    expect(replies.map((reply) => Number(reply.body)).sort((a, b) => a - b)).toEqual(keys.map((_, i) => i + 1))
    expect(JSON.parse((await client.get('/data')).body).count).toBe(50)
  })

  it.skipIf(skip)('a slow request that changes the session and ends 200 ms after a logout does not log the old cookie in again', async () => {
    const store = await create()
    const slowGate = gate()
    const client = await app(store, {}, slowGate.wait)
    await client.get('/auth')
    const oldCookie = client.cookie
    const oldId = client.sid()
    const slow = client.get('/slow')
    await slowGate.arrived
    expect((await client.get('/logout')).body).toBe('bye')
    slowGate.open()
    expect((await slow).body).toBe('slow done')
    expect(await stored(store, oldId)).toBeFalsy()
    expect((await request(served!.url + '/whoami', { cookie: oldCookie })).body).toBe('anonymous')
    expect(await stored(store, oldId)).toBeFalsy()
  })

  it.skipIf(skip)('a slow request that changes the session and ends 200 ms after a login (regenerate) leaves the old ID absent', async () => {
    const store = await create()
    const slowGate = gate()
    const client = await app(store, {}, slowGate.wait)
    await client.get('/start')
    const oldCookie = client.cookie
    const oldId = client.sid()
    const slow = client.get('/slow', { cookie: oldCookie })
    await slowGate.arrived
    expect((await client.get('/login')).body).toBe('ok')
    expect(client.sid()).not.toBe(oldId)
    slowGate.open()
    expect((await slow).body).toBe('slow done')
    expect(await stored(store, oldId)).toBeFalsy()
    expect((await request(served!.url + '/whoami', { cookie: oldCookie })).body).toBe('anonymous')
    expect((await client.get('/whoami')).body).toBe('ada')
  })
})

describe('serialize: every path gives the session back', () => {
  it('a request that cannot get its session in time gets ESESSIONBUSY through next(err), and the holder goes on', async () => {
    const slowGate = gate()
    const client = await app(new MemoryStore(), { serialize: 50 }, slowGate.wait)
    await client.get('/start')
    const slow = client.get('/slow')
    await slowGate.arrived
    const busy = await client.get('/whoami')
    expect(busy.status).toBe(500)
    expect(busy.body).toMatch(/^ESESSIONBUSY: /)
    slowGate.open()
    expect((await slow).body).toBe('slow done')
    expect((await client.get('/data')).body).toBe(JSON.stringify({ started: true, visits: 1 }))
  })

  it('a client that goes away releases the session; new sessions never wait', async () => {
    const slowGate = gate()
    const client = await app(new MemoryStore(), { serialize: 5000 }, slowGate.wait)
    await client.get('/auth')
    const aborted = new AbortController()
    const slow = client.get('/slow', { signal: aborted.signal }).catch((err) => err.name)
    await slowGate.arrived
    // A request without a cookie does not wait for anyone.
    expect((await request(served!.url + '/whoami')).body).toBe('anonymous')
    aborted.abort()
    expect(await slow).toBe('AbortError')
    // The gate is still shut: only the client's going away can have released the session.
    expect((await client.get('/whoami')).body).toBe('ada')
    slowGate.open()
  })

  it.each(['/logout-then-wait', '/login-then-wait'])('%s: destroy and regenerate release the old ID at once, before the response', async (route) => {
    const routeGate = gate()
    const client = await app(new MemoryStore(), { serialize: 5000 }, routeGate.wait)
    await client.get('/auth')
    const old = client.cookie
    const pending = client.get(route)
    await routeGate.arrived
    // Still in the request, which no longer holds the old ID: this one does not wait (it would for 5 s).
    expect((await request(served!.url + '/whoami', { cookie: old })).body).toBe('anonymous')
    routeGate.open()
    expect((await pending).status).toBe(200)
  })
})

describe('serialize: a request that never ends', () => {
  it('holds its session no longer than maxRequestTime', async () => {
    const slowGate = gate()
    const client = await app(new MemoryStore(), { serialize: 5000, maxRequestTime: 100 }, slowGate.wait)
    await client.get('/auth')
    const slow = client.get('/slow')
    await slowGate.arrived
    // The slow request is stuck at its gate: the next one gets the session once the hold has expired.
    expect((await client.get('/whoami')).body).toBe('ada')
    slowGate.open()
    await slow
  })
})

describe.skipIf(!redis)('RedisStore serialize lease', () => {
  it('a lease left by a crashed process blocks the session only until it expires; a shorter wait gets ESESSIONBUSY', async () => {
    const prefix = uniquePrefix()
    const redisClient = await nodeRedis()
    const store = new RedisStore({ client: redisClient, prefix })
    const client = await app(store, { serialize: 5000 })
    await client.get('/auth')
    // What a process that died holding the session leaves behind.
    await redisClient.set(store.leasePrefix + client.sid(), 'crashed', { PX: 300 })
    expect((await client.get('/whoami')).body).toBe('ada')
    await served!.close()
    const impatient = await app(store, { serialize: 50 })
    impatient.cookies.set('connect.sid', client.cookies.get('connect.sid')!)
    await redisClient.set(store.leasePrefix + client.sid(), 'crashed', { PX: 10_000 })
    expect((await impatient.get('/whoami')).body).toMatch(/^ESESSIONBUSY: /)
    await redisClient.del(store.leasePrefix + client.sid())
  })


  it('holds a lease key while a request runs and removes it after', async () => {
    const prefix = uniquePrefix()
    const redisClient = await nodeRedis()
    const store = new RedisStore({ client: redisClient, prefix })
    const slowGate = gate()
    const client = await app(store, { serialize: true }, slowGate.wait)
    await client.get('/start')
    const slow = client.get('/slow')
    await slowGate.arrived
    expect(await redisClient.exists(store.leasePrefix + client.sid())).toBe(1)
    slowGate.open()
    await slow
    expect(await redisClient.exists(store.leasePrefix + client.sid())).toBe(0)
  })
})

// Two app processes (Bun, from the TypeScript source) share one directory or one Redis.
const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children.splice(0)) child.kill()
})

async function startApp(args: string[]): Promise<string> {
  const child = spawn(bun, [path.join(__dirname, 'fixtures', 'concurrency', 'app.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: path.join(__dirname, '..')
  })
  children.push(child)
  return new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (data) => resolve(String(data).trim()))
    child.once('exit', (code) => reject(new Error(`app process exited early (${code})`)))
  })
}

/** 50 requests of one session, alternating between the two apps; then what the session holds. */
async function acrossTwo(a: string, b: string, route: (i: number) => string) {
  const browser = new Client(a)
  await browser.get('/start')
  const replies = await Promise.all(keys.map((_, i) => request((i % 2 ? b : a) + route(i), { cookie: browser.cookie })))
  expect(replies.map((reply) => reply.status)).toEqual(keys.map(() => 200))
  return JSON.parse((await browser.get('/data')).body)
}

describe('across two app processes', () => {
  it('FileStore: 50 concurrent requests each setting its own key keep 50 of 50', async () => {
    const dir = tempDir()
    const [a, b] = await Promise.all([startApp(['file', dir]), startApp(['file', dir])])
    const data = await acrossTwo(a, b, (i) => `/set/k${i}`)
    expect(keys.filter((key) => data[key] === true)).toHaveLength(50)
  })

  it.skipIf(!redis)('RedisStore (node-redis and ioredis): 50 concurrent requests each setting its own key keep 50 of 50', async () => {
    const prefix = uniquePrefix()
    const [a, b] = await Promise.all([startApp(['node-redis', tests.url(), prefix]), startApp(['ioredis', tests.url(), prefix])])
    const data = await acrossTwo(a, b, (i) => `/set/k${i}`)
    expect(keys.filter((key) => data[key] === true)).toHaveLength(50)
  })

  it.skipIf(!redis)('RedisStore with serialize: 50 concurrent count++ end at 50 (a lease across processes)', async () => {
    const prefix = uniquePrefix()
    const [a, b] = await Promise.all([startApp(['node-redis', tests.url(), prefix, 'serialize']), startApp(['ioredis', tests.url(), prefix, 'serialize'])])
    const data = await acrossTwo(a, b, () => '/count')
    expect(data.count).toBe(50)
  })
})
