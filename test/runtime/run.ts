// Runs the behaviour suite under whichever runtime executes this file (Bun in
// CI: `bun test/runtime/run.ts express5 bunway web`), one JSON line per scenario.
import { runAll } from './scenarios'
import type { Variant } from './apps'

const variants = process.argv.slice(2) as Variant[]
for (const variant of variants) {
  for (const outcome of await runAll(variant)) console.log(JSON.stringify(outcome))
}
process.exit(0)
