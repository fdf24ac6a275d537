/**
 * test/parity.test.ts (sessionware against express-session, same scenario,
 * same store, Express 4 and 5) run unchanged under real Bun, where Express
 * sits on Bun's node:http.
 *   node_modules/.bin/bun test/bun-runtime/express-parity.ts
 * The test file's `describe`/`it`/`expect` come from a small stand-in for
 * vitest; `lib/index` (an `export =` module Bun will not load as source) is
 * served from the build in dist/ (`npm run build`). One JSON line per test.
 */
import path from 'node:path'
import { runScenarios, type Scenario } from './harness'

const collected: Scenario[] = []
let suite = ''
const vitest = {
  describe(name: string, body: () => void) {
    const outer = suite
    suite = outer ? `${outer} > ${name}` : name
    try {
      body()
    } finally {
      suite = outer
    }
  },
  it(name: string, run: () => Promise<void>) {
    collected.push({ name: `${suite} > ${name}`, run })
  },
  expect(actual: unknown) {
    return {
      toEqual(expected: unknown) {
        if (!Bun.deepEquals(actual, expected)) {
          throw new Error(`not equal:\n  got      ${JSON.stringify(actual)}\n  expected ${JSON.stringify(expected)}`)
        }
      }
    }
  }
}

const root = path.join(import.meta.dir, '..', '..')
Bun.plugin({
  name: 'parity under bun',
  setup(build) {
    build.module('vitest', () => ({ exports: vitest, loader: 'object' }))
    const built = JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))
    build.onLoad({ filter: /\/lib\/index\.ts$/ }, () => ({ contents: `const s = require(${built}); export default s`, loader: "js" }))
  }
})

await import('../parity.test')
if (collected.length === 0) throw new Error('no tests collected from test/parity.test.ts')
await runScenarios(collected)
process.exit(0)
