// The session middleware's own cost per request, in process, without a network:
//   node bench/middleware.js [--rounds 5] [--requests 20000] [--frames node,express]   (prints one JSON line)
//
// Each request is a real http.IncomingMessage / http.ServerResponse pair over a
// Duplex socket that discards what is written, run to the response's 'finish'
// one after another. Three cases, both middlewares with their own MemoryStore
// pre-filled with the same 1,000 sessions:
//   unchanged  cookie of an existing session, handler reads req.session.count only
//   modified   cookie of an existing session, handler increments req.session.count
//   new        no cookie, saveUninitialized: true, handler increments req.session.count
// Two frames:
//   node       the middleware is called directly, the handler calls res.end()
//   express    an Express 5 app (app.use(middleware), app.get('/', ... res.send())),
//              as in bench/server.js, called as app(req, res): what the HTTP
//              benchmark's server does per request, less the socket and the kernel
// "bare" runs the same request without middleware; overhead = variant − bare,
// per round, with the variant order rotated each round. Also counted: socket
// writes per response (a response written in several pieces costs syscalls and
// packets over a real socket, which this benchmark does not pay).
const express = require('express')
const { STORES, poolCookies, fillPool, sessionOptions, parseArgs, spread, rotate } = require('./common')
const { request, socketWrites } = require('./middleware-harness')
const expressSession = require('express-session')
const sessionware = require('../dist/lib/index.js')

const args = parseArgs(process.argv.slice(2))
const ROUNDS = Number(args.rounds || 5)
const REQUESTS = Number(args.requests || 20000)
const FRAMES = String(args.frames || 'node,express').split(',')
const cookies = poolCookies()

// The handler of every case: read (and, unless "unchanged", increment) req.session.count.
const count = (req, modify) => {
  if (!req.session) return 1
  const n = (req.session.count || 0) + (modify ? 1 : 0)
  if (modify) req.session.count = n
  return n
}

function nodeHandle(mw, modify) {
  return (req, res, fail) => {
    const handler = (err) => (err ? fail(err) : res.end('count ' + count(req, modify)))
    if (mw) mw(req, res, handler)
    else handler()
  }
}

function expressHandle(mw, modify) {
  const app = express()
  app.set('etag', false)
  app.set('x-powered-by', false)
  if (mw) app.use(mw)
  app.get('/', (req, res) => {
    res.send('count ' + count(req, modify))
  })
  return (req, res, fail) => app(req, res, fail)
}

async function measure(handle, kind, n) {
  const writes0 = socketWrites()
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await request(handle, kind === 'new' ? undefined : cookies[i % cookies.length])
  const wallNs = Number(process.hrtime.bigint() - t0) / n
  const cpu = process.cpuUsage(cpu0)
  return { wallNs, cpuNs: ((cpu.user + cpu.system) * 1000) / n, writesPerResponse: (socketWrites() - writes0) / n }
}

async function makeHandle(frame, name, kind) {
  let mw = null
  if (name !== 'bare') {
    const [factory, storeName] =
      name === 'express-session'
        ? [expressSession, 'express-session MemoryStore']
        : [sessionware, 'sessionware MemoryStore']
    const { store } = STORES[storeName]()
    await fillPool(store)
    mw = factory(sessionOptions(kind === 'new' ? 'new' : 'existing', store))
  }
  return (frame === 'express' ? expressHandle : nodeHandle)(mw, kind !== 'unchanged')
}

async function runCase(frame, kind) {
  const names = ['bare', 'express-session', 'sessionware']
  const handles = {}
  for (const name of names) {
    handles[name] = await makeHandle(frame, name, kind)
    await measure(handles[name], kind, Math.min(2000, REQUESTS)) // warm-up
  }
  const raw = Object.fromEntries(names.map((n) => [n, []]))
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of rotate(names, r)) raw[name].push(await measure(handles[name], kind, REQUESTS))
  }
  const perRound = (fn) => spread(raw.bare.map((_, r) => fn(r)))
  const overhead = (name, r) => raw[name][r].wallNs - raw.bare[r].wallNs
  return {
    wallNs: Object.fromEntries(names.map((n) => [n, spread(raw[n].map((x) => x.wallNs))])),
    cpuNs: Object.fromEntries(names.map((n) => [n, spread(raw[n].map((x) => x.cpuNs))])),
    writesPerResponse: Object.fromEntries(names.map((n) => [n, raw[n][0].writesPerResponse])),
    overheadNs: {
      'express-session': perRound((r) => overhead('express-session', r)),
      sessionware: perRound((r) => overhead('sessionware', r))
    },
    overheadRatio: perRound((r) => overhead('sessionware', r) / overhead('express-session', r)),
    speedRatio: perRound((r) => raw['express-session'][r].wallNs / raw.sessionware[r].wallNs)
  }
}

async function main() {
  const out = { rounds: ROUNDS, requests: REQUESTS, frames: {} }
  for (const frame of FRAMES) {
    out.frames[frame] = {}
    for (const kind of ['unchanged', 'modified', 'new']) out.frames[frame][kind] = await runCase(frame, kind)
  }
  out.cases = out.frames.node // the shape of earlier results
  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
