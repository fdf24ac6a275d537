import { spawn, type ChildProcess } from 'child_process'
import path from 'path'
import ConnectRedis from 'connect-redis'
import express from 'express'
import Redis from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import session from '../lib/index'
import { RedisStore, redisStore } from '../stores/redis'
import { bun } from './helpers/bun'
import { Client, serve } from './helpers/http'
import { hasRedisServer, redisAvailable, startRedis, unavailable, type RedisServer } from './helpers/redis-server'
import { storeContract } from './helpers/store-contract'

// Without Redis every suite here is skipped, and reported as skipped (in CI it is an error: helpers/redis-server.ts).
const enabled = redisAvailable()
// Restarting Redis needs a server of the test's own, even when REDIS_URL points at a shared one.
const ownServer = enabled && (hasRedisServer() || unavailable('the restart test needs a redis-server binary'))

let server: RedisServer | undefined
let url = process.env.REDIS_URL || ''
const clients: Array<{ quit?: () => unknown; disconnect?: () => unknown }> = []

if (enabled) {
  beforeAll(async () => {
    if (!url) {
      server = await startRedis()
      url = server.url
    }
  })
  afterAll(async () => {
    for (const client of clients.splice(0)) await Promise.resolve(client.disconnect?.()).catch(() => {})
    await server?.stop()
  })
}

async function nodeRedis(target = url) {
  const client = createClient({ url: target })
  client.on('error', () => {})
  await client.connect()
  clients.push(client)
  return client
}

function ioredis(target = url) {
  const client = new Redis(target, { lazyConnect: false, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  clients.push(client)
  return client
}

const uniquePrefix = () => `test:${Math.random().toString(36).slice(2)}:`

storeContract('RedisStore (node-redis)', {
  skip: !enabled,
  create: async () => new RedisStore({ client: await nodeRedis(), prefix: uniquePrefix() }),
  dispose: (store) => store.clear(),
  touchWritesCookie: false
})
storeContract('RedisStore (ioredis)', {
  skip: !enabled,
  create: () => redisStore({ client: ioredis(), prefix: uniquePrefix() }),
  dispose: (store) => store.clear(),
  touchWritesCookie: false
})

const record = (data: object, maxAge = 60_000) => ({
  cookie: { originalMaxAge: maxAge, expires: new Date(Date.now() + maxAge).toISOString(), httpOnly: true, path: '/' },
  ...data
})

describe.skipIf(!enabled)('RedisStore and connect-redis share keys and records', () => {
  it('connect-redis writes, RedisStore reads; RedisStore writes, connect-redis reads', async () => {
    const client = await nodeRedis()
    const prefix = uniquePrefix()
    const theirs = new (ConnectRedis as any)({ client, prefix })
    const ours = new RedisStore({ client, prefix })
    const rec = record({ user: 'ada' })
    await new Promise<void>((resolve, reject) => theirs.set('from-them', rec, (err: any) => (err ? reject(err) : resolve())))
    expect(await ours.get('from-them')).toEqual(rec)
    await ours.set('from-us', record({ user: 'grace' }))
    const got = await new Promise<any>((resolve, reject) => theirs.get('from-us', (err: any, s: any) => (err ? reject(err) : resolve(s))))
    expect(got.user).toBe('grace')
    const [ttlTheirs, ttlOurs] = await Promise.all([client.ttl(prefix + 'from-them'), client.ttl(prefix + 'from-us')])
    expect(ttlTheirs).toBeGreaterThan(55)
    expect(ttlOurs).toBeGreaterThan(55)
    expect(Math.abs(ttlTheirs - ttlOurs)).toBeLessThanOrEqual(1)
    expect((await ours.ids()).sort()).toEqual(['from-them', 'from-us'])
    await ours.clear()
  })

  it('touch is an EXPIRE only; a record without expiry gets the ttl option; an expired one is removed', async () => {
    const client = await nodeRedis()
    const prefix = uniquePrefix()
    const store = new RedisStore({ client, prefix, ttl: 30 })
    await store.set('s', record({ n: 1 }, 5_000))
    await client.set(prefix + 's', JSON.stringify(record({ n: 2 }, 5_000)), { KEEPTTL: true })
    await store.touch('s', record({ n: 1 }, 600_000))
    expect((await store.get('s'))!.n).toBe(2)
    expect(await client.ttl(prefix + 's')).toBeGreaterThan(500)
    await store.set('plain', { n: 3 } as any)
    expect(await client.ttl(prefix + 'plain')).toBe(30)
    await store.set('plain', record({ n: 4 }, -1000))
    expect(await store.get('plain')).toBeNull()
    await store.clear()
  })

  it('bad input is a rejection (or a callback error), never a throw', async () => {
    const store = new RedisStore({ client: await nodeRedis(), prefix: uniquePrefix() })
    for (const method of ['get', 'set', 'destroy', 'touch'] as const) {
      const args = method === 'set' || method === 'touch' ? [42, record({})] : [42]
      const call = () => (store as any)[method](...args)
      expect(call).not.toThrow()
      await expect(call()).rejects.toMatchObject({ code: 'EINVALIDSID' })
      const viaCallback = await new Promise((resolve) => (store as any)[method](...args, resolve))
      expect(viaCallback).toMatchObject({ code: 'EINVALIDSID' })
    }
    await expect(store.set('s', undefined as any)).rejects.toThrow('session must be an object')
  })

  it('an unparsable cookie expiry falls back to maxAge, then to ttl (connect-redis would fail or delete)', async () => {
    const client = await nodeRedis()
    const prefix = uniquePrefix()
    const store = new RedisStore({ client, prefix, ttl: 40 })
    await store.set('bad', { cookie: { expires: 'not a date' }, n: 1 } as any)
    expect(await client.ttl(prefix + 'bad')).toBe(40)
    await store.set('max-age', { cookie: { maxAge: 20_000 }, n: 1 } as any)
    expect(await client.ttl(prefix + 'max-age')).toBe(20)
    await store.clear()
  })

  it('enumerates with SCAN in batches, and only under its prefix', async () => {
    const client = await nodeRedis()
    const prefix = uniquePrefix()
    const store = new RedisStore({ client, prefix, scanCount: 7 })
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.set('id' + i, record({ i }))))
    await client.set('unrelated:key', 'x')
    expect(await store.length()).toBe(40)
    expect(Object.keys(await store.all())).toHaveLength(40)
    await store.clear()
    expect(await store.length()).toBe(0)
    expect(await client.get('unrelated:key')).toBe('x')
    await client.del('unrelated:key')
  })
})

// Clients that retry every 50 ms, so that the test sees the reconnection soon.
const reconnecting = {
  async 'node-redis'(target: string) {
    const client = createClient({ url: target, socket: { reconnectStrategy: () => 50 } })
    client.on('error', () => {})
    await client.connect()
    return { client, close: () => client.disconnect().catch(() => {}) }
  },
  async ioredis(target: string) {
    const client = new Redis(target, { retryStrategy: () => 50 })
    client.on('error', () => {})
    await new Promise((resolve) => client.once('ready', resolve))
    return { client, close: () => client.disconnect() }
  }
}

describe.skipIf(!ownServer)('RedisStore when Redis goes away', () => {
  it.each(Object.keys(reconnecting) as Array<keyof typeof reconnecting>)('(%s) fails within the timeout through next(err), and works again once Redis is back', async (kind) => {
    const own = await startRedis()
    const { client, close } = await reconnecting[kind](own.url)
    const store = new RedisStore({ client, prefix: uniquePrefix(), timeout: 300 })
    const errors: any[] = []
    const app = express()
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, store }))
    app.get('/', (req: any, res) => {
      req.session.n = (req.session.n || 0) + 1
      res.send(String(req.session.n))
    })
    app.use((err: any, _req: any, res: any, _next: any) => {
      errors.push(err)
      res.status(503).send('store down')
    })
    const served = await serve(app)
    try {
      const browser = new Client(served.url)
      expect((await browser.get('/')).body).toBe('1')
      await own.stop()
      const asked = Date.now()
      const down = await browser.get('/')
      expect(down.status).toBe(503)
      // Both clients queue commands while disconnected: the store's timeout is what answers.
      expect(Date.now() - asked).toBeLessThan(1500)
      expect(errors[0]).toMatchObject({ code: 'ETIMEDOUT' })
      await own.start()
      let back = await browser.get('/')
      for (let i = 0; i < 100 && back.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50))
        back = await browser.get('/')
      }
      // The restarted server kept nothing (no persistence): a fresh session, which then works as before.
      expect(back.status).toBe(200)
      expect(back.body).toBe('1')
      expect((await browser.get('/')).body).toBe('2')
    } finally {
      await served.close()
      await close()
      await own.stop()
    }
  })
})

describe.skipIf(!enabled)('two app processes sharing one Redis', () => {
  const apps: ChildProcess[] = []
  afterAll(() => apps.forEach((child) => child.kill()))

  async function startApp(): Promise<string> {
    const script = `
      const express = require('express')
      const { createClient } = require('redis')
      const session = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'lib', 'index.js'))})
      const client = createClient({ url: process.argv[1] })
      client.connect().then(() => {
        const app = express()
        app.use(session({ secret: 'shared', resave: false, saveUninitialized: false, store: new session.RedisStore({ client, prefix: process.argv[2] }) }))
        app.get('/set', (req, res) => { req.session.user = req.query.user; res.send('ok') })
        app.get('/get', (req, res) => res.json({ user: req.session.user ?? null, pid: process.pid }))
        app.get('/rename', (req, res) => { req.session.user = req.session.user + '!'; res.send('ok') })
        app.get('/logout', (req, res, next) => req.session.destroy((err) => err ? next(err) : res.send('bye')))
        const server = app.listen(0, '127.0.0.1', () => console.log(server.address().port))
      })
    `
    const child = spawn(process.execPath, ['-e', script, url, prefix], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.join(__dirname, '..') })
    apps.push(child)
    const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())))
    return `http://127.0.0.1:${port}`
  }
  const prefix = uniquePrefix()

  it('a session created through one is read, changed and destroyed through the other', async () => {
    const [a, b] = await Promise.all([startApp(), startApp()])
    const browser = new Client(a)
    await browser.get('/set?user=ada')
    const onB = new Client(b)
    onB.cookies.set('connect.sid', browser.cookies.get('connect.sid')!)
    const seen = JSON.parse((await onB.get('/get')).body)
    expect(seen.user).toBe('ada')
    await onB.get('/rename')
    expect(JSON.parse((await browser.get('/get')).body).user).toBe('ada!')
    await onB.get('/logout')
    expect(JSON.parse((await browser.get('/get')).body).user).toBeNull()
  })
})

describe.skipIf(!enabled)("RedisStore with Bun's built-in RedisClient", () => {
  it('works under real Bun, and reads what node-redis wrote', async () => {
    const { execFileSync } = await import('child_process')
    const fs = await import('fs')
    const os = await import('os')
    const prefix = uniquePrefix()
    await new RedisStore({ client: await nodeRedis(), prefix }).set('from-node', record({ user: 'ada' }))
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-bun-redis-'))
    const script = path.join(dir, 'bun-redis.ts')
    fs.writeFileSync(
      script,
      `import { RedisClient } from 'bun'
       import { RedisStore } from ${JSON.stringify(path.join(__dirname, '..', 'stores', 'redis.ts'))}
       const client = new RedisClient(process.argv[2])
       const store = new RedisStore({ client, prefix: process.argv[3] })
       const fromNode = await store.get('from-node')
       await store.set('from-bun', { cookie: { originalMaxAge: 60000, expires: new Date(Date.now() + 60000) }, user: 'grace' })
       console.log(JSON.stringify({ fromNode: fromNode.user, ids: (await store.ids()).sort(), length: await store.length() }))
       client.close()`
    )
    try {
      const out = JSON.parse(execFileSync(bun, [script, url, prefix], { encoding: 'utf8', timeout: 30_000 }).trim())
      expect(out).toEqual({ fromNode: 'ada', ids: ['from-bun', 'from-node'], length: 2 })
      const ours = new RedisStore({ client: await nodeRedis(), prefix })
      expect((await ours.get('from-bun'))!.user).toBe('grace')
      await ours.clear()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.skipIf(!enabled)('RedisStore when Redis is slow', () => {
  it('a command that gets no answer fails with ETIMEDOUT after the timeout, never hangs', async () => {
    const net = await import('net')
    // A "Redis" that accepts connections and never answers.
    const sockets: any[] = []
    const silent = net.createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as any).port
    const client = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: false, maxRetriesPerRequest: null, enableReadyCheck: false })
    client.on('error', () => {})
    const store = new RedisStore({ client, timeout: 200 })
    try {
      const err = await store.get('sid').then(
        () => undefined,
        (e) => e
      )
      expect(err.code).toBe('ETIMEDOUT')
      expect(err.message).toMatch(/did not answer GET within 200 ms/)
    } finally {
      client.disconnect()
      sockets.forEach((s) => s.destroy())
      silent.close()
    }
  })
})
