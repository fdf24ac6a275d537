import { describe, expect, it } from 'vitest'
import { sessionIdGenerator } from '../lib/core/session-id'

// express-session's own ID generator, the reference for the format.
const uid = require('uid-safe')

describe('default session IDs', () => {
  it("are 32 base64url characters (24 random bytes), the format of express-session's uid-safe(24)", () => {
    const generate = sessionIdGenerator()
    const format = /^[A-Za-z0-9_-]{32}$/
    expect(uid.sync(24)).toMatch(format)
    for (let i = 0; i < 500; i++) expect(generate()).toMatch(format)
    expect(Buffer.from(generate(), 'base64url')).toHaveLength(24)
  })

  it('never repeat across many pool refills', () => {
    const generate = sessionIdGenerator()
    const ids = new Set<string>()
    for (let i = 0; i < 20_000; i++) ids.add(generate())
    expect(ids.size).toBe(20_000)
  })

  it('each generator has its own pool: two never hand out the same bytes', () => {
    const a = sessionIdGenerator()
    const b = sessionIdGenerator()
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      seen.add(a())
      seen.add(b())
    }
    expect(seen.size).toBe(2000)
  })
})
