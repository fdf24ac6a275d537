import path from 'path'
import { describe, expect, it } from 'vitest'
import { failures, outcomesUnderBun } from './helpers/bun'
import type { Variant } from './helpers/runtimes'
import { runScenarios, type Outcome } from './helpers/scenarios'
import { forVariant, scenarios } from './runtime/scenarios'

const names = scenarios.map((s) => s.name)

// One behaviour suite (test/runtime/scenarios.ts) on every runtime.
describe('the behaviour suite on Node', () => {
  it.each(['express4', 'express5'] as const)('%s', async (variant) => {
    const outcomes = await runScenarios(forVariant(variant))
    expect(outcomes.map((o) => o.name)).toEqual(names)
    expect(failures(outcomes)).toEqual([])
  })
})

describe('the behaviour suite under real Bun', () => {
  const variants: Variant[] = ['express4', 'express5', 'bunway', 'web']
  let run: { outcomes: Array<Outcome & { variant: Variant }>; log: string } | undefined
  it.each([
    ['Express 4 on Bun', 'express4'],
    ['Express 5 on Bun', 'express5'],
    ['the bunway contract (test double)', 'bunway'],
    ['Bun.serve with webSession', 'web']
  ])('%s', (_label, variant) => {
    run ??= outcomesUnderBun([path.join(__dirname, 'runtime', 'run.ts'), ...variants], 120_000)
    const mine = run.outcomes.filter((o) => o.variant === variant)
    expect(mine.map((o) => o.name), run.log).toEqual(names)
    expect(failures(mine)).toEqual([])
  })
})
