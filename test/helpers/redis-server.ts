import { afterAll, beforeAll } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'child_process'
import net from 'net'

/** A redis-server this test started on a loopback port, which it can stop and start again. */
export interface RedisServer {
  url: string
  port: number
  stop(): Promise<void>
  start(): Promise<void>
}

/**
 * Whether Redis tests can run here: a `REDIS_URL` that accepts connections, or
 * a `redis-server` binary to start. Outside CI a miss skips loudly; in CI
 * (`CI=true`) it is an error, since `.ci/run` provides Redis.
 */
export function redisAvailable(): boolean {
  const url = process.env.REDIS_URL
  if (url) return reachable(url) || unavailable(`REDIS_URL ${url} accepts no connection`)
  return hasRedisServer() || unavailable('no redis-server on PATH and no REDIS_URL (apt-get install redis-server)')
}

/** Whether a `redis-server` binary is on the PATH (tests that restart Redis start their own). */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0
}

/** Report what is missing: an error in CI, a loud warning (and `false`) elsewhere. */
export function unavailable(reason: string): false {
  if (process.env.CI) throw new Error(`CI: the RedisStore tests must run, but ${reason} (.ci/run starts Redis with .ci/redis.sh)`)
  console.warn(`\n*** REDIS TESTS SKIPPED: ${reason} ***\n`)
  return false
}

// Synchronous, so that test files can decide at collection time.
function reachable(url: string): boolean {
  const { hostname, port } = new URL(url)
  const probe = `require('net').connect(${Number(port) || 6379}, ${JSON.stringify(hostname.replace(/^\[|\]$/g, '') || '127.0.0.1')})
    .on('connect', () => process.exit(0)).on('error', () => process.exit(1))`
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
    socket.once('error', () => resolve(false))
  })
}

/** Start a private redis-server (no persistence) on a free loopback port. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      child = started
      let failure: Error | undefined
      started.once('error', (err) => (failure = err))
      started.once('exit', (code) => (failure ??= new Error(`redis-server on port ${port} exited with code ${code}`)))
      for (let i = 0; i < 200 && !failure; i++) {
        if (await ping(port)) return
        await new Promise((r) => setTimeout(r, 25))
      }
      await server.stop()
      throw failure ?? new Error(`redis-server on port ${port} did not answer PING within 5 s`)
    },
    async stop() {
      const running = child
      child = undefined
      if (!running || running.exitCode !== null || running.signalCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGTERM')
      await exited
    }
  }
  await server.start()
  return server
}

/**
 * The URL of the tests' Redis, for a test file that needs one: `REDIS_URL`,
 * else a redis-server of the file's own, started before its tests and stopped
 * after (registered here: call it at the top level of the file). `url()` is
 * empty when Redis is not available.
 */
export function redisForTests(available: boolean): { url(): string } {
  let url = process.env.REDIS_URL || ''
  let own: RedisServer | undefined
  beforeAll(async () => {
    if (available && !url) url = (own = await startRedis()).url
  })
  afterAll(async () => {
    await own?.stop()
  })
  return { url: () => url }
}
