/**
 * The Bun session libraries' options and stores under real Bun, with
 * webSession and Bun.serve (bun-router's shape: `(req) => Response`):
 *   REDIS_URL=redis://... node_modules/.bin/bun test/bun-runtime/run.ts seeds
 * prints one JSON line per scenario (see test/seeds-bun.test.ts).
 */
import type { RedisClient as BunRedisClient } from 'bun'
import { webSession, type SessionRequest } from '../../lib/adapters/web'
import { MemoryStore } from '../../stores/memory'
import { RedisStore, redisStore } from '../../stores/redis'
import { Client } from '../helpers/http'
import { check, same, type Scenario } from '../helpers/scenarios'

const secret = 'bun seeds'
const url = process.env.REDIS_URL!
const unique = () => `sessionware-t13-bun:${process.pid}:${Math.random().toString(36).slice(2)}:`
// Loaded when a scenario runs: test/seeds-bun.test.ts reads the names under Node.
const redisClient = (target: string): BunRedisClient => new (require('bun').RedisClient)(target)
/** A TTL just set to `seconds`: Redis rounds what is left, and a loaded machine may take a while to ask. */
const about = (ttl: number, seconds: number, what: string) =>
  check(ttl > 0 && ttl <= seconds && ttl >= Math.min(seconds - 2, seconds / 2), `${what}: expected about ${seconds}, got ${ttl}`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Bun.serve with webSession(options) around `handler` (a counter by default), driven by one client. */
async function serving(options: Record<string, unknown>, drive: (jar: Client) => Promise<void>, handler?: (req: SessionRequest) => Promise<Response> | Response) {
  const sessions = webSession({ secret, resave: false, saveUninitialized: false, ...options } as any)
  const answer =
    handler ??
    ((req: SessionRequest) => {
      req.session.count = (req.session.count || 0) + 1
      return new Response(String(req.session.count))
    })
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => sessions.withSession(request, answer) })
  try {
    await drive(new Client(`http://127.0.0.1:${server.port}`))
  } finally {
    server.stop(true)
  }
}

// bun-router's SessionStore interface (ttl in seconds), over Bun's Redis client.
class MyCustomStore {
  constructor(
    private readonly client: BunRedisClient,
    private readonly prefix: string
  ) {}

  async get(sid: string): Promise<Record<string, any> | null> {
    const data = await this.client.get(this.prefix + sid)
    return data ? JSON.parse(data) : null
  }

  async set(sid: string, session: Record<string, any>, ttl?: number): Promise<void> {
    await this.client.set(this.prefix + sid, JSON.stringify(session))
    if (ttl) await this.client.expire(this.prefix + sid, ttl)
  }

  async destroy(sid: string): Promise<void> {
    await this.client.del(this.prefix + sid)
  }

  async touch(sid: string, ttl: number): Promise<void> {
    await this.client.expire(this.prefix + sid, ttl)
  }
}

export const scenarios: Scenario[] = [
  {
    name: "new RedisStore({ url }) under Bun uses Bun's built-in RedisClient; close() closes it",
    run: async () => {
      const prefix = unique()
      const store = new RedisStore({ url, prefix })
      const plain = redisClient(url)
      try {
        await serving({ store }, async (jar) => {
          await jar.fetch('/')
          same((await jar.fetch('/')).body, '2', 'count')
          same(JSON.parse((await plain.get(prefix + jar.sid()))!).count, 2, 'stored count')
        })
        await store.close()
        let failed = false
        await store.get('x').catch(() => (failed = true))
        check(failed, 'a closed store answers no command')
      } finally {
        plain.close()
      }
    }
  },
  {
    name: "redisStore({ prefix, ttl }) without a client reads REDIS_URL, as bun-router's",
    run: async () => {
      const prefix = unique()
      const store = redisStore({ prefix, ttl: 90 })
      const plain = redisClient(url)
      try {
        await serving({ store }, async (jar) => {
          await jar.fetch('/')
          about(await plain.ttl(prefix + jar.sid()), 90, 'ttl of a browser-session cookie')
        })
      } finally {
        await store.close()
        plain.close()
      }
    }
  },
  {
    name: "bun-router's custom store with storeTtl: 'seconds': new, read, modify, touch, expire",
    run: async () => {
      const prefix = unique()
      const client = redisClient(url)
      try {
        await serving({ store: new MyCustomStore(client, prefix), storeTtl: 'seconds', maxAge: 1500 }, async (jar) => {
          await jar.fetch('/')
          const key = prefix + jar.sid()
          about(await client.ttl(key), 2, 'ttl in seconds from maxAge')
          same((await jar.fetch('/')).body, '2', 'read and modify')
          await sleep(2100)
          same((await jar.fetch('/')).body, '1', 'expired: a new session')
        })
        await serving(
          { store: new MyCustomStore(client, prefix), storeTtl: 'seconds', maxAge: 3600_000 },
          async (jar) => {
            await jar.fetch('/count')
            const key = prefix + jar.sid()
            await client.expire(key, 5)
            const reply = await jar.fetch('/read')
            same([reply.status, reply.body], [200, '1'], 'an unchanged request touches')
            about(await client.ttl(key), 3600, 'touch(sid, ttlSeconds)')
          },
          (req) => {
            if (new URL(req.url).pathname === '/count') req.session.count = (req.session.count || 0) + 1
            return new Response(String(req.session.count))
          }
        )
      } finally {
        client.close()
      }
    }
  },
  {
    name: 'autoCommit: false: only an awaited req.session.save() stores the session and sends the cookie',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      await serving(
        { store, autoCommit: false, saveUninitialized: true },
        async (jar) => {
          same((await jar.fetch('/change')).setCookie, [], 'no cookie without save()')
          same(await store.length(), 0, 'nothing stored without save()')
          const saved = await jar.fetch('/save')
          same(saved.setCookie.length, 1, 'the cookie after save()')
          same((await jar.fetch('/read')).body, 'saved', 'read back')
        },
        async (req) => {
          const path = new URL(req.url).pathname
          if (path === '/change') req.session.value = 'changed'
          if (path === '/save') {
            req.session.value = 'saved'
            await req.session.save()
          }
          return new Response(String(req.session.value))
        }
      )
    }
  },
  {
    name: 'renew: after renewAfter a new ID with the same data; the old cookie is forwarded within renewGrace',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      await serving({ store, renew: true, renewAfter: 100 }, async (jar) => {
        await jar.fetch('/')
        const first = jar.sid()
        const oldCookie = jar.cookie
        await sleep(150)
        same((await jar.fetch('/')).body, '2', 'data kept')
        check(jar.sid() !== first, 'a new ID')
        const other = new Client(jar.base)
        same((await other.fetch('/', { cookie: oldCookie })).body, '3', 'the old cookie reaches the renewed session')
        same(other.sid(), jar.sid(), 'and gets its cookie')
      })
    }
  },
  {
    name: 'req.regenerateSession() keeps the data and the flash messages under a new ID; the old record is destroyed',
    run: async () => {
      const store = new MemoryStore({ sweepInterval: false })
      await serving(
        { store },
        async (jar) => {
          await jar.fetch('/login')
          const first = jar.sid()
          const renewed = await jar.fetch('/regenerate')
          same(renewed.setCookie.length, 1, 'the new cookie')
          check(jar.sid() !== first, 'a new ID')
          same(await store.get(first), null, 'the old record')
          same(JSON.parse((await jar.fetch('/read')).body), { user: 'ada', cart: [1, 2], info: ['hello'] }, 'data and flash kept')
        },
        async (req) => {
          const path = new URL(req.url).pathname
          if (path === '/login') {
            req.session.user = 'ada'
            req.session.cart = [1, 2]
            req.flash('info', 'hello')
          }
          if (path === '/regenerate') await req.regenerateSession()
          if (path === '/read') return Response.json({ user: req.session.user, cart: req.session.cart, info: req.flash('info') })
          return new Response('ok')
        }
      )
    }
  }
]
