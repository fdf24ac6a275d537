import { execFileSync, spawn } from 'child_process'
import fs from 'fs'
import { createRequire } from 'module'
import path from 'path'
import { afterEach, describe, expect, it } from 'vitest'
import { bun } from './helpers/bun'
import { Client, request, serve, type Served } from './helpers/http'
import { redisAvailable, startRedis } from './helpers/redis-server'

// The examples import the package by name: they run against the build in dist/.
const examples = path.join(__dirname, '..', 'examples')
let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

const form = (body: Record<string, string>) => ({
  body: new URLSearchParams(body).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' }
})

describe('examples', () => {
  it('express-app.mjs: counter, login with regenerate, flash after redirect, logout', async () => {
    const { createApp } = await import(path.join(examples, 'express-app.mjs'))
    // Its MemoryStore, whatever REDIS_URL the environment has (the next test covers Redis).
    const redisUrl = process.env.REDIS_URL
    delete process.env.REDIS_URL
    try {
      served = await serve(await createApp())
    } finally {
      if (redisUrl !== undefined) process.env.REDIS_URL = redisUrl
    }
    const client = new Client(served.url)
    expect(JSON.parse((await client.get('/api/me')).body)).toEqual({ user: null, views: 0 })
    await client.get('/')
    const before = client.cookie
    const login = await client.post('/login', form({ user: 'Ada' }))
    expect(login.status).toBe(302)
    expect(client.cookie).not.toBe(before)
    const home = await client.get('/')
    expect(home.body).toContain('<p class="flash">Welcome, Ada!</p>')
    expect(home.body).toContain('Hello Ada: 1 views.')
    expect((await client.get('/')).body).not.toContain('Welcome')
    await client.post('/logout')
    expect(JSON.parse((await client.get('/api/me')).body)).toEqual({ user: null, views: 0 })
  })

  // Skipped (and reported as skipped) where there is no Redis; in CI that is an error (helpers/redis-server.ts).
  it.skipIf(!redisAvailable())('express-app.mjs keeps its sessions in Redis when REDIS_URL is set', async () => {
    const redis = process.env.REDIS_URL ? undefined : await startRedis()
    const previous = process.env.REDIS_URL
    process.env.REDIS_URL = previous || redis!.url
    try {
      const { createApp } = await import(path.join(examples, 'express-app.mjs'))
      const app = await createApp()
      served = await serve(app)
      const client = new Client(served.url)
      await client.post('/login', form({ user: 'Ada' }))
      expect(JSON.parse((await client.get('/api/me')).body).user).toBe('Ada')
      const { createClient } = await import('redis')
      const inspect = createClient({ url: process.env.REDIS_URL })
      await inspect.connect()
      const sid = client.sid()
      expect(JSON.parse((await inspect.get('sess:' + sid))!).user).toBe('Ada')
      await inspect.del('sess:' + sid)
      await inspect.quit()
      await app.locals.sessionStore.close() // the client the store made: nothing is left connected
    } finally {
      if (previous === undefined) delete process.env.REDIS_URL
      await served?.close()
      served = undefined
      await redis?.stop()
    }
  })

  it('express-app-cjs.js: the express-session style app, callbacks and connect-flash', async () => {
    const app = createRequire(__filename)(path.join(examples, 'express-app-cjs.js'))
    served = await serve(app)
    const client = new Client(served.url)
    expect(JSON.parse((await client.get('/')).body)).toEqual({ user: null, views: 1, messages: [] })
    expect((await client.post('/login', form({ user: 'Grace' }))).status).toBe(302)
    expect(JSON.parse((await client.get('/')).body)).toEqual({ user: 'Grace', views: 1, messages: ['Welcome, Grace'] })
    await client.post('/logout')
    expect(JSON.parse((await client.get('/')).body).user).toBeNull()
  })

  it('memory-store-script.mjs runs as a plain script', () => {
    const out = execFileSync(process.execPath, [path.join(examples, 'memory-store-script.mjs')], { encoding: 'utf8' })
    expect(out).toContain("get a      -> { cookie: { maxAge: 60000 }, n: 1 }")
    expect(out).toContain('expired    -> null')
    expect(out).toContain('after clear-> 0')
  })
})

describe('Bun examples, under real Bun', () => {
  async function running(example: string, drive: (url: string) => Promise<void>) {
    const { spawn } = await import('child_process')
    const child = spawn(bun, [path.join(examples, example)], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const url = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d).match(/http:\/\/\S+/)![0])))
      await drive(url)
    } finally {
      child.kill()
    }
  }

  it('bun-serve.ts: counter, login with a new ID and a flash message, logout', async () => {
    await running('bun-serve.ts', async (url) => {
      const client = new Client(url)
      expect(JSON.parse((await client.get('/')).body)).toEqual({ user: null, views: 1, messages: [] })
      const before = client.cookie
      expect((await client.post('/login', form({ user: 'Ada' }))).status).toBe(303)
      expect(client.cookie).not.toBe(before)
      // req.regenerateSession() keeps the data under the new ID, as bun-router's does.
      expect(JSON.parse((await client.get('/')).body)).toEqual({ user: 'Ada', views: 2, messages: ['Welcome, Ada!'] })
      await client.post('/logout')
      expect(JSON.parse((await client.get('/')).body).user).toBeNull()
    })
  })

  it('hono-app.ts: counter, login with a new ID and a flash message, logout', async () => {
    await running('hono-app.ts', async (url) => {
      const client = new Client(url)
      expect(JSON.parse((await client.get('/')).body)).toEqual({ user: null, views: 1, messages: [] })
      const before = client.cookie
      const login = await client.post('/login', form({ user: 'Ada' }))
      expect([login.status, login.headers.get('location')]).toEqual([303, '/'])
      expect(client.cookie).not.toBe(before)
      expect(JSON.parse((await client.get('/')).body)).toMatchObject({ user: 'Ada', messages: ['Welcome, Ada!'] })
      expect(JSON.parse((await client.get('/api/me')).body)).toEqual({ user: 'Ada' })
      await client.post('/logout')
      expect(JSON.parse((await client.get('/api/me')).body)).toEqual({ user: null })
    })
  })

  it('bunway-app.ts: counter, login, a router mounted at a prefix, logout', async () => {
    await running('bunway-app.ts', async (url) => {
      const client = new Client(url)
      expect(JSON.parse((await client.get('/')).body).views).toBe(1)
      expect((await client.post('/login')).status).toBe(302)
      expect(JSON.parse((await client.get('/')).body)).toEqual({ user: 'ada', views: 1, messages: ['Welcome, ada!'] })
      expect(JSON.parse((await client.get('/api/me')).body)).toEqual({ user: 'ada' })
      await client.post('/logout')
      expect(JSON.parse((await client.get('/api/me')).body)).toEqual({ user: null })
    })
  })
})

describe("the README's Examples table, run as listed", () => {
  const root = path.join(__dirname, '..')
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Examples\n'), readme.indexOf('\n## ', readme.indexOf('\n## Examples\n') + 1))
  // | [`file`](examples/file): what | `command` … | then |
  const rows = [...section.matchAll(/^\| \[`([^`]+)`\]\(examples\/[^)]+\)[^|]*\| `([^`]+)`/gm)].map(([, file, command]) => ({ file, command }))

  it('lists every file in examples/', () => {
    expect(rows.map((row) => row.file).sort()).toEqual(fs.readdirSync(examples).sort())
  })

  it.each(rows.map((row) => [row.command, row] as const))('%s', async (_command, { file, command }) => {
    if (file.startsWith('redis') && !redisAvailable()) return
    const redis = file.startsWith('redis') && !process.env.REDIS_URL ? await startRedis() : undefined
    const [program, ...args] = command.split(' ')
    const bin = program === 'node' ? process.execPath : program === 'npx' && args[0] === 'bun' ? (args.shift(), bun) : program
    const env = { ...process.env, PORT: '0', ...(redis ? { REDIS_URL: redis.url } : {}) }
    const child = spawn(bin, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stderr.on('data', (data) => (output += data))
    try {
      const outcome = await new Promise<{ url?: string; status?: number | null }>((resolve) => {
        child.stdout.on('data', (data) => {
          output += data
          const url = output.match(/http:\/\/[^\s'"]+/)
          if (url) resolve({ url: url[0] })
        })
        child.once('exit', (status) => resolve({ status }))
      })
      if (outcome.url) {
        const reply = await request(outcome.url.replace(/\/$/, '') + '/')
        expect(reply.status, output).toBe(200)
      } else {
        expect(outcome.status, output).toBe(0)
        expect(output).toContain('->')
      }
    } finally {
      child.kill()
      await redis?.stop()
    }
  }, 30_000)
})
