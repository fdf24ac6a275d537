import { describe, expect, it } from 'vitest'
import { generateSessionId } from '../lib/session-id'

describe('default session IDs', () => {
  it("are 32 base64url characters (24 random bytes), like express-session's", () => {
    for (let i = 0; i < 500; i++) expect(generateSessionId()).toMatch(/^[A-Za-z0-9_-]{32}$/)
  })

  it('never repeat across many pool refills', () => {
    const ids = new Set<string>()
    for (let i = 0; i < 20_000; i++) ids.add(generateSessionId())
    expect(ids.size).toBe(20_000)
  })
})
