import { execFileSync, spawn } from 'child_process'
import fs from 'fs'
import os from 'os'
import path from 'path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FileStore, fileStore } from '../stores/file'
import { storeContract } from './helpers/store-contract'

const dirs: string[] = []
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-file-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  vi.useRealTimers()
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

storeContract('FileStore', {
  create: () => new FileStore({ path: path.join(tempDir(), 'sessions'), reapInterval: false }),
  dispose: (store) => (store as FileStore).close()
})

const record = (data: object, maxAge = 60_000) => ({
  cookie: { originalMaxAge: maxAge, expires: new Date(Date.now() + maxAge).toISOString(), httpOnly: true, path: '/' },
  ...data
})

describe('FileStore safety', () => {
  let root: string
  let store: FileStore
  let canary: string
  beforeEach(() => {
    root = tempDir()
    canary = path.join(root, 'canary')
    fs.writeFileSync(canary, 'untouched')
    store = new FileStore({ path: path.join(root, 'sessions'), reapInterval: false })
  })
  afterEach(() => store.close())

  const hostile = [
    '../canary', '../../etc/passwd', '/etc/passwd', path.join('..', 'canary'), 'a/b', 'a\\b', '..\\canary',
    'nul\u0000byte', '%2F..%2Fcanary', '..%2fcanary', 'x'.repeat(300), 'CON', 'NUL', 'com1', 'LPT1.txt', '',
    '.', '..', '.tmp-evil', 'ÀÉ', '🙂'
  ]

  it.each(hostile.map((id) => [JSON.stringify(id).slice(0, 40), id]))('id %s never touches anything outside the directory', async (_label, id) => {
    const outcome = async (work: Promise<unknown>) => work.then((v) => ({ ok: v ?? null }), (e) => ({ error: e.code }))
    const set = await outcome(store.set(id, record({ n: 1 })))
    const got = await outcome(store.get(id))
    await outcome(store.touch(id, record({ n: 1 })))
    await outcome(store.destroy(id))
    // Either refused cleanly, or stored under its own name and read back.
    if ('error' in set) {
      expect(set.error).toBe('EINVALIDSID')
      expect(got).toEqual({ ok: null })
    } else {
      expect((got as any).ok?.n).toBe(1)
    }
    expect(fs.readFileSync(canary, 'utf8')).toBe('untouched')
    await store.length() // the directory exists once the store has started
    expect(fs.readdirSync(root).sort()).toEqual(['canary', 'sessions'])
    for (const name of fs.readdirSync(path.join(root, 'sessions'))) expect(name).toMatch(/^[0-9a-f]+\.json$/)
  })

  it('maps different IDs to different files, even those differing only in case', async () => {
    await store.set('AbC', record({ n: 1 }))
    await store.set('abc', record({ n: 2 }))
    await store.set('a-b', record({ n: 3 }))
    await store.set('a_b', record({ n: 4 }))
    expect((await store.get('AbC'))!.n).toBe(1)
    expect((await store.get('abc'))!.n).toBe(2)
    expect(Object.keys(await store.all()).sort()).toEqual(['AbC', 'a-b', 'a_b', 'abc'])
  })

  it('a refused ID is a clean error through the callback, never a synchronous throw', async () => {
    const err = await new Promise<any>((resolve) => {
      expect(() => store.set('x'.repeat(300), record({}), resolve)).not.toThrow()
    })
    expect(err.code).toBe('EINVALIDSID')
  })

  it('never follows a symlink planted in the directory', async () => {
    await store.set('real', record({ n: 1 }))
    const file = store.fileOf('victim')!
    fs.symlinkSync(canary, file)
    expect(await store.get('victim')).toBeNull()
    await store.set('victim', record({ n: 2 }))
    expect(fs.readFileSync(canary, 'utf8')).toBe('untouched')
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(false)
    expect((await store.get('victim'))!.n).toBe(2)
    await store.destroy('victim')
    expect(fs.readFileSync(canary, 'utf8')).toBe('untouched')
  })

  it('creates session files 0600 in a directory 0700', async () => {
    await store.set('sid', record({ n: 1 }))
    expect(fs.statSync(path.join(root, 'sessions')).mode & 0o777).toBe(0o700)
    expect(fs.statSync(store.fileOf('sid')!).mode & 0o777).toBe(0o600)
  })
})

describe('FileStore recovery and concurrency', () => {
  let dir: string
  let store: FileStore
  beforeEach(() => {
    dir = path.join(tempDir(), 'sessions')
    store = new FileStore({ path: dir, reapInterval: false })
  })
  afterEach(() => store.close())

  it.each([
    ['truncated', '{"expires":null,"session":{"cookie":{"path":"/"},"n":'],
    ['empty', ''],
    ['binary', '\u0000\u00ff\u00fe garbage'],
    ['a JSON array', '[1,2,3]'],
    ['no session object', '{"expires":null}'],
    ['a cookie that is not an object', '{"expires":null,"session":{"cookie":"x"}}'],
    ['an expiry that is not a number', '{"expires":"soon","session":{"cookie":{}}}']
  ])('a %s file is "no session" and is removed', async (_name, content) => {
    await store.set('sid', record({ n: 1 }))
    fs.writeFileSync(store.fileOf('sid')!, content)
    expect(await store.get('sid')).toBeNull()
    expect(fs.existsSync(store.fileOf('sid')!)).toBe(false)
  })

  it('sees what another process wrote, even for a file it remembers writing', async () => {
    const other = new FileStore({ path: dir, reapInterval: false })
    await store.set('shared', record({ by: 'this one' }))
    expect((await store.get('shared'))!.by).toBe('this one')
    await other.set('shared', record({ by: 'the other' }))
    expect((await store.get('shared'))!.by).toBe('the other')
    await other.destroy('shared')
    expect(await store.get('shared')).toBeNull()
    other.close()
  })

  it('a missing file is "no session", silently', async () => {
    const warn = vi.spyOn(console, 'warn')
    const error = vi.spyOn(console, 'error')
    expect(await store.get('never-written')).toBeNull()
    expect(warn).not.toHaveBeenCalled()
    expect(error).not.toHaveBeenCalled()
  })

  it('200 concurrent sets to one ID end in one complete payload', async () => {
    const big = 'x'.repeat(20_000)
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.set('hot', record({ i, big }))))
    const got = await store.get('hot')
    expect(got!.i).toBe(199)
    expect(got!.big).toBe(big)
    expect(fs.readdirSync(dir)).toEqual([path.basename(store.fileOf('hot')!)])
  })

  it('readers never see a half-written file while writers write', async () => {
    const payloads = [0, 1, 2, 3].map((n) => 'p'.repeat(50_000 + n * 1000))
    await store.set('busy', record({ p: payloads[0] }))
    let torn = 0
    const writers = Array.from({ length: 40 }, (_, i) => store.set('busy', record({ p: payloads[i % 4] })))
    const readers = Array.from({ length: 80 }, async () => {
      const got = await store.get('busy')
      if (!got || !payloads.includes(got.p)) torn++
    })
    await Promise.all([...writers, ...readers])
    expect(torn).toBe(0)
  })

  it('touch refreshes the expiry without writing back stale data', async () => {
    await store.set('sid', record({ cart: ['a'] }, 1000))
    const stale = record({ cart: [] }, 1000)
    await store.set('sid', record({ cart: ['a', 'b'] }, 1000))
    const later = new Date(Date.now() + 3_600_000).toISOString()
    await store.touch('sid', { ...stale, cookie: { ...stale.cookie, expires: later } })
    const got = await store.get('sid')
    expect(got!.cart).toEqual(['a', 'b'])
    expect(got!.cookie.expires).toBe(later)
  })

  it('script use: records without a cookie expire after ttl', async () => {
    const scripted = fileStore({ path: dir, reapInterval: false, ttl: 50 })
    await scripted.set('sess123', { userId: 1 } as any)
    expect(await scripted.get('sess123')).toEqual({ userId: 1 })
    expect(await scripted.length()).toBe(1)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 100)
    expect(await scripted.get('sess123')).toBeNull()
    expect(await scripted.length()).toBe(0)
    await scripted.clear()
    scripted.close()
  })

  it('reaps expired sessions and stale temp files in the background', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'Date'] })
    const reaping = new FileStore({ path: dir, reapInterval: 1000 })
    await reaping.set('old', record({ n: 1 }, 500))
    await reaping.set('live', record({ n: 2 }, 3_600_000))
    const temp = path.join(dir, '.tmp-leftover')
    fs.writeFileSync(temp, '{"half')
    fs.utimesSync(temp, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000))
    vi.advanceTimersByTime(1000)
    await vi.waitFor(() => expect(fs.readdirSync(dir)).toEqual([path.basename(reaping.fileOf('live')!)]), { timeout: 5000 })
    reaping.close()
  })

  it('a process killed with SIGKILL mid-write leaves only whole files', async () => {
    const script = `
      const { FileStore } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'stores', 'file.js'))})
      const store = new FileStore({ path: process.argv[1], reapInterval: false })
      const big = 'y'.repeat(200000)
      let i = 0
      process.stdout.write('ready\\n')
      ;(async () => { for (;;) { i++; await Promise.all([0,1,2,3].map((k) => store.set('s' + k, { cookie: { path: '/' }, i, big }))) } })()
    `
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ['-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
      await new Promise((resolve) => child.stdout.once('data', resolve))
      await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 120))
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.tmp-'))
    expect(names.length).toBeGreaterThan(0)
    for (const name of names) {
      const parsed = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'))
      expect(parsed.session.big).toHaveLength(200000)
    }
    for (const sid of ['s0', 's1', 's2', 's3']) {
      const got = await store.get(sid)
      if (got) expect(got.big).toHaveLength(200000)
    }
    // leftover temp files are never read as sessions, and are reaped once stale
    expect(Object.keys(await store.all()).every((sid) => /^s[0-3]$/.test(sid))).toBe(true)
  })
})

describe('FileStore under Bun', () => {
  it('runs the script-use sequence under real Bun', () => {
    const dir = tempDir()
    const script = path.join(dir, 'script.ts')
    fs.writeFileSync(
      script,
      `import { FileStore } from ${JSON.stringify(path.join(__dirname, '..', 'stores', 'file.ts'))}
       const store = new FileStore({ path: ${JSON.stringify(path.join(dir, 'sessions'))}, reapInterval: false })
       await store.set('sess123', { userId: 1 })
       const got = await store.get('sess123')
       const count = await store.length()
       await new Promise((resolve) => store.get('sess123', (err, value) => { console.log(JSON.stringify({ cb: value })); resolve(null) }))
       await store.clear()
       console.log(JSON.stringify({ got, count, after: await store.length() }))`
    )
    const bun = path.join(__dirname, '..', 'node_modules', '.bin', 'bun')
    const out = execFileSync(bun, [script], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n')
    expect(JSON.parse(out[0])).toEqual({ cb: { userId: 1 } })
    expect(JSON.parse(out[1])).toEqual({ got: { userId: 1 }, count: 1, after: 0 })
  })
})

describe('FileStore over HTTP', () => {
  it('a corrupt session file gives that user a fresh session on the very next request, and a hostile ID a fresh one too', async () => {
    const { default: express } = await import('express')
    const { default: session } = await import('../lib/index')
    const { Client, request, serve } = await import('./helpers/http')
    const { sign } = await import('cookie-signature')
    const dir = path.join(tempDir(), 'sessions')
    const store = new FileStore({ path: dir, reapInterval: false })
    const app = express()
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, store }))
    app.get('/', (req: any, res) => {
      req.session.n = (req.session.n || 0) + 1
      res.json({ n: req.session.n, id: req.sessionID })
    })
    const served = await serve(app)
    try {
      const client = new Client(served.url)
      const first = JSON.parse((await client.get('/')).body)
      expect(JSON.parse((await client.get('/')).body).n).toBe(2)
      fs.writeFileSync(store.fileOf(first.id)!, '{"expires":null,"sess')
      const after = await client.get('/')
      expect(after.status).toBe(200)
      expect(JSON.parse(after.body).n).toBe(1)
      expect(JSON.parse(after.body).id).not.toBe(first.id)
      for (const id of ['../../etc/passwd', 'x'.repeat(300), 'CON']) {
        const reply = await request(served.url, { cookie: 'connect.sid=' + encodeURIComponent('s:' + sign(id, 's')) })
        expect(reply.status).toBe(200)
        expect(JSON.parse(reply.body).id).not.toBe(id)
      }
    } finally {
      await served.close()
      store.close()
    }
  })
})
