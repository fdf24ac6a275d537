// Runs the behaviour suite under whichever runtime executes this file (Bun in
// CI: `bun test/runtime/run.ts express5 bunway web`), one JSON line per scenario.
import type { Variant } from '../helpers/runtimes'
import { printOutcome, runScenarios } from '../helpers/scenarios'
import { forVariant } from './scenarios'

const variants = process.argv.slice(2) as Variant[]
for (const variant of variants) {
  await runScenarios(forVariant(variant), { each: (outcome) => printOutcome({ variant, ...outcome }) })
}
process.exit(0)
