// README.md, followed literally. Every fenced js/ts block is one of:
//   a program (the default)   run as a user would save and run it: `js` under
//                             Node (as .mjs when it uses import or top-level
//                             await, else as .cjs), `ts` and `js bun` under Bun.
//                             `server` marks one that listens: it is started
//                             with PORT=0, must print its http:// URL, and
//                             `GET /` must answer without a server error.
//   a fragment (`fragment`)   part of a program: type-checked with tsc against
//                             the build, inside an async function, with `app`,
//                             `req`, `res`, `next` and `user` declared;
//                             `bunway` is the double in test/bunway-double.
// sh, json and text blocks are not code.
import { spawn, spawnSync } from 'child_process'
import fs from 'fs'
import path from 'path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bun } from './helpers/bun'
import { request } from './helpers/http'
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis-server'

const root = path.join(__dirname, '..')
// Inside the repository, so that `sessionware` resolves to this package (self-reference) and `express` to node_modules.
const work = path.join(root, '.tmp', 'readme')

export interface Block {
  line: number
  lang: string
  flags: Set<string>
  code: string
}

/** The fenced code blocks of a Markdown text, with the line each starts on. */
export function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  const fence = /^```(\w*)([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm
  for (let match; (match = fence.exec(markdown)); ) {
    const line = markdown.slice(0, match.index).split('\n').length
    blocks.push({ line, lang: match[1], flags: new Set(match[2].trim().split(/\s+/).filter(Boolean)), code: match[3] })
  }
  return blocks
}

const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
const code = codeBlocks(readme).filter((block) => ['js', 'ts'].includes(block.lang))
const programs = code.filter((block) => !block.flags.has('fragment'))
const fragments = code.filter((block) => block.flags.has('fragment'))
const needsRedis = (block: Block) => /REDIS_URL|RedisStore|redisStore/.test(block.code)
const label = (block: Block) => `line ${block.line}: ${block.code.split('\n').find((l) => l.trim() && !l.startsWith('//'))?.trim()}`

beforeAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
  fs.mkdirSync(work, { recursive: true })
})
let redis: RedisServer | undefined
afterAll(async () => {
  fs.rmSync(work, { recursive: true, force: true })
  await redis?.stop()
})

/** The environment a program runs with: Redis programs get the tests' Redis as REDIS_URL. */
async function environment(block: Block): Promise<NodeJS.ProcessEnv> {
  if (!needsRedis(block) || process.env.REDIS_URL) return { ...process.env, PORT: '0' }
  redis ??= await startRedis()
  return { ...process.env, PORT: '0', REDIS_URL: redis.url }
}

function fileFor(block: Block): string {
  const underBun = block.lang === 'ts' || block.flags.has('bun')
  const esm = /^\s*import\s|^\s*export\s|^await\s|^\S.*\bawait\s/m.test(block.code)
  const extension = block.lang === 'ts' ? '.ts' : underBun || esm ? '.mjs' : '.cjs'
  const file = path.join(work, `line-${block.line}${extension}`)
  fs.writeFileSync(file, block.code)
  return file
}

function command(block: Block, file: string): [string, string[]] {
  return block.lang === 'ts' || block.flags.has('bun') ? [bun, [file]] : [process.execPath, [file]]
}

describe('README programs run as written', () => {
  it('the README has programs and fragments, and marks nothing else', () => {
    expect(programs.length).toBeGreaterThan(0)
    for (const block of code) {
      for (const flag of block.flags) expect(['fragment', 'server', 'bun'], label(block)).toContain(flag)
    }
  })

  it.each(programs.map((block) => [label(block), block] as const))('%s', async (_name, block) => {
    if (needsRedis(block) && !redisAvailable()) return
    const file = fileFor(block)
    const [bin, args] = command(block, file)
    const env = await environment(block)
    if (!block.flags.has('server')) {
      const result = spawnSync(bin, args, { cwd: work, env, encoding: 'utf8', timeout: 30_000 })
      expect(result.status, `${bin} ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0)
      expect(result.stderr).toBe('')
      return
    }
    const child = spawn(bin, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stderr.on('data', (data) => (output += data))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (data) => {
          output += data
          const found = output.match(/http:\/\/[^\s'"]+/)
          if (found) resolve(found[0].replace(/\/$/, ''))
        })
        child.once('exit', (status) => reject(new Error(`exited (${status}) before printing its URL:\n${output}`)))
      })
      const reply = await request(url + '/')
      expect(reply.status, output).toBeLessThan(500)
    } finally {
      child.kill()
    }
  }, 40_000)
})

/**
 * A fragment's statements that must stay at the top level of a module
 * (imports, `declare ...` with their braces), and the rest, which runs
 * inside an async function so that it may `await` and `return`.
 */
function splitTopLevel(code: string): { hoisted: string; body: string } {
  const hoisted: string[] = []
  const body: string[] = []
  let depth = 0
  for (const line of code.split('\n')) {
    if (depth > 0 || /^(import|declare)\s/.test(line)) {
      hoisted.push(line)
      depth += (line.match(/[{(]/g) ?? []).length - (line.match(/[})]/g) ?? []).length
    } else {
      body.push(line)
    }
  }
  return { hoisted: hoisted.join('\n'), body: body.join('\n') }
}

describe('README fragments type-check', () => {
  it('tsc --noEmit accepts every fragment', () => {
    expect(fragments.length).toBeGreaterThan(0)
    const dir = path.join(work, 'fragments')
    fs.mkdirSync(dir, { recursive: true })
    // What a fragment may use without declaring it: an Express app and a request's objects.
    fs.writeFileSync(
      path.join(dir, 'context.d.ts'),
      `export {}
declare global {
  var app: import('express').Express
  // An Express request, with the bun-router helpers that bunway and Request → Response requests also have.
  var req: import('express').Request & { regenerateSession(): Promise<void>; destroySession(): Promise<void> }
  var res: import('express').Response
  var next: import('express').NextFunction
  var user: { id: string; name: string }
}
// Fragments use session fields of their own (req.session.user, ...).
declare module 'sessionware' {
  interface SessionData {
    [key: string]: any
  }
}
`
    )
    const files = fragments.map((block) => {
      const { hoisted, body } = splitTopLevel(block.code)
      const name = `line-${block.line}.${block.lang === 'ts' ? 'ts' : 'js'}`
      const source = `${block.lang === 'js' ? '// @ts-check\n' : ''}${hoisted}\nexport {}\nasync function fragment() {\n${body}\n}\n`
      fs.writeFileSync(path.join(dir, name), source)
      return name
    })
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          allowJs: true,
          checkJs: true,
          noEmit: true,
          strict: true,
          noImplicitAny: false,
          noUnusedLocals: false,
          esModuleInterop: true,
          skipLibCheck: true,
          types: ['node', 'bun'],
          // bunway is not on npm: the double that follows its contract stands in.
          paths: { bunway: [path.join(root, 'test', 'bunway-double', 'index.ts')] }
        },
        files: ['context.d.ts', ...files]
      })
    )
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' })
    expect(result.stdout + result.stderr).toBe('')
  }, 60_000)
})

describe('Troubleshooting: no Set-Cookie?', () => {
  it('lists every reason the middleware gives (NODE_DEBUG=sessionware) for a response without the session cookie', () => {
    const start = readme.indexOf('## Troubleshooting: no Set-Cookie?')
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1))
    const source = (file: string) => fs.readFileSync(path.join(root, file), 'utf8')
    const lib = ['lib/core/engine.ts', 'lib/adapters/node.ts'].map(source).join('\n')
    // Debug lines that end a request without the cookie (the generic 'no Set-Cookie: %s' is filled by the reasons below).
    const lines = [...lib.matchAll(/debug\('([^']*(?:no Set-Cookie|get no session)[^']*)'/g)].map((m) => m[1]).filter((line) => line !== 'no Set-Cookie: %s')
    // The reasons themselves: decide.ts's NoCookieReason, and the engine's own.
    const decide = source('lib/core/decide.ts')
    const union = decide.slice(decide.indexOf('export type NoCookieReason'), decide.indexOf('\n\n', decide.indexOf('export type NoCookieReason')))
    const reasons = [...union.matchAll(/'([^']+)'/g), ...lib.matchAll(/\|\| '([^']+)'/g)].map((m) => 'no Set-Cookie: ' + m[1])
    expect(reasons.length).toBeGreaterThan(3)
    for (const line of [...lines, ...reasons]) {
      // A format's %s is written … in the README.
      const pattern = new RegExp(line.split(/%[sd]/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*?'))
      expect(section, line).toMatch(pattern)
    }
  })
})
