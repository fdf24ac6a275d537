import { execFileSync, spawn } from 'child_process'
import fs from 'fs'
import os from 'os'
import path from 'path'
import { afterEach, describe, expect, it } from 'vitest'
import { FileStore } from '../stores/file'
// Child processes run the TypeScript source under Bun: no build step, and Bun is a supported runtime.
import { bun } from './helpers/bun'

const fixture = (name: string) => path.join(__dirname, 'fixtures', 'file-store', name)

let root: string
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))
const tempDir = () => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-file-proc-')))

describe('FileStore across processes', () => {
  it('a writer killed with SIGKILL at random moments leaves only whole files', async () => {
    const dir = path.join(tempDir(), 'sessions')
    for (let round = 0; round < 4; round++) {
      const child = spawn(bun, [fixture('writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] })
      await new Promise((resolve, reject) => {
        child.stdout.once('data', resolve)
        child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)))
      })
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150))
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    const names = fs.readdirSync(dir)
    const sessions = names.filter((name) => !name.startsWith('.tmp-'))
    expect(sessions.length).toBe(4)
    for (const name of sessions) {
      const parsed = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'))
      expect(parsed.session.big).toHaveLength(200_000)
    }
    const store = new FileStore({ path: dir, reapInterval: false })
    for (const sid of ['s0', 's1', 's2', 's3']) expect((await store.get(sid))!.big).toHaveLength(200_000)
    // Temp files a kill left behind are never read as sessions, and are reaped once stale.
    expect(Object.keys(await store.all()).sort()).toEqual(['s0', 's1', 's2', 's3'])
    const old = new Date(Date.now() - 3_600_000)
    for (const name of names) if (name.startsWith('.tmp-')) fs.utimesSync(path.join(dir, name), old, old)
    await store.reap()
    expect(fs.readdirSync(dir).sort()).toEqual(sessions.sort())
  })

  it('runs the script-use sequence under real Bun, and exits with its reaper timer running', () => {
    const dir = path.join(tempDir(), 'sessions')
    const out = execFileSync(bun, [fixture('script-use.ts'), dir], { encoding: 'utf8', timeout: 30_000 })
    expect(JSON.parse(out)).toEqual({ got: { userId: 1 }, count: 1, viaCallback: { userId: 1 }, after: 0 })
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
  })
})
