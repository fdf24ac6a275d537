import fs from 'fs'
import os from 'os'
import path from 'path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileStore } from '../stores/file'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

const HOUR = 3_600_000
const MB = 1024 * 1024

const record = (data: object, expires: number) => ({
  cookie: { originalMaxAge: HOUR, expires: new Date(expires).toISOString(), httpOnly: true, path: '/' },
  ...data
})

/** A session file as the store writes it, padded to about `size` characters. */
function sessionJson(expires: number | null, size = 0): string {
  return JSON.stringify({ expires, session: { cookie: { path: '/' }, blob: 'x'.repeat(size) } })
}

describe('FileStore reap', () => {
  let root: string
  let dir: string
  let store: FileStore
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-reap-'))
    dirs.push(root)
    dir = path.join(root, 'sessions')
    fs.mkdirSync(dir)
    store = new FileStore({ path: dir, reapInterval: false })
  })
  afterEach(() => store.close())

  const write = (sid: string, text: string, encoding: BufferEncoding = 'utf8') => fs.writeFileSync(store.fileOf(sid)!, text, encoding)
  const exists = (sid: string, on = store) => fs.existsSync(on.fileOf(sid)!)

  it('removes expired sessions and keeps live ones', async () => {
    const now = Date.now()
    await store.set('expired', record({ n: 1 }, now - 1000))
    await store.set('live', record({ n: 2 }, now + HOUR))
    await store.set('short', { n: 3 } as any, 1) // a lifetime of 1 ms, over by the time reap reads it
    await store.set('never', { n: 4 } as any, Infinity)
    write('raw-expired', sessionJson(now - 1))
    write('raw-live', sessionJson(now + HOUR))
    write('raw-never', sessionJson(null))
    await new Promise((resolve) => setTimeout(resolve, 5))
    await store.reap()
    expect(Object.keys(await store.all()).sort()).toEqual(['live', 'never', 'raw-live', 'raw-never'])
    for (const sid of ['expired', 'short', 'raw-expired']) expect(exists(sid)).toBe(false)
  })

  it('removes expired and keeps live sessions of 1 MB', async () => {
    const now = Date.now()
    write('big-expired', sessionJson(now - 1000, MB))
    write('big-live', sessionJson(now + HOUR, MB))
    write('big-never', sessionJson(null, MB))
    await store.reap()
    expect([exists('big-expired'), exists('big-live'), exists('big-never')]).toEqual([false, true, true])
    expect((await store.get('big-live'))!.blob).toHaveLength(MB)
  })

  it('judges a large file by its head only, never reading it whole', async () => {
    const now = Date.now()
    // A whole-file read would find these corrupt (their tails are no JSON) and remove both.
    write('live-head', sessionJson(now + HOUR, MB).slice(0, -10) + 'not json')
    write('expired-head', sessionJson(now - 1000, MB).slice(0, -10) + 'not json')
    await store.reap()
    expect([exists('live-head'), exists('expired-head')]).toEqual([true, false])
    // A read sees the whole file, finds it corrupt, and removes it.
    expect(await store.get('live-head')).toBeNull()
    expect(exists('live-head')).toBe(false)
  })

  it('removes corrupt files and files that are no session, large or small', async () => {
    const now = Date.now()
    const corrupt: Record<string, string> = {
      empty: '',
      garbage: 'garbage',
      truncated: sessionJson(now + HOUR).slice(0, 30),
      'wrong shape': JSON.stringify({ expires: now + HOUR, session: 'x' }),
      'no session': JSON.stringify({ expires: now + HOUR }),
      'string expires': JSON.stringify({ expires: String(now + HOUR), session: {} }),
      'big garbage': 'x'.repeat(MB),
      'big string expires': JSON.stringify({ expires: String(now + HOUR), session: { blob: 'x'.repeat(MB) } }),
      'big session first': JSON.stringify({ session: { blob: 'x'.repeat(MB) }, expires: now + HOUR }),
      'big array': JSON.stringify([now + HOUR, 'x'.repeat(MB)])
    }
    for (const [sid, text] of Object.entries(corrupt)) write(sid, text)
    write('live', sessionJson(now + HOUR))
    fs.writeFileSync(path.join(dir, 'not-a-session.txt'), 'garbage')
    await store.reap()
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(store.fileOf('live')!), 'not-a-session.txt'].sort())
  })

  it('reads heads as JSON may spell them', async () => {
    const now = Date.now()
    const live = now + HOUR
    const blob = 'x'.repeat(1000) // past the head, so only the head is read
    write('spaced', `{\n  "expires": ${live},\n  "session": { "blob": "${blob}" }\n}`)
    write('fraction', `{"expires":${live}.5,"session":{"blob":"${blob}"}}`)
    write('exponent', `{"expires":${live / 1000}e3,"session":{"blob":"${blob}"}}`)
    write('spaced-null', `{ "expires" : null , "session" : {"blob":"${blob}"}}`)
    write('expired-exponent', `{"expires":1.5e3,"session":{"blob":"${blob}"}}`)
    write('expired-negative', `{"expires":-1,"session":{"blob":"${blob}"}}`)
    await store.reap()
    expect(Object.keys(await store.all()).sort()).toEqual(['exponent', 'fraction', 'spaced', 'spaced-null'])
  })

  it('reads utf16le heads in a utf16le store, and removes files it cannot read', async () => {
    const utf16 = new FileStore({ path: dir, encoding: 'utf16le', fileExtension: '.sess', reapInterval: false })
    const now = Date.now()
    const big = 'zoë 🙂'.repeat(100_000)
    await utf16.set('live', record({ name: 'zoë 🙂' }, now + HOUR))
    await utf16.set('expired', record({ name: 'zoë 🙂' }, now - 1000))
    await utf16.set('big-live', record({ big }, now + HOUR))
    await utf16.set('big-expired', record({ big }, now - 1000))
    fs.writeFileSync(utf16.fileOf('big-never')!, sessionJson(null, MB), 'utf16le')
    // utf8 bytes read as utf16le are no JSON: this store could never read them.
    fs.writeFileSync(utf16.fileOf('utf8')!, sessionJson(now + HOUR, 1000), 'utf8')
    await utf16.reap()
    expect(['live', 'expired', 'big-live', 'big-expired', 'big-never', 'utf8'].map((sid) => exists(sid, utf16))).toEqual([
      true,
      false,
      true,
      false,
      true,
      false
    ])
    expect((await utf16.get('big-live'))!.big).toBe(big)
    utf16.close()
  })

  it('never removes a session rewritten while the reap runs', async () => {
    const now = Date.now()
    const sids = Array.from({ length: 20 }, (_, i) => `s${i}`)
    for (const sid of sids) write(sid, sessionJson(now - 1000, 10_000))
    const reaping = store.reap()
    await Promise.all(sids.map((sid) => store.set(sid, record({ sid }, now + HOUR))))
    await reaping
    for (const sid of sids) expect((await store.get(sid))!.sid).toBe(sid)
  })

  it('removes a symlink in place of a session, never what it points to, and passes over a directory', async () => {
    await store.set('live', record({ n: 1 }, Date.now() + HOUR))
    const target = path.join(root, 'target.json')
    const text = sessionJson(Date.now() + HOUR)
    fs.writeFileSync(target, text)
    fs.symlinkSync(target, store.fileOf('link')!)
    fs.mkdirSync(store.fileOf('dir')!)
    await store.reap()
    expect(fs.lstatSync(store.fileOf('link')!, { throwIfNoEntry: false })).toBeUndefined()
    expect(fs.readFileSync(target, 'utf8')).toBe(text)
    expect(Object.keys(await store.all())).toEqual(['live'])
  })

  it('still removes stale temp files, and keeps those of writes in flight', async () => {
    await store.set('live', record({ n: 1 }, Date.now() + HOUR))
    const old = new Date(Date.now() - HOUR)
    fs.writeFileSync(path.join(dir, '.tmp-crashed'), sessionJson(Date.now() - 1000, MB))
    fs.utimesSync(path.join(dir, '.tmp-crashed'), old, old)
    fs.writeFileSync(path.join(dir, '.tmp-in-flight'), '{"half')
    await store.reap()
    expect(fs.readdirSync(dir).sort()).toEqual(['.tmp-in-flight', path.basename(store.fileOf('live')!)].sort())
  })
})
