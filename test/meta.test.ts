import { describe, expect, it } from 'vitest'
import { Cookie, cookieFromRecord } from '../lib/core/cookie'
import { cookieMeta, keepCreated, recordMeta, setCookieMeta } from '../lib/core/meta'

describe('session metadata (cookie.sessionware)', () => {
  it('is stored with the cookie\'s JSON only when there is some, and read back from a record', () => {
    const cookie = new Cookie({ maxAge: 1000 })
    expect(JSON.parse(JSON.stringify(cookie))).not.toHaveProperty('sessionware')
    setCookieMeta(cookie, { created: 1, used: 2, user: 'ada' })
    expect(Object.keys(cookie)).not.toContain('sessionware')
    const stored = JSON.parse(JSON.stringify({ cookie, n: 1 }))
    expect(stored.cookie.sessionware).toEqual({ created: 1, used: 2, user: 'ada' })
    expect(recordMeta(stored)).toEqual({ created: 1, used: 2, user: 'ada' })
    const loaded = cookieFromRecord(stored.cookie)
    expect(cookieMeta(loaded)).toEqual({ created: 1, used: 2, user: 'ada' })
    expect(Object.keys(loaded)).not.toContain('sessionware')
  })

  it('ignores what is not well-formed', () => {
    expect(recordMeta({ cookie: { sessionware: { created: 'yesterday', used: NaN, user: 7 } } })).toBeUndefined()
    expect(recordMeta({ cookie: { sessionware: { created: 5, user: {} } } })).toEqual({ created: 5 })
    expect(recordMeta({ cookie: null })).toBeUndefined()
    expect(recordMeta(null)).toBeUndefined()
  })

  it('keepCreated carries the creation time and user across a data-keeping ID change (renew)', () => {
    const before = new Cookie()
    setCookieMeta(before, { created: 100, used: 200, user: 'ada' })
    const after = new Cookie()
    setCookieMeta(after, { created: 900, used: 900 })
    keepCreated(before, after, 1000)
    expect(cookieMeta(after)).toEqual({ created: 100, used: 1000, user: 'ada' })
    const fresh = new Cookie()
    keepCreated(new Cookie(), fresh, 1000)
    expect(cookieMeta(fresh)).toEqual({ created: 1000, used: 1000 })
  })
})
