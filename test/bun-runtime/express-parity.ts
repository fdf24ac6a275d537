/**
 * The parity suite (test/parity/scenarios.ts: sessionware against
 * express-session, same scenario, same store, Express 4 and 5) under real
 * Bun, where Express sits on Bun's node:http.
 *   node_modules/.bin/bun test/bun-runtime/run.ts express-parity
 * run.ts serves `lib/index` from the build (`npm run build`).
 */
import type { Scenario } from '../helpers/scenarios'
import { cases } from '../parity/scenarios'

export const scenarios: Scenario[] = cases.map(({ name, compare }) => ({
  name,
  async run() {
    const { ours, reference } = await compare()
    if (!Bun.deepEquals(ours, reference)) {
      throw new Error(`not equal:\n  got      ${JSON.stringify(ours)}\n  expected ${JSON.stringify(reference)}`)
    }
  }
}))
