import { spawnSync } from 'child_process'
import path from 'path'
import { describe, expect, it } from 'vitest'

const build = path.join(__dirname, '..', 'dist', 'lib', 'index.js')

/** What `factory(options)` prints on stderr in a fresh Node process. */
function stderr(factory: string, options: string): string {
  const child = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(factory)})(${options})`], { encoding: 'utf8' })
  expect(child.status).toBe(0)
  return child.stderr
}

describe("express-session's deprecation warnings", () => {
  it.each([
    ['resave omitted', "{ secret: 's', saveUninitialized: false }", ['undefined resave option; provide resave option']],
    ['saveUninitialized omitted', "{ secret: 's', resave: false }", ['undefined saveUninitialized option; provide saveUninitialized option']],
    ['no secret (req.secret)', '{ resave: false, saveUninitialized: false }', ['req.secret; provide secret option']],
    ['every option given', "{ secret: 's', resave: false, saveUninitialized: false }", []]
  ])('%s: the same warnings as express-session, once each', (_name, options, messages) => {
    const ours = stderr(build, options)
    const theirs = stderr(require.resolve('express-session'), options)
    for (const message of messages) {
      expect(ours.split(message).length - 1).toBe(1)
      expect(theirs).toContain(message)
    }
    if (messages.length === 0) {
      expect(ours).toBe('')
      expect(theirs).toBe('')
    }
  })
})
