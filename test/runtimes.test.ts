import { spawn, spawnSync } from 'child_process'
import fs from 'fs'
import os from 'os'
import path from 'path'
import express from 'express'
import { describe, expect, it } from 'vitest'
import session, { FileStore } from '../lib/index'
import { Client, serve } from './helpers/http'
import { runAll, type Outcome } from './runtime/scenarios'

const bun = path.join(__dirname, '..', 'node_modules', '.bin', 'bun')
const failures = (outcomes: Outcome[]) => outcomes.filter((o) => !o.ok).map((o) => `${o.variant}: ${o.name}\n${o.detail}`)

// One behaviour suite (test/runtime/scenarios.ts) on every runtime.
describe('the behaviour suite on Node', () => {
  it.each(['express4', 'express5'] as const)('%s', async (variant) => {
    const outcomes = await runAll(variant)
    expect(outcomes.length).toBeGreaterThanOrEqual(12)
    expect(failures(outcomes)).toEqual([])
  })
})

describe('the behaviour suite under real Bun', () => {
  const variants = ['express4', 'express5', 'bunway', 'web']
  let outcomes: Outcome[] | undefined
  const run = () => {
    if (!outcomes) {
      const result = spawnSync(bun, [path.join(__dirname, 'runtime', 'run.ts'), ...variants], { encoding: 'utf8', timeout: 120_000 })
      outcomes = result.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line))
      if (!outcomes.length) throw new Error(`bun printed no results: ${result.stderr}`)
    }
    return outcomes
  }
  it.each([
    ['Express 4 on Bun', 'express4'],
    ['Express 5 on Bun', 'express5'],
    ['the bunway contract (test double)', 'bunway'],
    ['Bun.serve with webSession', 'web']
  ])('%s', (_label, variant) => {
    const mine = run().filter((o) => o.variant === variant)
    expect(mine.length).toBeGreaterThanOrEqual(12)
    expect(failures(mine)).toEqual([])
  })
})

describe('an Express app on Node and a Bun.serve app share one store and one cookie', () => {
  it('a session created in Express is read and changed in Bun.serve, and the other way round', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-shared-'))
    const secret = 'shared secret'
    const store = new FileStore({ path: dir, reapInterval: false })
    const app = express()
    app.use(session({ secret, resave: false, saveUninitialized: false, store }))
    app.get('/login', (req: any, res) => {
      req.session.user = 'ada'
      res.send('ok')
    })
    app.get('/me', (req: any, res) => res.json({ user: req.session.user ?? null, visits: req.session.visits ?? 0, seenBy: req.session.seenBy ?? [] }))
    const node = await serve(app)
    const child = spawn(bun, [path.join(__dirname, 'runtime', 'shared-store.ts'), dir, secret], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const bunUrl = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())))
      const browser = new Client(node.url)
      await browser.get('/login')
      const cookie = browser.cookie
      const fromBun = JSON.parse((await new Client(bunUrl).get('/', { cookie })).body)
      expect(fromBun).toEqual({ user: 'ada', visits: 1 })
      expect(JSON.parse((await browser.get('/me')).body)).toEqual({ user: 'ada', visits: 1, seenBy: ['bun'] })
      // and a session that starts in Bun.serve is picked up by Express
      const bunFirst = new Client(bunUrl)
      await bunFirst.get('/')
      const onNode = JSON.parse((await new Client(node.url).get('/me', { cookie: bunFirst.cookie })).body)
      expect(onNode).toEqual({ user: null, visits: 1, seenBy: ['bun'] })
    } finally {
      child.kill()
      await node.close()
      store.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the bunway double is faithful enough to catch what breaks there', () => {
  it('express-session in the double loses its session, as bunway.md §8 reports', async () => {
    const script = path.join(os.tmpdir(), `sessionware-control-${process.pid}.ts`)
    fs.writeFileSync(
      script,
      `import expressSession from 'express-session'
       import { bunway } from ${JSON.stringify(path.join(__dirname, 'bunway', 'double.ts'))}
       const app = bunway()
       app.use(expressSession({ secret: 's', resave: false, saveUninitialized: false }))
       app.get('/count', async (req, res) => { req.session.n = (req.session.n || 0) + 1; res.send(String(req.session.n)) })
       const server = app.listen(0)
       const first = await fetch(server.url + '/count')
       const second = await fetch(server.url + '/count', { headers: { cookie: first.headers.getSetCookie().map((l) => l.split(';')[0]).join('; ') } })
       console.log(JSON.stringify({ cookies: first.headers.getSetCookie().length, second: await second.text() }))
       server.stop()`
    )
    try {
      const out = spawnSync(bun, [script], { encoding: 'utf8', timeout: 30_000, cwd: path.join(__dirname, '..') })
      expect(JSON.parse(out.stdout.trim().split('\n').pop()!)).toEqual({ cookies: 0, second: '1' })
    } finally {
      fs.rmSync(script, { force: true })
    }
  })
})
