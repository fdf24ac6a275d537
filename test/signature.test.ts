import { sign } from 'cookie-signature'
import { describe, expect, it } from 'vitest'
import { Signer } from '../lib/core/signature'

const cookie = (id: string, secret: string | Buffer) => encodeURIComponent('s:' + sign(id, secret))

describe('Signer', () => {
  it("signs as express-session does and reads back what it signed, and nothing tampered with", () => {
    const signer = new Signer(['new', 'old'])
    expect(signer.cookieValue('abc')).toBe(cookie('abc', 'new'))
    expect(signer.unsign(cookie('abc', 'new'))).toBe('abc')
    expect(signer.unsign(cookie('xyz', 'old'))).toBe('xyz')
    expect(signer.unsign(cookie('abc', 'other'))).toBeUndefined()
    expect(signer.unsign(cookie('abc', 'new').slice(0, -3))).toBeUndefined()
    expect(signer.unsign('abc')).toBeUndefined()
    expect(signer.unsign('%E0%A4%A')).toBeUndefined()
  })

  it('takes Buffer secrets, alone or mixed with strings, as cookie-signature does', () => {
    const key = Buffer.from('buffer secret')
    const signer = new Signer([key, 'old'])
    expect(signer.cookieValue('abc')).toBe(encodeURIComponent('s:' + sign('abc', key)))
    expect(signer.unsign(cookie('xyz', 'old'))).toBe('xyz')
    expect(new Signer(['old', key]).unsign(encodeURIComponent('s:' + sign('k', key)))).toBe('k')
  })

  it('stays bounded, and still verifies what it no longer remembers', () => {
    const signer = new Signer(['secret'])
    for (let i = 0; i < 12_000; i++) expect(signer.unsign(signer.cookieValue('id' + i))).toBe('id' + i)
    expect((signer as any).signed.size).toBeLessThanOrEqual(5000)
    expect((signer as any).verified.size).toBeLessThanOrEqual(5000)
    expect(signer.unsign(cookie('id0', 'secret'))).toBe('id0')
    expect(signer.cookieValue('id0')).toBe(cookie('id0', 'secret'))
  })

  it('reads a value cookie-parser already decoded without decoding it twice', () => {
    const signer = new Signer(['secret'])
    // An ID with a % in it: its cookie carries %25, decoded once by cookie-parser.
    const decoded = 's:' + sign('a%41b', 'secret')
    expect(signer.unsignDecoded(decoded)).toBe('a%41b')
    expect(signer.unsign(encodeURIComponent(decoded))).toBe('a%41b')
    expect(signer.unsignDecoded('s:' + sign('plain', 'secret'))).toBe('plain')
  })
})
