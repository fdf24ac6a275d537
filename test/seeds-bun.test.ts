import path from 'path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scenarios } from './bun-runtime/seeds'
import { failures, outcomesUnderBun } from './helpers/bun'
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis-server'

/** test/bun-runtime/seeds.ts under real Bun: Bun's Redis client, bun-router's store, autoCommit, renew. */
const enabled = redisAvailable()
let server: RedisServer | undefined

if (enabled) {
  beforeAll(async () => {
    if (process.env.REDIS_URL) return
    server = await startRedis()
    process.env.REDIS_URL = server.url
  })
  afterAll(async () => {
    if (!server) return
    delete process.env.REDIS_URL
    await server.stop()
  })
}

describe.runIf(enabled)('the Bun session libraries, under real Bun', () => {
  it('every scenario of test/bun-runtime/seeds.ts passes', () => {
    const { outcomes, log } = outcomesUnderBun([path.join(__dirname, 'bun-runtime', 'run.ts'), 'seeds'])
    expect(outcomes.map((o) => o.name), log).toEqual(scenarios.map((s) => s.name))
    expect(failures(outcomes)).toEqual([])
  }, 60_000)
})
