// What any express-session-compatible middleware must pay inside Express, against what the two pay:
//   node bench/express-floor.js [--case unchanged|modified|new] [--rounds 10] [--requests 4000] [--compare DIR ...]
//
// Express gives every request and response a new prototype (Object.setPrototypeOf), and V8 then records
// no hidden-class transition for them: every property a middleware adds makes a new hidden class and copies
// its descriptors (a few µs each), and every later property access misses its inline cache. The floors
// below are middlewares that do nothing but that:
//   floor: req.session          one property, what the HTTP benchmark's floor does
//   floor: contract             req.sessionStore, req.sessionID, req.session, and res.writeHead / res.end
//                               wrapped: what express-session's contract asks of any implementation
//   floor: contract + flash     the same plus req.flash (sessionware's one request helper on Node)
// Same harness as bench/middleware.js's Express frame (real IncomingMessage / ServerResponse over a socket
// that discards output, one request after another, an Express 5 app whose route reads or increments
// req.session.count); every variant in one process, interleaved, the order rotated each round. Overhead =
// CPU per request minus bare Express's in the same round; ratios against express-session's, median over
// rounds. --compare DIR adds another sessionware build (a dist/ folder), e.g. an older commit's.
const path = require('path')
const express = require('express')
const expressSession = require('express-session')
const { STORES, assignOnly, contractOnly, poolCookies, fillPool, sessionOptions, parseArgs } = require('./common')
const { request } = require('./middleware-harness')

const args = parseArgs(process.argv.slice(2))
const KIND = args.case || 'unchanged'
const ROUNDS = Number(args.rounds || 10)
const REQUESTS = Number(args.requests || 4000)
const compare = [].concat(args.compare || [])
const cookies = poolCookies()

function appWith(middleware) {
  const app = express()
  app.set('etag', false)
  app.set('x-powered-by', false)
  if (middleware) app.use(middleware)
  app.get('/', (req, res) => {
    if (req.session && KIND !== 'unchanged') req.session.count = (req.session.count || 0) + 1
    res.send('count ' + (req.session ? req.session.count : 1))
  })
  return (req, res, fail) => app(req, res, fail)
}

function flash() {}

async function sessionwareFrom(dist) {
  const sessionware = require(path.resolve(dist, 'lib', 'index.js'))
  const store = new sessionware.MemoryStore()
  await fillPool(store)
  return sessionware(sessionOptions(KIND === 'new' ? 'new' : 'existing', store))
}

const contract = contractOnly()

async function main() {
  const { store } = STORES['express-session MemoryStore']()
  await fillPool(store)
  const handles = {
    bare: appWith(null),
    'floor: req.session': appWith(assignOnly()),
    'floor: contract': appWith(contractOnly()),
    'floor: contract + flash': appWith((req, res, next) => {
      req.flash = flash
      contract(req, res, next)
    }),
    'express-session': appWith(expressSession(sessionOptions(KIND === 'new' ? 'new' : 'existing', store))),
    sessionware: appWith(await sessionwareFrom(path.join(__dirname, '..', 'dist')))
  }
  for (const dir of compare) handles[`sessionware at ${dir}`] = appWith(await sessionwareFrom(dir))

  const names = Object.keys(handles)
  const run = async (handle, n) => {
    const before = process.cpuUsage()
    for (let i = 0; i < n; i++) await request(handle, KIND === 'new' ? undefined : cookies[i % cookies.length])
    const used = process.cpuUsage(before)
    return ((used.user + used.system) * 1000) / n
  }
  for (const name of names) await run(handles[name], 2000)
  const raw = Object.fromEntries(names.map((name) => [name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.slice(round % names.length).concat(names.slice(0, round % names.length))
    for (const name of order) raw[name].push(await run(handles[name], REQUESTS))
  }
  const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const overhead = (name) => raw[name].map((ns, round) => ns - raw.bare[round])
  const reference = overhead('express-session')
  console.log(`inside Express 5, case "${KIND}", ${ROUNDS} rounds x ${REQUESTS} requests, node ${process.version}`)
  console.log('variant'.padEnd(34), 'CPU ns/req'.padStart(11), 'overhead'.padStart(10), 'ratio to express-session (min-max)')
  for (const name of names) {
    const ratios = overhead(name).map((ns, round) => ns / reference[round])
    const ratio = name === 'bare' ? '' : `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`
    console.log(name.padEnd(34), median(raw[name]).toFixed(0).padStart(11), median(overhead(name)).toFixed(0).padStart(10), ' ', ratio)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
