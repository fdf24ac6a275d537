import { describe, expect, it } from 'vitest'
import { suites } from './parity/scenarios'

// sessionware against express-session: the same scenario, the same store, Express 4 and 5.
for (const suite of suites) {
  describe(suite.name, () => {
    for (const { name, compare } of suite.cases) {
      it(name, async () => {
        const { ours, reference } = await compare()
        expect(ours).toEqual(reference)
      })
    }
  })
}
