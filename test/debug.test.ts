import { spawnSync } from 'child_process'
import fs from 'fs'
import path from 'path'
import { describe, expect, it } from 'vitest'

/**
 * `NODE_DEBUG=sessionware` explains every decision, above all why a response
 * got no Set-Cookie. test/fixtures/debug/app.cjs drives one request into each
 * case, under Node and under real Bun (whose debuglog differs from Node's).
 */
const root = path.join(__dirname, '..')
const app = path.join(__dirname, 'fixtures', 'debug', 'app.cjs')
const runtimes: Array<[string, string]> = [
  ['Node', process.execPath],
  ['Bun', path.join(root, 'node_modules', '.bin', 'bun')]
]

const reasons = [
  'no Set-Cookie: new session not modified (saveUninitialized is false)',
  'no Set-Cookie: session not modified',
  'no Set-Cookie: session cookie has no expiry and rolling is false',
  'no Set-Cookie: no session (req.session unset)',
  'no Set-Cookie: Secure cookie on an insecure request',
  'pathname mismatch: /elsewhere is outside cookie path /admin: no session, no Set-Cookie',
  'store is disconnected: no session, no Set-Cookie',
  'no Set-Cookie: store down (onSaveError: error, the error handler answers)',
  'cookie unsigned or its signature invalid: a fresh session',
  'error passed to next(err): store down'
]

function run(binary: string, debug: string | undefined) {
  expect(fs.existsSync(path.join(root, 'dist', 'lib', 'index.js')), 'run `npm run build` first').toBe(true)
  const env = { ...process.env }
  delete env.NODE_DEBUG
  if (debug !== undefined) env.NODE_DEBUG = debug
  const result = spawnSync(binary, [app], { cwd: root, env, encoding: 'utf8', timeout: 30_000 })
  expect(result.stdout.trim(), result.stderr).toBe('done')
  return result.stderr.split('\n').filter((line) => /^SESSIONWARE \d+: /.test(line)).map((line) => line.replace(/^SESSIONWARE \d+: /, ''))
}

describe.each(runtimes)('debug lines under %s', (_name, binary) => {
  it('with NODE_DEBUG=sessionware, each reason a response got no Set-Cookie is printed', () => {
    const lines = run(binary, 'sessionware')
    for (const reason of reasons) expect(lines).toContain(reason)
    expect(lines).toContainEqual(expect.stringMatching(/^session \S+ expired \(older than absoluteTimeout, 1 ms\): destroying it, generating a session$/))
    expect(lines.some((line) => line.startsWith('set-cookie connect.sid=s%3A'))).toBe(true)
  })

  it('a wildcard in NODE_DEBUG selects them too; without it nothing is printed', () => {
    expect(run(binary, 'http,session*')).toContain('no Set-Cookie: session not modified')
    expect(run(binary, undefined)).toEqual([])
  })
})
