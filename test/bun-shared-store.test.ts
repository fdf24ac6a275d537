import { spawn, type ChildProcess } from 'child_process'
import fs from 'fs'
import os from 'os'
import path from 'path'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import session, { FileStore } from '../lib/index'
import { bun } from './helpers/bun'
import { Client, serve, type Served } from './helpers/http'

/**
 * One FileStore directory and one cookie for two servers: Express on Node (in
 * this process) and Bun.serve with webSession (a child under real Bun).
 */
const secret = 'one secret for both'
let dir: string
let store: InstanceType<typeof FileStore>
let node: Served
let child: ChildProcess
let bunUrl: string

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-bun-shared-'))
  store = new FileStore({ path: dir, reapInterval: false })
  const app = express()
  app.use(session({ secret, resave: false, saveUninitialized: false, store }))
  app.get('/login', (req: any, res) => {
    req.session.user = 'ada'
    res.send('ok')
  })
  app.get('/visit', (req: any, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1
    req.session.seenBy = [...(req.session.seenBy ?? []), 'express']
    res.json({ user: req.session.user ?? null, visits: req.session.visits, seenBy: req.session.seenBy })
  })
  node = await serve(app)
  child = spawn(bun, [path.join(__dirname, 'fixtures', 'file-store', 'bun-serve.ts'), dir, secret], { stdio: ['ignore', 'pipe', 'inherit'] })
  bunUrl = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bun exited with ${code}`)))
    child.stdout!.once('data', (data) => resolve(String(data).trim()))
  })
}, 30_000)

afterAll(async () => {
  child?.kill()
  await node?.close()
  store?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('Express on Node and Bun.serve share one FileStore and one cookie', () => {
  it('a session created in Express is read and changed in Bun.serve, then read back in Express', async () => {
    const browser = new Client(node.url)
    await browser.get('/login')
    const onBun = await new Client(bunUrl).get('/visit', { cookie: browser.cookie })
    expect(JSON.parse(onBun.body)).toEqual({ user: 'ada', visits: 1, seenBy: ['bun'] })
    expect(onBun.setCookie).toEqual([]) // the same cookie goes on
    expect(JSON.parse((await browser.get('/visit')).body)).toEqual({ user: 'ada', visits: 2, seenBy: ['bun', 'express'] })
  })

  it('a session created in Bun.serve is read and changed in Express, then read back in Bun.serve', async () => {
    const browser = new Client(bunUrl)
    await browser.get('/visit')
    const onNode = await new Client(node.url).get('/visit', { cookie: browser.cookie })
    expect(JSON.parse(onNode.body)).toEqual({ user: null, visits: 2, seenBy: ['bun', 'express'] })
    expect(JSON.parse((await browser.get('/read')).body)).toEqual({ user: null, visits: 2, seenBy: ['bun', 'express'] })
    const sid = browser.sid()
    const record = await new Promise<any>((resolve, reject) => store.get(sid, (err: any, data: any) => (err ? reject(err) : resolve(data))))
    expect(record).toMatchObject({ cookie: { path: '/', httpOnly: true, originalMaxAge: null }, visits: 2, seenBy: ['bun', 'express'] })
  })
})
