import { spawn, spawnSync, type ChildProcess } from 'child_process'
import net from 'net'

/** A redis-server this test started on a loopback port, which it can stop and start again. */
export interface RedisServer {
  url: string
  port: number
  stop(): Promise<void>
  start(): Promise<void>
}

/** Whether Redis tests can run here; in CI they must. */
export function redisAvailable(): boolean {
  if (process.env.REDIS_URL) return true
  const found = spawnSync('redis-server', ['--version']).status === 0
  if (!found) {
    if (process.env.CI) throw new Error('CI: redis-server is required for the RedisStore tests (.ci/run installs it)')
    console.warn('\n*** REDIS TESTS SKIPPED: no redis-server on PATH and no REDIS_URL (apt-get install redis-server) ***\n')
  }
  return found
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
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      for (let i = 0; i < 200 && !(await ping(port)); i++) await new Promise((r) => setTimeout(r, 25))
    },
    async stop() {
      if (!child) return
      const exited = new Promise((resolve) => child!.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
      child = undefined
    }
  }
  await server.start()
  return server
}
