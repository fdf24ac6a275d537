import express from 'express'
import http, { IncomingMessage, OutgoingMessage, ServerResponse } from 'http'
import net from 'net'
import { setFlagsFromString } from 'v8'
import { runInNewContext } from 'vm'
import { afterEach, describe, expect, it } from 'vitest'
import expressSession from 'express-session'
import session, { MemoryStore } from '../lib/index'
import { Client, cookiePair, request, serve, type Served } from './helpers/http'
import { until } from './helpers/until'

setFlagsFromString('--expose-gc')
const gc: () => void = runInNewContext('gc')
setFlagsFromString('--allow-natives-syntax')
const hasFastProperties = new Function('object', 'return %HasFastProperties(object)') as (object: object) => boolean

const servers: Served[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function served(listener: http.RequestListener): Promise<string> {
  const server = await serve(listener)
  servers.push(server)
  return server.url
}

function counterApp(options: object) {
  const app = express()
  app.use(session({ resave: false, saveUninitialized: false, ...options } as any))
  app.get('/count', (req: any, res) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(`${req.sessionID} ${req.session.count}`)
  })
  app.get('/flash', (req: any, res) => {
    req.flash('info', 'hello')
    res.send('ok')
  })
  app.get('/stream', (req: any, res) => {
    req.session.streamed = true
    res.write('a')
    res.end('b')
  })
  return app
}

/** `middleware` then `route` at `/`, in an Express 5 app or on plain node:http. */
function mounted(frame: string, middleware: any, route: (req: any, res: any) => void): http.RequestListener {
  if (frame === 'http') return (req, res) => middleware(req, res, () => route(req, res))
  const app = express()
  app.use(middleware)
  app.get('/', route)
  return app
}

/** Every own property of a prototype: its name and its value or accessors. */
function snapshot(proto: object): Map<string | symbol, unknown[]> {
  const seen = new Map<string | symbol, unknown[]>()
  for (const key of Reflect.ownKeys(proto)) {
    const { value, get, set } = Object.getOwnPropertyDescriptor(proto, key)!
    seen.set(key, [value, get, set])
  }
  return seen
}

describe('no global side effects', () => {
  it("Node's prototypes are exactly as they were after session traffic, and an unrelated server sees plain Node", async () => {
    const prototypes = [IncomingMessage.prototype, ServerResponse.prototype, OutgoingMessage.prototype, http.Server.prototype]
    const before = prototypes.map(snapshot)

    const client = new Client(await served(counterApp({ secret: 's' })))
    for (const path of ['/count', '/count', '/flash', '/stream']) expect((await client.get(path)).status).toBe(200)

    prototypes.forEach((proto, index) => expect(snapshot(proto)).toEqual(before[index]))

    // A plain server in the same process, and a response of http.get.
    const seen: unknown[] = []
    const plain = await served((req, res) => {
      seen.push(Object.prototype.hasOwnProperty.call(res, 'writeHead'), Object.prototype.hasOwnProperty.call(res, 'end'), 'sessionID' in req, 'flash' in req)
      res.end('plain')
    })
    const response = await new Promise<IncomingMessage>((resolve) => http.get(plain, resolve))
    response.resume()
    expect(seen).toEqual([false, false, false, false])
    expect(['flash', 'sessionID', 'regenerateSession', 'destroySession'].filter((name) => name in response)).toEqual([])
  })

  it.each([
    ['Express 5', 'express'],
    ['node:http', 'http']
  ])("%s: the request and response carry exactly express-session's own properties, in its order, plus req.flash", async (_name, frame) => {
    const ownKeys = async (middleware: any) => {
      const route = (req: any, res: any) => {
        const keys = (o: object) => Reflect.ownKeys(o).map(String)
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ req: keys(req), res: keys(res) }))
      }
      const client = new Client(await served(mounted(frame, middleware, route)))
      await client.get('/') // the second request carries a cookie and loads the stored session
      return JSON.parse((await client.get('/')).body)
    }
    const options = { secret: 's', resave: false, saveUninitialized: true }
    const theirs = await ownKeys(expressSession(options))
    const ours = await ownKeys(session(options))
    // express-session parses the URL with parseurl, which caches its result on the request; we do not.
    const parseurlCache = (key: string) => key !== '_parsedOriginalUrl' && key !== '_parsedUrl'
    expect(ours.res).toEqual(theirs.res)
    expect(ours.req.filter((key: string) => key !== 'flash' && parseurlCache(key))).toEqual(theirs.req.filter(parseurlCache))
    expect(ours.req).toContain('flash')
  })

  // lib/adapters/layout.ts: Express's requests and responses (their prototype swapped) get dictionary
  // properties, which makes every later property addition cheap; a plain node:http pair keeps its hidden classes.
  it.each([
    ['Express 5', 'express', false],
    ['node:http', 'http', true]
  ])('%s (%s): the request and response have fast properties only where their prototype is untouched', async (_name, frame, fast) => {
    const middleware = session({ secret: 's', resave: false, saveUninitialized: true })
    const route = (req: any, res: any) => res.end(JSON.stringify([hasFastProperties(req), hasFastProperties(res)]))
    const listener = mounted(frame, middleware, route)
    expect(JSON.parse((await request(await served(listener))).body)).toEqual([fast, fast])
  })

  it('two middlewares with different secrets, names and stores in one process never see each other', async () => {
    const storeA = new MemoryStore()
    const storeB = new MemoryStore()
    const urlA = await served(counterApp({ secret: 'secret A', name: 'sid', store: storeA }))
    const urlB = await served(counterApp({ secret: 'secret B', name: 'sid', store: storeB }))

    // Interleaved requests: each keeps its own session, IDs and cookies.
    const a = new Client(urlA)
    const b = new Client(urlB)
    for (let round = 0; round < 2; round++) {
      const replies = await Promise.all([a.get('/count'), b.get('/count')])
      expect(replies.map((reply) => reply.body.split(' ')[1])).toEqual([String(round + 1), String(round + 1)])
    }
    expect((await a.get('/count')).body.split(' ')[1]).toBe('3')
    expect((await b.get('/count')).body.split(' ')[1]).toBe('3')
    expect(await storeA.length()).toBe(1)
    expect(await storeB.length()).toBe(1)

    // A's cookie, verified by A many times, means nothing to B.
    const cookieA = a.cookie
    const fromB = await request(urlB + '/count', { cookie: cookieA })
    const [idB, count] = fromB.body.split(' ')
    expect(count).toBe('1')
    expect(idB).not.toBe((await a.get('/count')).body.split(' ')[0])
    expect(cookiePair(fromB.setCookie, 'sid')).not.toBe(cookieA)
  })

  it('a response whose client went away holds nothing once collected: no registry keeps it', async () => {
    const held: WeakRef<object>[] = []
    const app = express()
    app.use(session({ secret: 's', resave: false, saveUninitialized: true }))
    app.get('/hang', (req: any, res) => {
      req.session.waiting = true
      held.push(new WeakRef(req), new WeakRef(res))
    })
    const url = await served(app)
    const { port } = new URL(url)
    for (let i = 0; i < 3; i++) {
      const socket = net.connect(Number(port), '127.0.0.1')
      await new Promise((resolve) => socket.once('connect', resolve))
      socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n')
      await until(() => held.length === 2 * (i + 1))
      socket.destroy()
    }
    await until(() => {
      gc()
      return held.every((ref) => ref.deref() === undefined)
    })
    expect(held).toHaveLength(6)
  })
})
