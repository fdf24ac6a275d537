import { spawnSync } from 'child_process'
import fs from 'fs'
import path from 'path'
import { describe, expect, it } from 'vitest'

/**
 * The scripts in test/bun-runtime, each run under real Bun: every scenario
 * they print ({ name, ok, detail }) must pass.
 */
const root = path.join(__dirname, '..')
const bun = path.join(root, 'node_modules', '.bin', 'bun')

function runUnderBun(script: string, minimum: number) {
  const result = spawnSync(bun, [path.join(__dirname, 'bun-runtime', script)], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  const outcomes = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{"name"'))
    .map((line) => JSON.parse(line) as { name: string; ok: boolean; detail?: string })
  if (outcomes.length < minimum) throw new Error(`${script}: ${outcomes.length} scenarios reported (exit ${result.status}, ${result.signal ?? 'no signal'}):\n${result.stderr}`)
  const failed = outcomes.filter((o) => !o.ok).map((o) => `${o.name}\n${o.detail}`)
  expect(failed).toEqual([])
}

describe('under real Bun', () => {
  it('bunway: the session export in the bunway double', () => runUnderBun('bunway.ts', 25), 60_000)
  it('Request → Response: webSession under Bun.serve', () => runUnderBun('web.ts', 14), 60_000)
  it('Express 4 and 5 on Bun: test/parity.test.ts against express-session', () => {
    expect(fs.existsSync(path.join(root, 'dist', 'lib', 'index.js')), 'run `npm run build` first').toBe(true)
    runUnderBun('express-parity.ts', 54)
  }, 60_000)
})
