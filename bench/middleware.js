// The session middleware's own cost per request, in process, without a network:
//   node bench/middleware.js [--rounds 5] [--requests 20000]   (prints one JSON line)
//
// Each request is a real http.IncomingMessage / http.ServerResponse pair over a
// Duplex socket that discards what is written, run to the response's 'finish'
// one after another. Three cases, both middlewares with their own MemoryStore
// pre-filled with the same 1,000 sessions:
//   unchanged  cookie of an existing session, handler reads req.session.count only
//   modified   cookie of an existing session, handler increments req.session.count
//   new        no cookie, saveUninitialized: true, handler increments req.session.count
// "bare" runs the same request without middleware; overhead = variant − bare,
// per round, with the variant order rotated each round.
const http = require('http')
const { Duplex } = require('stream')
const { STORES, poolCookies, fillPool, sessionOptions, parseArgs, spread, rotate } = require('./common')
const expressSession = require('express-session')
const sessionware = require('../dist/lib/index.js')

const args = parseArgs(process.argv.slice(2))
const ROUNDS = Number(args.rounds || 5)
const REQUESTS = Number(args.requests || 20000)
const cookies = poolCookies()

const discard = () => new Duplex({ read() {}, write(chunk, encoding, cb) { cb() } })

function request(mw, cookie, modify) {
  return new Promise((resolve, reject) => {
    const socket = discard()
    const req = new http.IncomingMessage(socket)
    req.url = '/'
    req.method = 'GET'
    req.headers = cookie ? { cookie } : {}
    const res = new http.ServerResponse(req)
    res.assignSocket(socket)
    res.on('finish', resolve)
    const handler = (err) => {
      if (err) return reject(err)
      let count = 1
      if (req.session) {
        count = (req.session.count || 0) + (modify ? 1 : 0)
        if (modify) req.session.count = count
      }
      res.end('count ' + count)
    }
    if (mw) mw(req, res, handler)
    else handler()
  })
}

async function measure(mw, kind, n) {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    if (kind === 'new') await request(mw, undefined, true)
    else await request(mw, cookies[i % cookies.length], kind === 'modified')
  }
  const wallNs = Number(process.hrtime.bigint() - t0) / n
  const cpu = process.cpuUsage(cpu0)
  return { wallNs, cpuNs: ((cpu.user + cpu.system) * 1000) / n }
}

async function makeMiddleware(name, kind) {
  if (name === 'bare') return null
  const [factory, storeName] =
    name === 'express-session'
      ? [expressSession, 'express-session MemoryStore']
      : [sessionware, 'sessionware MemoryStore']
  const { store } = STORES[storeName]()
  await fillPool(store)
  return factory(sessionOptions(kind === 'new' ? 'new' : 'existing', store))
}

async function main() {
  const names = ['bare', 'express-session', 'sessionware']
  const out = { rounds: ROUNDS, requests: REQUESTS, cases: {} }
  for (const kind of ['unchanged', 'modified', 'new']) {
    const mws = {}
    for (const name of names) {
      mws[name] = await makeMiddleware(name, kind)
      await measure(mws[name], kind, Math.min(2000, REQUESTS)) // warm-up
    }
    const raw = Object.fromEntries(names.map((n) => [n, []]))
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of rotate(names, r)) raw[name].push(await measure(mws[name], kind, REQUESTS))
    }
    const perRound = (fn) => spread(raw.bare.map((_, r) => fn(r)))
    const overhead = (name, r) => raw[name][r].wallNs - raw.bare[r].wallNs
    out.cases[kind] = {
      wallNs: Object.fromEntries(names.map((n) => [n, spread(raw[n].map((x) => x.wallNs))])),
      cpuNs: Object.fromEntries(names.map((n) => [n, spread(raw[n].map((x) => x.cpuNs))])),
      overheadNs: {
        'express-session': perRound((r) => overhead('express-session', r)),
        sessionware: perRound((r) => overhead('sessionware', r))
      },
      overheadRatio: perRound((r) => overhead('sessionware', r) / overhead('express-session', r)),
      speedRatio: perRound((r) => raw['express-session'][r].wallNs / raw.sessionware[r].wallNs)
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
