import fs from 'fs'
import path from 'path'
import { describe, expect, it } from 'vitest'
import { scenarios as bunRouter } from './bun-runtime/bun-router'
import { scenarios as bunway } from './bun-runtime/bunway'
import { scenarios as parity } from './bun-runtime/express-parity'
import { scenarios as handles } from './bun-runtime/handles'
import { scenarios as hono } from './bun-runtime/hono'
import { scenarios as web } from './bun-runtime/web'
import { failures, outcomesUnderBun } from './helpers/bun'
import type { Scenario } from './helpers/scenarios'

/**
 * The scenario lists in test/bun-runtime, each run under real Bun by run.ts:
 * it must report every scenario of the list, in order, and each must pass.
 */
function runUnderBun(list: string, scenarios: Scenario[]) {
  const { outcomes, log } = outcomesUnderBun([path.join(__dirname, 'bun-runtime', 'run.ts'), list])
  expect(outcomes.map((o) => o.name), log).toEqual(scenarios.map((s) => s.name))
  expect(failures(outcomes)).toEqual([])
}

describe('under real Bun', () => {
  it('bunway: the session export in the bunway double', () => runUnderBun('bunway', bunway), 60_000)
  it('Request → Response: webSession under Bun.serve', () => runUnderBun('web', web), 60_000)
  it('Hono under Bun.serve: honoSession and webSession().middleware', () => runUnderBun('hono', hono), 60_000)
  it("bun-router's (req, next) middleware flows", () => runUnderBun('bun-router', bunRouter), 60_000)
  it('ts-auth-style handles: sessionMiddleware(request, config)', () => runUnderBun('handles', handles), 60_000)
  it('Express 4 and 5 on Bun: the parity suite (test/parity/scenarios.ts) against express-session', () => {
    expect(fs.existsSync(path.join(__dirname, '..', 'dist', 'lib', 'index.js')), 'run `npm run build` first').toBe(true)
    runUnderBun('express-parity', parity)
  }, 60_000)
})
