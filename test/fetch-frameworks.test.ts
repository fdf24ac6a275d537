import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createClient } from 'redis'
import { sessionMiddleware } from '../lib/adapters/handle'
import { scenarios as bunRouter } from './bun-runtime/bun-router'
import { scenarios as handles } from './bun-runtime/handles'
import { scenarios as hono } from './bun-runtime/hono'
import { failures } from './helpers/bun'
import { server, serving } from './helpers/fetch-server'
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis-server'
import { runScenarios, type Scenario } from './helpers/scenarios'

/**
 * The Hono, bun-router and ts-auth scenario lists of test/bun-runtime on
 * Node, served by @hono/node-server (test/bun-runtimes.test.ts runs them under Bun).
 */
async function runOnNode(scenarios: Scenario[]) {
  const outcomes = await runScenarios(scenarios)
  expect(outcomes.map((o) => o.name)).toEqual(scenarios.map((s) => s.name))
  expect(failures(outcomes)).toEqual([])
}

describe('Request → Response frameworks on Node (@hono/node-server)', () => {
  it('serves with @hono/node-server here', () => expect(server).toBe('@hono/node-server'))
  it('Hono: honoSession and webSession().middleware', () => runOnNode(hono))
  it("bun-router's (req, next) middleware flows", () => runOnNode(bunRouter))
  it('ts-auth-style handles', () => runOnNode(handles))
})

// Without Redis this is skipped, and reported as skipped (in CI it is an error: helpers/redis-server.ts).
const enabled = redisAvailable()
describe.skipIf(!enabled)("ts-auth handles with driver 'redis'", () => {
  let redis: RedisServer | undefined
  let client: ReturnType<typeof createClient>
  beforeAll(async () => {
    let url = process.env.REDIS_URL
    if (!url) url = (redis = await startRedis()).url
    client = createClient({ url })
    client.on('error', () => {})
    await client.connect()
  })
  afterAll(async () => {
    await client?.disconnect()
    await redis?.stop()
  })

  it('stores the session under the prefix, with a TTL of the lifetime, and reads it back', async () => {
    const prefix = `test:handles:${Math.random().toString(36).slice(2)}:`
    const config = { secret: 's', driver: 'redis' as const, client, prefix, lifetime: 2 }
    const first = await sessionMiddleware(new Request('http://localhost/'), config)
    first.put('user_id', 7)
    await first.save()
    const key = prefix + first.getId()
    expect(JSON.parse((await client.get(key))!).user_id).toBe(7)
    const ttl = await client.ttl(key)
    expect(ttl > 100 && ttl <= 120).toBe(true)
    const cookie = first.getCookieString().split(';')[0]
    const again = await sessionMiddleware(new Request('http://localhost/', { headers: { cookie } }), config)
    expect([again.getId(), again.get('user_id')]).toEqual([first.getId(), 7])
    await client.del(key)
  })

  it("without a client, connects from config.redis settings (ts-auth's driver: 'redis')", async () => {
    const prefix = `test:handles:${Math.random().toString(36).slice(2)}:`
    const config = { secret: 's', driver: 'redis' as const, redis: { url: process.env.REDIS_URL || redis!.url, keyPrefix: prefix } }
    const handle = await sessionMiddleware(new Request('http://localhost/'), config)
    handle.put('visits', 1)
    await handle.save()
    expect(JSON.parse((await client.get(prefix + handle.getId()))!).visits).toBe(1)
    const cookie = handle.getCookieString().split(';')[0]
    const again = await sessionMiddleware(new Request('http://localhost/', { headers: { cookie } }), config)
    expect(again.get('visits')).toBe(1)
    await client.del(prefix + handle.getId())
  })
})

describe('ts-auth handle config', () => {
  it("a key the handle does not know is named in session()'s warning, and ts-auth's id says why it means nothing", async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      await sessionMiddleware(new Request('http://localhost/'), { secret: 's', id: 'abc', lifetim: 5 } as any)
      const messages = warn.mock.calls.map((call) => String(call[0]))
      expect(messages).toEqual([expect.stringMatching(/^option "id" has no meaning in sessionware/), 'unknown option "lifetim" is ignored (see the README for sessionware\'s options)'])
    } finally {
      warn.mockRestore()
    }
  })
})

describe('honoSession(options).service and .events', () => {
  it('a session created by the service is the one c.get("session") loads from its cookie; events fire', async () => {
    const { Hono } = await import('hono')
    const { honoSession } = await import('../lib/adapters/hono')
    const sessions = honoSession({ secret: 's', resave: false, saveUninitialized: false })
    const loaded: string[] = []
    sessions.events.on('loaded', ({ id }) => void loaded.push(id))
    const app = new Hono()
    app.use(sessions as any)
    app.get('/', (c: any) => c.text(String(c.get('session').user)))
    const { cookie } = await sessions.service.create({ user: 'ada' })
    await serving(app.fetch, async (jar) => {
      jar.cookies.set('connect.sid', cookie)
      expect((await jar.get('/')).body).toBe('ada')
    })
    expect(loaded).toHaveLength(1)
    expect(loaded[0]).toMatch(/^[0-9a-f]{16}$/)
  })
})
