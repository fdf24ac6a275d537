/**
 * Runs one scenario list of this folder under real Bun, one JSON line per
 * scenario ({ name, ok, detail }, for test/bun-runtimes.test.ts):
 *   node_modules/.bin/bun test/bun-runtime/run.ts bunway|web|express-parity
 * `lib/index`, an `export =` module Bun will not load as source, is served
 * from the build in dist/ (`npm run build`); only the parity suite imports it.
 */
import path from 'node:path'
import { printOutcome, runScenarios, type Scenario } from '../helpers/scenarios'

const root = path.join(import.meta.dir, '..', '..')
Bun.plugin({
  name: 'lib/index from the build',
  setup(build) {
    const built = JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))
    build.onLoad({ filter: /\/lib\/index\.ts$/ }, () => ({ contents: `const s = require(${built}); export default s`, loader: 'js' }))
  }
})

const list = process.argv[2]
const { scenarios } = (await import(`./${list}.ts`)) as { scenarios: Scenario[] }
if (!scenarios?.length) throw new Error(`no scenarios in test/bun-runtime/${list}.ts`)
await runScenarios(scenarios, { each: printOutcome })
process.exit(0)
