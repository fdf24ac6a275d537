// Shared pieces of the session benchmarks (bench/run.js and the scripts it starts).
const { spawn } = require('child_process')
const crypto = require('crypto')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')
const signature = require('cookie-signature')
const expressSession = require('express-session')
const sessionware = require('../dist/lib/index.js')

const SECRET = 'bench secret'
const POOL_SIZE = 1000
const COOKIE_NAME = 'connect.sid'

// FileStore is looked up where the lead said it would appear; null when neither place has it.
function findFileStore() {
  if (sessionware.FileStore) return sessionware.FileStore
  try {
    return require('../dist/stores/file.js').FileStore || null
  } catch {
    return null
  }
}
const FileStore = findFileStore()
const noLog = () => {}
let SessionFileStore = null
const sessionFileStore = () => (SessionFileStore ||= require('session-file-store')(expressSession))

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-bench-'))
// Writes still in flight (session-file-store's temp files) can refill a directory being removed: retry.
function removeDir(dir) {
  for (let attempt = 0; dir && attempt < 20; attempt++) {
    try {
      return fs.rmSync(dir, { recursive: true, force: true })
    } catch (err) {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EBUSY') throw err
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50)
    }
  }
}

// Stores: each entry makes a fresh store (and the temp dir it lives in, if any).
const STORES = {
  'sessionware MemoryStore': () => ({ store: new sessionware.MemoryStore({ sweepInterval: false }) }),
  'express-session MemoryStore': () => ({ store: new expressSession.MemoryStore() }),
  'sessionware FileStore': FileStore && (() => {
    const dir = tempDir()
    return { dir, store: new FileStore({ path: dir, reapInterval: false }) }
  }),
  'session-file-store': () => {
    const dir = tempDir()
    return { dir, store: new (sessionFileStore())({ path: dir, reapInterval: -1, logFn: noLog }) }
  },
  'session-file-store (retries: 0)': () => {
    const dir = tempDir()
    return { dir, store: new (sessionFileStore())({ path: dir, reapInterval: -1, retries: 0, logFn: noLog }) }
  }
}

// The least any session middleware does on Express: give each request a
// req.session (a plain object here, no cookie, no store). Its cost above bare
// Express bounds what any session middleware can reach.
const assignOnly = () =>
  function assignSession(req, res, next) {
    req.session = {}
    next()
  }

// What express-session's contract asks of any implementation on every request,
// and nothing else: req.sessionStore, req.sessionID and req.session, and the
// response's writeHead and end wrapped (passing straight through). Express
// sets every request's and response's prototype, and V8 then records no
// hidden-class transition for them, so each property added costs a new one
// (see bench/express-floor.js).
const contractOnly = () =>
  function contract(req, res, next) {
    req.sessionStore = null
    req.sessionID = 'id'
    req.session = {}
    const writeHead = res.writeHead
    const end = res.end
    res.writeHead = function (...args) {
      return writeHead.apply(this, args)
    }
    res.end = function (chunk, encoding, callback) {
      return end.call(this, chunk, encoding, callback)
    }
    next()
  }

// HTTP / middleware variants: which middleware factory with which store.
const VARIANTS = {
  bare: { middleware: null, store: null },
  'floor: req.session assigned only': { middleware: assignOnly, store: null },
  "floor: express-session's contract only": { middleware: contractOnly, store: null },
  'express-session + MemoryStore': { middleware: expressSession, store: 'express-session MemoryStore' },
  'sessionware + MemoryStore': { middleware: sessionware, store: 'sessionware MemoryStore' },
  'sessionware + FileStore': { middleware: sessionware, store: 'sessionware FileStore' },
  'express-session + session-file-store': { middleware: expressSession, store: 'session-file-store' }
}
// BENCH_COMPARE_DIST=<another build's dist/>: one more HTTP variant, that build with its MemoryStore, in the
// same run (e.g. the commit before a change, to measure the change against express-session and itself).
if (process.env.BENCH_COMPARE_DIST) {
  const other = require(path.resolve(process.env.BENCH_COMPARE_DIST, 'lib', 'index.js'))
  STORES['compare build MemoryStore'] = () => ({ store: new other.MemoryStore({ sweepInterval: false }) })
  VARIANTS['sessionware (BENCH_COMPARE_DIST) + MemoryStore'] = { middleware: other, store: 'compare build MemoryStore' }
}
const available = (variant) => {
  const v = VARIANTS[variant]
  return !!v && (!v.store || !!STORES[v.store])
}

// Session IDs of the pre-created pool: deterministic, 32 base64url characters like uid-safe's.
const poolId = (i) => crypto.createHash('sha256').update('bench session ' + i).digest('base64url').slice(0, 32)
const poolCookie = (i) => COOKIE_NAME + '=' + encodeURIComponent('s:' + signature.sign(poolId(i), SECRET))
const poolCookies = () => Array.from({ length: POOL_SIZE }, (_, i) => poolCookie(i))
const record = (extra) => ({
  cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' },
  ...extra
})

const call = (store, method, ...args) =>
  new Promise((resolve, reject) =>
    store[method](...args, (err, value) => (err && err.code !== 'ENOENT' ? reject(err) : resolve(err ? null : value)))
  )

async function fillPool(store, count = POOL_SIZE) {
  for (let i = 0; i < count; i++) await call(store, 'set', poolId(i), record({ count: 0 }))
}

// Session options of the two scenarios (see the brief in bench/run.js).
const sessionOptions = (scenario, store) => ({
  secret: SECRET,
  resave: false,
  saveUninitialized: scenario === 'new',
  store
})

// Statistics.
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const spread = (xs) => {
  const finite = xs.filter(Number.isFinite)
  if (!finite.length) return { median: NaN, min: NaN, max: NaN, values: xs }
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), values: xs }
}
// Variant order for round r: rotated by r so each variant takes each position in turn.
const rotate = (list, r) => list.map((_, i) => list[(i + r) % list.length])

function parseArgs(argv) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) continue
    const key = a.slice(2)
    const next = argv[i + 1]
    if (next === undefined || next.startsWith('--')) out[key] = true
    else out[key] = next, i++
  }
  return out
}

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a')
const fmtRatio = (s) =>
  Number.isFinite(s.median) ? `${s.median.toFixed(2)}x (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : 'n/a'

function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map(String))
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)))
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}
const mdTable = (headers, rows) =>
  [headers, headers.map(() => '---'), ...rows].map((r) => '| ' + r.join(' | ') + ' |').join('\n')

/** Run `work(i)` for i = 0..count-1 with `concurrency` calls in flight. */
async function inFlight(count, concurrency, work) {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++)
    })
  )
}

// REDIS_URL, else a redis-server of the benchmark's own on a free port (Debian: apt-get install redis-server).
const ping = (port) =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => resolve(socket.destroy() && data.toString().startsWith('+PONG')))
    socket.once('error', () => resolve(false))
  })

async function redisServer() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop() {} }
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port
      s.close(() => resolve(p))
    })
  })
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  for (let i = 0; i < 200 && !(await ping(port)); i++) await new Promise((resolve) => setTimeout(resolve, 25))
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill() }
}

module.exports = {
  redisServer,
  inFlight,
  SECRET, POOL_SIZE, COOKIE_NAME, STORES, VARIANTS, assignOnly, contractOnly, FileStore, available, poolId, poolCookie, poolCookies,
  record, call, fillPool, sessionOptions, removeDir, median, spread, rotate, parseArgs, fmt, fmtRatio, table, mdTable
}
