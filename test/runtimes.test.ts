import { spawnSync } from 'child_process'
import path from 'path'
import { describe, expect, it } from 'vitest'
import { runAll, scenarios, type Outcome } from './runtime/scenarios'

const bun = path.join(__dirname, '..', 'node_modules', '.bin', 'bun')
const failures = (outcomes: Outcome[]) => outcomes.filter((o) => !o.ok).map((o) => `${o.variant}: ${o.name}\n${o.detail}`)
const names = scenarios.map((s) => s.name)

// One behaviour suite (test/runtime/scenarios.ts) on every runtime.
describe('the behaviour suite on Node', () => {
  it.each(['express4', 'express5'] as const)('%s', async (variant) => {
    const outcomes = await runAll(variant)
    expect(outcomes.map((o) => o.name)).toEqual(names)
    expect(failures(outcomes)).toEqual([])
  })
})

describe('the behaviour suite under real Bun', () => {
  const variants = ['express4', 'express5', 'bunway', 'web']
  let outcomes: Outcome[] | undefined
  const run = () => {
    if (!outcomes) {
      const result = spawnSync(bun, [path.join(__dirname, 'runtime', 'run.ts'), ...variants], { encoding: 'utf8', timeout: 120_000 })
      outcomes = result.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line))
      if (!outcomes.length) throw new Error(`bun printed no results: ${result.stderr}`)
    }
    return outcomes
  }
  it.each([
    ['Express 4 on Bun', 'express4'],
    ['Express 5 on Bun', 'express5'],
    ['the bunway contract (test double)', 'bunway'],
    ['Bun.serve with webSession', 'web']
  ])('%s', (_label, variant) => {
    const mine = run().filter((o) => o.variant === variant)
    expect(mine.map((o) => o.name)).toEqual(names)
    expect(failures(mine)).toEqual([])
  })
})
