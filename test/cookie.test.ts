import * as cookie1 from 'cookie'
import { describe, expect, it } from 'vitest'
import { Cookie, cookieJson, readCookie } from '../lib/core/cookie'
import { setCookieMeta } from '../lib/core/meta'

// express-session serializes with cookie 0.7; ours must give the same bytes.
const cookie07 = require('express-session/node_modules/cookie')

const attributes = {
  domain: [undefined, 'example.com', '.sub.example.co.uk'],
  path: ['/', '/admin', undefined],
  expires: [null, new Date(Date.UTC(2030, 0, 2, 3, 4, 5))],
  httpOnly: [true, false],
  secure: [undefined, true],
  partitioned: [undefined, true],
  priority: [undefined, 'low', 'Medium', 'HIGH'],
  sameSite: [undefined, true, false, 'lax', 'Strict', 'none']
}

function* combinations(): Generator<Record<string, unknown>> {
  const keys = Object.keys(attributes) as (keyof typeof attributes)[]
  const walk = function* (i: number, acc: Record<string, unknown>): Generator<Record<string, unknown>> {
    if (i === keys.length) return yield { ...acc }
    for (const value of attributes[keys[i]]) yield* walk(i + 1, { ...acc, [keys[i]]: value })
  }
  yield* walk(0, {})
}

describe('Cookie.serialize', () => {
  it('gives the same bytes as the cookie package for every attribute combination', () => {
    let checked = 0
    for (const options of combinations()) {
      const cookie = new Cookie(options as any)
      const value = 's:abc/def+ghi.sig=='
      const ours = cookie.serialize('connect.sid', value)
      expect(ours).toBe(cookie07.serialize('connect.sid', value, cookie.data))
      expect(ours).toBe(cookie1.serialize('connect.sid', value, cookie.data as any))
      checked++
    }
    expect(checked).toBe(3 * 3 * 2 * 2 * 2 * 2 * 4 * 6)
  })

  it.each([
    ['domain', { domain: 'bad domain' }, 'option domain is invalid'],
    ['path', { path: '/a;b' }, 'option path is invalid'],
    ['priority', { priority: 'urgent' }, 'option priority is invalid'],
    ['sameSite', { sameSite: 'sometimes' }, 'option sameSite is invalid']
  ])('rejects an invalid %s, as the cookie package does', (_name, options, message) => {
    const cookie = new Cookie(options as any)
    expect(() => cookie07.serialize('n', 'v', cookie.data)).toThrow()
    expect(() => cookie.serialize('n', 'v')).toThrow(message)
  })

  it('accepts and rejects the same domains and paths as the cookie package', () => {
    const domains = ['localhost', '127.0.0.1', 'ex-ample.com', '-bad.com', 'bad-.com', 'a..b', '.a', 'xn--bcher-kva.example', 'a_b.com', 'A.COM']
    const paths = ['/', '/a b', '/ä', '/a\tb', '/%20', '/a=b', '/a,b']
    const outcome = (fn: () => string) => {
      try {
        return fn()
      } catch {
        return 'throws'
      }
    }
    for (const options of [...domains.map((domain) => ({ domain })), ...paths.map((path) => ({ path }))]) {
      const cookie = new Cookie(options)
      expect(outcome(() => cookie.serialize('n', 'v'))).toBe(outcome(() => cookie07.serialize('n', 'v', cookie.data)))
    }
  })

  it('rejects an invalid name', () => {
    expect(() => new Cookie().serialize('bad name', 'v')).toThrow('argument name is invalid')
  })
})

describe('cookieJson', () => {
  it('writes the bytes JSON.stringify writes, for every attribute combination, expiry, maxAge and metadata', () => {
    let checked = 0
    const odd = [{ path: 7, domain: null, secure: 'auto', sameSite: 'auto', priority: { p: 1 } }, { originalMaxAge: NaN }, { httpOnly: undefined }]
    for (const options of [...combinations(), ...odd]) {
      for (const variant of ['as given', 'maxAge', 'invalid date', 'no expiry', 'meta'] as const) {
        const cookie = new Cookie(options as any)
        if (variant === 'maxAge') cookie.maxAge = 60_000
        if (variant === 'invalid date') cookie.expires = new Date(NaN)
        if (variant === 'no expiry') cookie.expires = undefined
        if (variant === 'meta') setCookieMeta(cookie, { created: 1, used: 2, user: 'u"1' })
        expect(cookieJson(cookie)).toBe(JSON.stringify(cookie))
        checked++
      }
    }
    expect(checked).toBe((3 * 3 * 2 * 2 * 2 * 2 * 4 * 6 + 3) * 5)
  })

  it('leaves a subclass, a toJSON of its own and a patched Date#toJSON to JSON.stringify', () => {
    class Tagged extends Cookie {
      override toJSON() {
        return { ...super.toJSON(), tag: 'x' } as any
      }
    }
    const sub = new Tagged({ path: '/' } as any)
    expect(cookieJson(sub)).toBe(JSON.stringify(sub))
    expect(cookieJson(sub)).toContain('"tag":"x"')
    const own = new Cookie({ path: '/' } as any)
    ;(own as any).toJSON = () => ({ own: true })
    expect(cookieJson(own)).toBe('{"own":true}')
    const dated = new Cookie({ path: '/' } as any)
    dated.expires = new Date(0)
    ;(dated.expires as any).toJSON = () => 'epoch'
    expect(cookieJson(dated)).toBe(JSON.stringify(dated))
    expect(cookieJson(dated)).toContain('"expires":"epoch"')
  })
})

describe('readCookie', () => {
  // Every header made of these pieces, up to three of them: well-formed pairs,
  // duplicates, blanks, quotes, pairs without '=', empty names and values.
  const pieces = [
    'connect.sid=s%3Aabc.sig', 'connect.sid=second', ' connect.sid = "s%3Aquoted.sig" ', 'connect.sid="', 'connect.sid=""',
    'connect.sid=', '\tconnect.sid\t=\tx\t', 'connect.sidx=no', 'xconnect.sid=no', 'other=1', 'novalue', '=', '==', ' ',
    'a=b=c', 'connect.sid=a;', '"connect.sid"=q'
  ]

  it('reads the value express-session\'s parser (cookie 0.7) reads, over every combination of up to three pairs', () => {
    const noDecode = { decode: (value: string) => value }
    let checked = 0
    const check = (header: string) => {
      const expected = cookie07.parse(header, noDecode)['connect.sid']
      expect([header, readCookie(header, 'connect.sid')]).toEqual([header, expected])
      checked++
    }
    for (const a of pieces) {
      check(a)
      for (const b of pieces) {
        for (const separator of [';', '; ', ' ;']) {
          check(a + separator + b)
          for (const c of pieces) check(a + separator + b + ';' + c)
        }
      }
    }
    expect(checked).toBe(pieces.length * (1 + pieces.length * 3 * (1 + pieces.length)))
  })

  it('is undefined for an empty or short header', () => {
    expect(readCookie('', 'connect.sid')).toBeUndefined()
    expect(readCookie('a', 'a')).toBeUndefined()
    expect(readCookie('a=', 'a')).toBe('')
  })
})
