import { spawnSync } from 'child_process'
import fs from 'fs'
import os from 'os'
import path from 'path'
import express from 'express'
import Redis from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import session, { RedisSessionStore, RedisStore, redisStore } from '../lib/index'
import { redisUrl } from '../stores/redis'
import { Client, serve, type Served } from './helpers/http'
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis-server'

/**
 * The stores of the seed documents (../shared/docs/seeds), written as they
 * show them, and RedisStore made from connection settings, against the real
 * redis-server at REDIS_URL, through real HTTP.
 */
const enabled = redisAvailable()
// REDIS_URL's server, else one of this file's own (whose URL then becomes REDIS_URL here).
let url = process.env.REDIS_URL || ''
let server: RedisServer | undefined
if (enabled) {
  beforeAll(async () => {
    if (url) return
    server = await startRedis()
    url = process.env.REDIS_URL = server.url
  })
  afterAll(async () => {
    if (!server) return
    delete process.env.REDIS_URL
    await server.stop()
  })
}
const secret = 'seed stores'
const servers: Served[] = []
const clients: Redis[] = []
const unique = () => `sessionware-t13:${process.pid}:${Math.random().toString(36).slice(2)}:`

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
})
afterAll(() => {
  for (const client of clients.splice(0)) client.disconnect()
})

function redis(options: Record<string, unknown> = {}) {
  const client = new Redis(url, options)
  clients.push(client)
  return client
}

async function app(options: Record<string, unknown>) {
  const server = express()
  server.use(session({ secret, resave: false, saveUninitialized: false, ...options } as any))
  server.get('/count', (req: any, res) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(String(req.session.count))
  })
  server.get('/read', (req: any, res) => res.send(String(req.session.count ?? 'none')))
  const served = await serve(server)
  servers.push(served)
  return new Client(served.url)
}

/** A TTL just set to `seconds`: Redis rounds what is left, and a loaded machine may take a while to ask. */
const about = (seconds: number) => expect.toSatisfy((ttl: number) => ttl > 0 && ttl <= seconds && ttl >= Math.min(seconds - 2, seconds / 2))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// ---- bunway's example Redis store, as its document shows it (SessionData: the record). ----
type SessionData = any
interface SessionStore {
  get(sid: string): Promise<SessionData | null>
  set(sid: string, session: SessionData, maxAge?: number): Promise<void>
  destroy(sid: string): Promise<void>
  touch?(sid: string, session: SessionData): Promise<void>
}

class BunwayRedisStore implements SessionStore {
  private redis: Redis

  constructor(redis: Redis) {
    this.redis = redis
  }

  async get(sid: string) {
    const data = await this.redis.get(`sess:${sid}`)
    return data ? JSON.parse(data) : null
  }

  async set(sid: string, session: SessionData, maxAge?: number) {
    const ttl = maxAge ? Math.ceil(maxAge / 1000) : 86400
    await this.redis.setex(`sess:${sid}`, ttl, JSON.stringify(session))
  }

  async destroy(sid: string) {
    await this.redis.del(`sess:${sid}`)
  }

  async touch(sid: string, session: SessionData) {
    await this.redis.expire(`sess:${sid}`, 86400)
  }
}

// ---- bun-router's SessionStore interface (ttl in seconds), implemented over Redis. ----
class MyCustomStore {
  constructor(private readonly redis: Redis) {}

  async get(sid: string): Promise<Record<string, any> | null> {
    const data = await this.redis.get(sid)
    return data ? JSON.parse(data) : null
  }

  async set(sid: string, session: Record<string, any>, ttl?: number): Promise<void> {
    if (ttl) await this.redis.set(sid, JSON.stringify(session), 'EX', ttl)
    else await this.redis.set(sid, JSON.stringify(session))
  }

  async destroy(sid: string): Promise<void> {
    await this.redis.del(sid)
  }

  async touch(sid: string, ttl: number): Promise<void> {
    await this.redis.expire(sid, ttl)
  }
}

describe.runIf(enabled)("the seed documents' promise stores, against real Redis", () => {
  it("bunway's store: set(sid, session, maxAgeMs), touch(sid, session): new, read, modify, touch, expire", async () => {
    const prefix = unique()
    const client = redis({ keyPrefix: prefix })
    const plain = redis()
    const browser = await app({ store: new BunwayRedisStore(client), cookie: { maxAge: 1500 } })
    expect((await browser.get('/count')).setCookie).toHaveLength(1)
    const key = `${prefix}sess:${browser.sid()}`
    // The TTL comes from the cookie's maxAge (1.5 s, rounded up), not the store's default day.
    expect(await plain.ttl(key)).toEqual(about(2))
    expect((await browser.get('/read')).body).toBe('1')
    expect((await browser.get('/count')).body).toBe('2')
    expect(JSON.parse((await plain.get(key))!).count).toBe(2)
    // Expiry: nothing refreshes the key for longer than its TTL.
    await sleep(2100)
    expect(await plain.exists(key)).toBe(0)
    expect((await browser.get('/read')).body).toBe('none')

    // touch(sid, session): an unchanged request refreshes the key (this store gives it a day).
    await browser.get('/count')
    const next = `${prefix}sess:${browser.sid()}`
    expect(await plain.ttl(next)).toEqual(about(2))
    await browser.get('/read')
    expect(await plain.ttl(next)).toEqual(about(86400))
  })

  it("bun-router's store with storeTtl: 'seconds': set(sid, session, ttlSeconds), touch(sid, ttlSeconds)", async () => {
    const prefix = unique()
    const client = redis({ keyPrefix: prefix })
    const plain = redis()
    const browser = await app({ store: new MyCustomStore(client), storeTtl: 'seconds', cookie: { maxAge: 1500 } })
    await browser.get('/count')
    const key = prefix + browser.sid()
    expect(await plain.ttl(key)).toEqual(about(2))
    expect((await browser.get('/read')).body).toBe('1')
    expect((await browser.get('/count')).body).toBe('2')
    await sleep(2100)
    expect((await browser.get('/read')).body).toBe('none')

    // touch(sid, ttl): the unchanged request answers 200 and sets the TTL in seconds.
    const longer = await app({ store: new MyCustomStore(client), storeTtl: 'seconds', cookie: { maxAge: 3600_000 } })
    await longer.get('/count')
    const touched = prefix + longer.sid()
    await plain.expire(touched, 5)
    const reply = await longer.get('/read')
    expect(reply.status).toBe(200)
    expect(reply.body).toBe('1')
    expect(await plain.ttl(touched)).toEqual(about(3600))
  })

  it('storeTtl must be "ms" or "seconds"', () => {
    expect(() => session({ secret, resave: false, saveUninitialized: false, storeTtl: 'minutes' as any })).toThrow(/storeTtl option must be "ms" or "seconds"/)
  })
})

describe.runIf(enabled)('RedisStore from connection settings, under Node (the redis package)', () => {
  const plain = () => redis()

  it('new RedisStore({ url, prefix }) connects by itself; close() closes its own client', async () => {
    const prefix = unique()
    const store = new RedisStore({ url, prefix })
    const browser = await app({ store })
    await browser.get('/count')
    expect((await browser.get('/count')).body).toBe('2')
    expect(JSON.parse((await plain().get(prefix + browser.sid()))!).count).toBe(2)
    await store.close()
    await expect(store.get(browser.sid())).rejects.toThrow()
  })

  it('new RedisSessionStore({ host, port, db, keyPrefix, ttl }): bun-server settings', async () => {
    const { hostname, port } = new URL(url)
    const prefix = unique()
    expect(RedisSessionStore).toBe(RedisStore)
    const store = new RedisSessionStore({ host: hostname, port: Number(port), db: 2, keyPrefix: prefix, ttl: 600 })
    const browser = await app({ store })
    await browser.get('/count')
    const inDb2 = redis({ db: 2 })
    expect(await inDb2.ttl(prefix + browser.sid())).toEqual(about(600))
    expect(await plain().exists(prefix + browser.sid())).toBe(0)
    await store.close()
  })

  it("redisStore({ prefix, ttl }) without a client reads REDIS_URL (bun-router's default)", async () => {
    const prefix = unique()
    const store = redisStore({ prefix, ttl: 120 })
    const browser = await app({ store })
    await browser.get('/count')
    expect(await plain().ttl(prefix + browser.sid())).toEqual(about(120))
    await store.close()
  })

  it("session({ store: 'redis', redis: { url, keyPrefix } }) and redis: { client }: bun-server's shape", async () => {
    const prefix = unique()
    const middleware = session({ secret, resave: false, saveUninitialized: false, store: 'redis', redis: { url, keyPrefix: prefix } } as any)
    const store = middleware.service.options.store as RedisStore
    expect(store).toBeInstanceOf(RedisStore)
    expect(store.prefix).toBe(prefix)
    const browser = await app({ store })
    await browser.get('/count')
    expect(await plain().exists(prefix + browser.sid())).toBe(1)
    await store.close()

    const client = redis()
    const given = session({ secret, resave: false, saveUninitialized: false, store: 'redis', redis: { client, prefix } } as any).service.options.store as RedisStore
    await given.set('given', { cookie: { originalMaxAge: null } } as any)
    // close() leaves a client it was given alone.
    await given.close()
    expect(await client.exists(prefix + 'given')).toBe(1)
    await client.del(prefix + 'given')
  })

  it('redisUrl builds the URL from settings, with the password and db', () => {
    expect(redisUrl({ host: 'cache', port: 6380, password: 'p@ss', db: 3 })).toBe('redis://:p%40ss@cache:6380/3')
    expect(redisUrl({ host: 'cache', username: 'app', password: 'x' })).toBe('redis://app:x@cache:6379')
    expect(redisUrl({ url: 'redis://h:1' })).toBe('redis://h:1')
  })
})

describe.runIf(enabled)('RedisStore from settings where the app has no redis package', () => {
  // A copy of the build in a directory whose node_modules has only what is linked in.
  function isolated(links: string[]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-no-redis-'))
    fs.cpSync(path.join(__dirname, '..', 'dist'), path.join(dir, 'dist'), { recursive: true })
    fs.mkdirSync(path.join(dir, 'node_modules'))
    for (const name of ['cookie-signature', ...links]) {
      fs.mkdirSync(path.dirname(path.join(dir, 'node_modules', name)), { recursive: true })
      fs.symlinkSync(path.join(__dirname, '..', 'node_modules', name), path.join(dir, 'node_modules', name))
    }
    return dir
  }

  function run(dir: string, code: string) {
    return spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_PATH: '' } })
  }

  it('neither redis nor ioredis: a clear error naming what to install or pass', () => {
    const dir = isolated([])
    try {
      const result = run(dir, `try { new (require('./dist/lib/index.js').RedisStore)({ url: ${JSON.stringify(url)} }) } catch (err) { console.log(err.message) }`)
      expect(result.stdout).toMatch(/no Redis client. Pass a connected client \(\{ client \}\), or install the `redis` or `ioredis` package/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('only ioredis installed: the store connects with it', () => {
    const dir = isolated(['ioredis', ...ioredisDependencies()])
    try {
      const prefix = unique()
      const result = run(
        dir,
        `const { RedisStore } = require('./dist/lib/index.js')
         const store = new RedisStore({ url: ${JSON.stringify(url)}, prefix: ${JSON.stringify(prefix)} })
         store.set('a', { cookie: { originalMaxAge: 60000, expires: new Date(Date.now() + 60000) }, n: 1 })
           .then(() => store.get('a')).then((r) => console.log(JSON.stringify(r.n))).then(() => store.close())
           .catch((err) => console.log('error', err.message)).finally(() => store.close())`
      )
      expect(result.stdout.trim(), result.stderr).toBe('1')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

// ioredis's own dependencies, hoisted next to it in node_modules.
function ioredisDependencies(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'node_modules', 'ioredis', 'package.json'), 'utf8'))
  const names = new Set<string>()
  const visit = (name: string) => {
    if (names.has(name)) return
    const file = path.join(__dirname, '..', 'node_modules', name, 'package.json')
    if (!fs.existsSync(file)) return
    names.add(name)
    for (const dep of Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).dependencies ?? {})) visit(dep)
  }
  for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep)
  return [...names]
}
