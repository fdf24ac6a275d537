/**
 * Scenarios outside vitest: the lists in test/bun-runtime and test/runtime run
 * under Bun (and the behaviour suite under Node too), with these small
 * assertions and this runner. No vitest import.
 */
import type { Reply } from './http'

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

export function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`)
}

export const json = (reply: Reply) => JSON.parse(reply.body)

export interface Scenario {
  name: string
  run(): Promise<void>
}

/** How a scenario went; the Bun runners print one per line, as JSON. */
export interface Outcome {
  name: string
  ok: boolean
  detail?: string
}

export const printOutcome = (outcome: object) => console.log(JSON.stringify(outcome))

/**
 * Run each scenario (those whose name contains $SCENARIO, when set) with a
 * deadline, in order; `each` sees every outcome as soon as it is known.
 */
export async function runScenarios(scenarios: Scenario[], { timeoutMs = 10_000, each = (_outcome: Outcome) => {} } = {}): Promise<Outcome[]> {
  const only = process.env.SCENARIO
  const outcomes: Outcome[] = []
  for (const scenario of scenarios) {
    if (only && !scenario.name.includes(only)) continue
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
    })
    let outcome: Outcome
    try {
      await Promise.race([scenario.run(), deadline])
      outcome = { name: scenario.name, ok: true }
    } catch (err) {
      outcome = { name: scenario.name, ok: false, detail: String((err as Error)?.stack ?? err) }
    } finally {
      clearTimeout(timer)
    }
    outcomes.push(outcome)
    each(outcome)
  }
  return outcomes
}

/** Run `work` while collecting what is written to console.error (the only error path some adapters have). */
export async function consoleErrors(work: () => Promise<void>): Promise<unknown[][]> {
  const seen: unknown[][] = []
  const original = console.error
  console.error = (...args: unknown[]) => void seen.push(args)
  try {
    await work()
  } finally {
    console.error = original
  }
  return seen
}
