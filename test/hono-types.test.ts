import { execFile } from 'child_process'
import fs from 'fs'
import path from 'path'
import { promisify } from 'util'
import { expect, it } from 'vitest'

// `c.get('session')` is typed in a Hono app through the ContextVariableMap
// augmentation of the built declarations (test/fixtures/hono-types). The other
// side, that the same declarations compile where hono is not installed, is
// test/package.test.ts's consumers (their throwaway project has no hono).
const root = path.join(__dirname, '..')

it('a Hono app type-checks c.get(\'session\') against SessionData (skipLibCheck: false)', async () => {
  expect(fs.existsSync(path.join(root, 'dist', 'index.d.mts')), 'run `npm run build` first').toBe(true)
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', path.join(__dirname, 'fixtures', 'hono-types')]).catch((err) => err)
  expect(`${result.stdout ?? ''}${result.stderr ?? ''}`).toBe('')
}, 60_000)
