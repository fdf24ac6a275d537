import express from 'express'
import { sign } from 'cookie-signature'
import { afterEach, describe, expect, it } from 'vitest'
import session, { MemoryStore } from '../lib/index'
import { Client, rawRequest, request, serve, type Served } from './helpers/http'
import { until } from './helpers/until'

let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

async function app(store = new MemoryStore()) {
  const app = express()
  app.use(session({ secret: 'secret', resave: false, saveUninitialized: true, store }))
  app.get('/', (req: any, res) => {
    req.session.n = (req.session.n || 0) + 1
    res.json({ n: req.session.n, id: req.sessionID, polluted: ({} as any).polluted ?? null, admin: req.session.isAdmin ?? null })
  })
  served = await serve(app)
  return { url: served.url, store }
}

const signed = (id: string, secret = 'secret') => 'connect.sid=' + encodeURIComponent('s:' + sign(id, secret))

describe('a bad cookie starts a fresh session, never a 500', () => {
  const cookies: Array<[string, string]> = [
    ['truncated signature', signed('abc').slice(0, -5)],
    ['wrong secret', signed('abc', 'other')],
    ['unsigned', 'connect.sid=abc'],
    ['bad percent-encoding', 'connect.sid=s%3A%E0%A4%A'],
    ['oversized', 'connect.sid=s%3A' + 'a'.repeat(7000) + '.sig'],
    ['empty', 'connect.sid='],
    ['only the prefix', 'connect.sid=s%3A'],
    ['duplicate names', 'connect.sid=x; connect.sid=y'],
    ['no equals sign', 'connect.sid'],
    ['prototype key', '__proto__=s%3Ax.y; constructor=1']
  ]
  it.each(cookies)('%s', async (_name, cookie) => {
    const { url } = await app()
    const reply = await request(url, { cookie })
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body).n).toBe(1)
    expect(reply.setCookie).toHaveLength(1)
  })
})

it('binary bytes in the Cookie header start a fresh session', async () => {
  const { url } = await app()
  const reply = await rawRequest(url, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: connect.sid=s%3A\u00ff\u00fe\u0080.\u00e9\r\n')
  expect(reply.status).toBe(200)
  expect(reply.text).toMatch(/"n":1/)
  expect(reply.text).toMatch(/Set-Cookie: connect.sid=s%3A/)
})

describe('stored data cannot reach a prototype', () => {
  it('loads __proto__ and constructor keys as nothing but data', async () => {
    const store = new MemoryStore()
    await store.set('evil', JSON.parse('{"cookie":{"originalMaxAge":null,"path":"/","httpOnly":true},"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},"n":1}'))
    const { url } = await app(store)
    const reply = JSON.parse((await request(url, { cookie: signed('evil') })).body)
    expect(reply).toMatchObject({ n: 2, id: 'evil', polluted: null, admin: null })
    expect(({} as any).polluted).toBeUndefined()
  })

  it('a record without a cookie gets a default one instead of failing', async () => {
    const store = new MemoryStore()
    await store.set('script', { n: 41 } as any)
    const { url } = await app(store)
    const reply = await new Client(url).get('/', { cookie: signed('script') })
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body).n).toBe(42)
  })
})

describe('a stored record that is odd is repaired or replaced, never a 500', () => {
  // Repaired: the ID is kept. A repaired cookie with a lifetime is sent again
  // (its expiry is reset, as express-session resets it), a browser-session one is not.
  it.each([
    ['a mangled expiry date', { cookie: { originalMaxAge: 1000, expires: 'not a date', path: '/' }, n: 5 }, 6, 'same id'],
    ['a cookie that is not an object', { cookie: 'oops', n: 5 }, 6, 'none'],
    ['a maxAge of the wrong type', { cookie: { maxAge: 'soon', path: '/' }, n: 5 }, 1, 'new id']
  ])('%s', async (_name, stored, expected, cookie) => {
    const store = new MemoryStore()
    await store.set('odd', stored as any)
    const { url } = await app(store)
    const reply = await request(url, { cookie: signed('odd') })
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body).n).toBe(expected)
    const sent = reply.setCookie.map((line) => line.split(';')[0])
    if (cookie === 'none') expect(sent).toEqual([])
    else if (cookie === 'same id') expect(sent).toEqual([signed('odd')])
    else expect(sent).toHaveLength(1), expect(sent[0]).not.toBe(signed('odd'))
  })
})

describe('req.session assigned something that is not a session', () => {
  async function assigningString(onSaveError?: 'error') {
    const store = new MemoryStore()
    const errors: any[] = []
    const app = express()
    app.use(session({ secret: 'secret', resave: false, saveUninitialized: true, store, onSaveError }))
    app.get('/', (req: any, res) => {
      req.session = 'logged out'
      res.send('ok')
    })
    app.use((err: any, _req: any, res: any, _next: any) => {
      errors.push(err)
      if (!res.headersSent) res.status(500).send(err.message)
    })
    served = await serve(app)
    return { reply: await request(served.url), store, errors }
  }

  it('a string: the response goes out as written, the clear error reaches next(err) after it, nothing is stored', async () => {
    const { reply, store, errors } = await assigningString()
    expect([reply.status, reply.body, reply.setCookie]).toEqual([200, 'ok', []])
    await until(() => errors.length > 0)
    expect(errors.map((err) => [err.code, err.message])).toEqual([['EINVALIDSESSION', 'req.session must be a session, a plain object or null, not string']])
    expect(await store.length()).toBe(0)
  })

  it("a string, with onSaveError: 'error': the error handler answers instead", async () => {
    const { reply, store } = await assigningString('error')
    expect([reply.status, reply.body, reply.setCookie]).toEqual([500, 'req.session must be a session, a plain object or null, not string', []])
    expect(await store.length()).toBe(0)
  })
})
