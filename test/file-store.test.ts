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
    '.', '..', '.tmp-evil', 'ÀÉ', '🙂', '\uD800', 'a\uDC00b', '\uFFFD'
  ]

  it.each(hostile.map((id) => [JSON.stringify(id).slice(0, 40), id]))('id %s never touches anything outside the directory', async (_label, id) => {
    const outcome = async (work: Promise<unknown>) => work.then((v) => ({ ok: v ?? null }), (e) => ({ error: e.code }))
    const set = await outcome(store.set(id, record({ n: 1 })))
    const got = await outcome(store.get(id))
    const touched = await outcome(store.touch(id, record({ n: 1 })))
    const destroyed = await outcome(store.destroy(id))
    // Either refused (an error for set, "not found" for the rest), or stored under its own name and read back.
    if ('error' in set) expect([set.error, got]).toEqual(['EINVALIDSID', { ok: null }])
    else expect((got as any).ok?.n).toBe(1)
    expect([touched, destroyed]).toEqual([{ ok: null }, { ok: null }])
    expect(await store.get(id)).toBeNull()
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

  it('keeps IDs apart that UTF-8 alone would merge (a lone surrogate is refused)', async () => {
    await store.set('\uFFFD', record({ n: 1 }))
    await expect(store.set('\uD800', record({ n: 2 }))).rejects.toMatchObject({ code: 'EINVALIDSID' })
    expect(await store.get('\uD800')).toBeNull()
    expect((await store.get('\uFFFD'))!.n).toBe(1)
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
    ['an expiry that is not a number', '{"expires":"soon","session":{"cookie":{}}}'],
    ['a session that is an array', '{"expires":null,"session":[1]}'],
    ['a JSON null', 'null']
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

  it('merges queued sets into one write, in call order around destroy and touch', async () => {
    const rename = vi.spyOn(fs, 'rename')
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.set('merged', record({ i }))))
    expect(rename.mock.calls.length).toBeGreaterThan(0)
    expect(rename.mock.calls.length).toBeLessThanOrEqual(3)
    rename.mockRestore()
    const later = new Date(Date.now() + 3_600_000).toISOString()
    const calls = [
      store.set('order', record({ n: 1 })),
      store.destroy('order'),
      store.set('order', record({ n: 2 })),
      store.touch('order', { cookie: { originalMaxAge: null, expires: later } } as any),
      store.set('gone', record({ n: 3 })),
      store.destroy('gone')
    ]
    await Promise.all(calls)
    expect(await store.get('order')).toEqual({ ...record({ n: 2 }), cookie: { originalMaxAge: null, expires: later } })
    expect(await store.get('gone')).toBeNull()
  })

  it('stores a record as it was when set and touch were called', async () => {
    const rec: any = record({ n: 1 })
    const setting = store.set('sid', rec)
    rec.n = 2
    await setting
    expect((await store.get('sid'))!.n).toBe(1)
    const touching = store.touch('sid', rec)
    rec.cookie.path = '/changed'
    await touching
    expect((await store.get('sid'))!.cookie.path).toBe('/')
  })

  it('refuses a record the file format cannot hold, and keeps the old one', async () => {
    await store.set('sid', record({ n: 1 }))
    for (const bad of [null, 'text', [1], { cookie: null }, { cookie: 'x' }]) {
      await expect(store.set('sid', bad as any)).rejects.toThrow(TypeError)
    }
    expect((await store.get('sid'))!.n).toBe(1)
  })

  it('removes an expired session when it is read', async () => {
    await store.set('sid', record({ n: 1 }, 1000))
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 1001)
    expect(await store.get('sid')).toBeNull()
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it('makes its directory again when it is removed, and reaps a missing one quietly', async () => {
    await store.set('a', record({ n: 1 }))
    fs.rmSync(dir, { recursive: true })
    await store.reap()
    expect(await store.length()).toBe(0)
    await store.set('a', record({ n: 2 }))
    expect((await store.get('a'))!.n).toBe(2)
  })

  it('clear removes sessions and stale temp files, not those of writes in flight', async () => {
    await store.set('a', record({ n: 1 }))
    const old = new Date(Date.now() - 3_600_000)
    fs.writeFileSync(path.join(dir, '.tmp-crashed'), '{')
    fs.utimesSync(path.join(dir, '.tmp-crashed'), old, old)
    fs.writeFileSync(path.join(dir, '.tmp-in-flight'), '{')
    fs.writeFileSync(path.join(dir, 'not-a-session.txt'), 'x')
    await store.clear()
    expect(fs.readdirSync(dir).sort()).toEqual(['.tmp-in-flight', 'not-a-session.txt'])
  })

  it('reads and writes utf16le files; refuses encodings and extensions that would corrupt or escape', async () => {
    const utf16 = new FileStore({ path: dir, encoding: 'utf16le', fileExtension: '.sess', reapInterval: false })
    await utf16.set('zoë', record({ name: 'zoë 🙂' }))
    expect((await utf16.get('zoë'))!.name).toBe('zoë 🙂')
    expect(fs.readFileSync(utf16.fileOf('zoë')!, 'utf16le')).toContain('zoë 🙂')
    expect(() => new FileStore({ path: dir, encoding: 'base64' })).toThrow(TypeError)
    expect(() => new FileStore({ path: dir, fileExtension: '/../x' })).toThrow(TypeError)
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
    const fresh = path.join(dir, '.tmp-in-flight')
    fs.writeFileSync(fresh, '{"half')
    vi.advanceTimersByTime(1000)
    const live = path.basename(reaping.fileOf('live')!)
    await vi.waitFor(() => expect(fs.readdirSync(dir).sort()).toEqual([live, '.tmp-in-flight'].sort()), { timeout: 5000 })
    expect(reaping.reap()).toBe(reaping.reap()) // one reap at a time
    expect(Object.keys(await reaping.all())).toEqual(['live'])
    reaping.close()
  })
})
