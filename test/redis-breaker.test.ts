import express from 'express'
import { createClient } from 'redis'
import { afterAll, describe, expect, it } from 'vitest'
import session from '../lib/index'
import { RedisStore } from '../stores/redis'
import { Client, serve } from './helpers/http'
import { hasRedisServer, startRedis, unavailable, type RedisServer } from './helpers/redis-server'

// Stopping Redis needs a redis-server of the test's own.
const enabled = hasRedisServer() || unavailable('the breaker test needs a redis-server binary')

let server: RedisServer | undefined
afterAll(() => server?.stop())

describe.skipIf(!enabled)('RedisStore while Redis is down', () => {
  it('fails fast after the first timeouts, with a clear error, and recovers by itself when Redis is back', async () => {
    server = await startRedis()
    const client = createClient({ url: server.url, socket: { reconnectStrategy: () => 50 } })
    client.on('error', () => {})
    await client.connect()
    const store = new RedisStore({ client, prefix: 'breaker:', timeout: 150, breaker: { failures: 2, cooldown: 2000 } })
    const app = express()
    // With userKey, saves run a script: on a Redis that has just (re)started it is not cached yet (NOSCRIPT).
    app.use(session({ secret: 'b', resave: false, saveUninitialized: false, store, userKey: 'userId' }))
    app.get('/count', (req: any, res) => {
      req.session.userId = 'ada'
      req.session.n = (req.session.n || 0) + 1
      res.send(String(req.session.n))
    })
    app.use((err: any, _req: any, res: any, _next: any) => res.status(503).send(err.code))
    const served = await serve(app)
    try {
      const user = new Client(served.url)
      expect((await user.get('/count')).body).toBe('1')
      await server.stop()

      // The first requests wait for the timeout; then the breaker is open and
      // every request fails at once, none of them waiting for Redis.
      const codes: string[] = []
      for (let i = 0; i < 6; i++) codes.push((await user.get('/count')).body)
      // (A command caught on the closing socket may fail with the client's own error instead.)
      for (const code of codes.slice(0, 2)) expect(code).not.toMatch(/^\d+$/)
      expect(codes.slice(0, 2)).toContain('ETIMEDOUT')
      expect(codes.slice(2)).toEqual(['ESTOREUNAVAILABLE', 'ESTOREUNAVAILABLE', 'ESTOREUNAVAILABLE', 'ESTOREUNAVAILABLE'])
      const burst = await Promise.all(Array.from({ length: 20 }, () => user.get('/count')))
      expect(burst.map((r) => r.body).filter((code) => code !== 'ESTOREUNAVAILABLE' && code !== 'ETIMEDOUT')).toEqual([])
      expect(burst.filter((r) => r.body === 'ETIMEDOUT').length).toBeLessThanOrEqual(1) // at most one probe per cooldown

      await server.start()
      // No restart of the app, no call to the store: requests work again once
      // the client has reconnected and a probe got through. (This Redis keeps
      // nothing across restarts, so the session starts over.)
      let body = ''
      for (let i = 0; i < 200 && !/^\d+$/.test(body); i++) {
        body = (await user.get('/count')).body
        if (!/^\d+$/.test(body)) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(body).toBe('1')
      expect((await user.get('/count')).body).toBe('2')
      expect(Object.keys(await store.userSessions('ada'))).toEqual([user.sid()])
    } finally {
      await served.close()
      await client.quit().catch(() => client.disconnect())
    }
  }, 30_000)
})
