/** Real Bun from vitest: the binary, and the outcomes a scenario script prints (see helpers/scenarios.ts). */
import { spawnSync } from 'child_process'
import path from 'path'
import type { Outcome } from './scenarios'

export const bun = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'bun')

/**
 * Run `bun ...args` (from the repo root) and collect the JSON outcome lines it
 * printed; `log` tells how it ended, for an assertion message.
 */
export function outcomesUnderBun<T extends Outcome = Outcome>(args: string[], timeout = 60_000): { outcomes: T[]; log: string } {
  const result = spawnSync(bun, args, { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout })
  const outcomes = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T)
  const log = `bun ${args.join(' ')}: exit ${result.status}, ${result.signal ?? 'no signal'}${result.error ? `, ${result.error}` : ''}\n${result.stderr}`
  return { outcomes, log }
}

/** The failed outcomes, with their details, for `expect(...).toEqual([])`. */
export const failures = (outcomes: Outcome[]) => outcomes.filter((o) => !o.ok).map((o) => `${o.name}\n${o.detail}`)
