// PACKAGING TEST (slow: ~30 s, needs the build and the npm registry or cache).
//
// Proves the published shape from the packed tarball, not from the sources:
// `npm pack` the build, install the tarball into a throwaway project outside
// the repo (so nothing resolves from this repo's node_modules), both as
// `sessionware` and under the name `express-session` (an npm alias), and run
// the consumers in test/fixtures/package against it:
//   cjs.cjs / esm.mjs        require and import give the same single copy
//   alias.cjs / alias.mjs    memorystore, connect-redis and hand-written stores
//                            extend our Store through require('express-session')
//   app/                     an express-session app and its own node:test suite,
//                            run against the real express-session and the alias
//   ts/                      `tsc --noEmit` consumers: node16, nodenext,
//                            commonjs/node10, bundler, ES-module-only, alias
// and lints the tarball with publint and @arethetypeswrong/cli.
// Set KEEP_PACKAGE_TEST=1 to keep the temporary project (its path is logged).
import { execFile } from 'child_process'
import fs from 'fs'
import { createRequire } from 'module'
import os from 'os'
import path from 'path'
import { promisify } from 'util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = path.join(__dirname, '..')
const fixtures = path.join(__dirname, 'fixtures', 'package')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const SLOW = 60_000

let tmp = ''
let project = ''
let packed: { filename: string; files: { path: string }[] }

// The children get a plain environment: no npm_* variables of the `npm test`
// that runs us (they would point npm at this repo), no vitest NODE_OPTIONS.
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'NODE_OPTIONS' && !key.startsWith('VITEST')) env[key] = value
  }
  return env
}

async function sh(command: string, args: string[], cwd: string) {
  try {
    return await run(command, args, { cwd, env: cleanEnv(), maxBuffer: 32 * 1024 * 1024, timeout: SLOW })
  } catch (err: any) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${err.stdout ?? ''}\n${err.stderr ?? err.message}`)
  }
}

const node = (args: string[], cwd = project) => sh(process.execPath, args, cwd)

beforeAll(async () => {
  for (const built of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/index.mjs', 'dist/index.d.mts']) {
    if (!fs.existsSync(path.join(root, built))) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does)`)
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-package-'))
  if (process.env.KEEP_PACKAGE_TEST) console.log(`package test project: ${tmp}`)
  // --ignore-scripts: `prepare` would rebuild dist/ under the other test files' feet.
  const pack = await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root)
  packed = JSON.parse(pack.stdout)[0]
  fs.renameSync(path.join(tmp, packed.filename), path.join(tmp, 'sessionware.tgz'))

  project = path.join(tmp, 'project')
  fs.cpSync(fixtures, project, { recursive: true })
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], project)

  // app-real/: the same app, where `express-session` is the real package.
  const real = path.join(project, 'app-real')
  fs.cpSync(path.join(project, 'app'), real, { recursive: true })
  fs.mkdirSync(path.join(real, 'node_modules'))
  fs.symlinkSync(path.join(project, 'node_modules', 'express-session-real'), path.join(real, 'node_modules', 'express-session'), 'dir')
}, 120_000)

afterAll(() => {
  if (tmp && !process.env.KEEP_PACKAGE_TEST) fs.rmSync(tmp, { recursive: true, force: true })
})

/** The name in package.json of the package `express-session` resolves to from `dir`. */
function expressSessionIn(dir: string): string {
  const resolve = createRequire(path.join(dir, 'index.js')).resolve
  return JSON.parse(fs.readFileSync(resolve('express-session/package.json'), 'utf8')).name
}

describe('the packed tarball', () => {
  it('holds the build, its declarations and the docs, and every path package.json names', () => {
    const files = packed.files.map((file) => file.path)
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/index.mjs', 'dist/index.d.mts'])
    )
    expect(files.filter((file) => /^(lib|stores|test|scripts|bench|examples)\//.test(file) || file.endsWith('.tgz'))).toEqual([])
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.d.mts'))).toEqual([])

    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'sessionware', 'package.json'), 'utf8'))
    const targets: string[] = [manifest.main, manifest.types]
    const walk = (value: unknown): void => {
      if (typeof value === 'string') targets.push(value)
      else if (value && typeof value === 'object') Object.values(value).forEach(walk)
    }
    walk(manifest.exports)
    for (const target of targets) expect(files, target).toContain(path.posix.normalize(target))
  })

  it('is installed under its own name and, through an npm alias, as express-session', () => {
    expect(expressSessionIn(project)).toBe('sessionware')
    expect(expressSessionIn(path.join(project, 'app-real'))).toBe('express-session')
  })
})

describe('package linters, on the tarball', () => {
  const bin = (name: string) => path.join(root, 'node_modules', '.bin', name)
  const tarball = () => path.join(tmp, 'sessionware.tgz')

  it('publint --strict: no errors, warnings or suggestions', async () => {
    const { stdout } = await sh(bin('publint'), ['--strict', tarball()], tmp)
    expect(stdout).toContain('All good!')
  }, SLOW)

  it('@arethetypeswrong/cli: every entry point resolves to the right types under every resolution', async () => {
    const { stdout } = await sh(bin('attw'), ['--format', 'json', tarball()], tmp)
    // attw also exits non-zero on a problem, which sh() turns into a failure with its output.
    const { analysis, problems } = JSON.parse(stdout)
    expect(problems).toEqual({})
    expect(Object.keys(analysis.entrypoints)).toEqual(['.', './package.json'])
  }, SLOW)
})

describe('runtime consumers', () => {
  it('CommonJS: require() gives the factory with Store, Cookie, Session, MemoryStore attached', async () => {
    expect((await node(['cjs.cjs'])).stdout).toContain('cjs consumer ok')
  }, SLOW)

  it('ES modules: default and named imports are the objects require() gives (one copy)', async () => {
    expect((await node(['esm.mjs'])).stdout).toContain('esm consumer ok')
  }, SLOW)

  it('alias, require: memorystore, connect-redis and a util.inherits store run an Express app over HTTP', async () => {
    expect((await node(['alias.cjs'])).stdout).toContain('alias (require) consumer ok')
  }, SLOW)

  it("alias, import: a class extending `import { Store } from 'express-session'` runs an Express app", async () => {
    expect((await node(['alias.mjs'])).stdout).toContain('alias (import) consumer ok')
  }, SLOW)

  it.each([
    ['the real express-session', 'app-real'],
    ['the sessionware tarball installed as express-session', 'app']
  ])("an express-session app passes its own tests with %s", async (_, dir) => {
    const { stdout } = await node(['--test', '--test-reporter=tap', 'app.test.js'], path.join(project, dir))
    expect(stdout).toMatch(/^# pass 4$/m)
    expect(stdout).toMatch(/^# fail 0$/m)
  }, SLOW)
})

describe('TypeScript consumers (tsc --noEmit, strict)', () => {
  it.each(['node16', 'nodenext', 'node10', 'bundler', 'esm-only', 'alias'])('tsconfig.%s.json', async (variant) => {
    const { stdout, stderr } = await sh(process.execPath, [tsc, '-p', `tsconfig.${variant}.json`], path.join(project, 'ts'))
    // tsc exits 0 and reports nothing: not one diagnostic.
    expect(stdout + stderr).toBe('')
  }, SLOW)
})
