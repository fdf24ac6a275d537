// Instructions per request (valgrind's callgrind), for a figure the machine's load cannot move:
// a loaded session is read and incremented (the HTTP benchmark's route) inside an Express 5 app,
// one request after another over bench/middleware-harness.js, for express-session and for
// sessionware builds (this one, and any --compare DIR, e.g. a build without the merge).
//
//   npm run build && node bench/merge-count.js [--requests 2000] [--compare DIR ...]
//
// Each variant runs twice under `valgrind --tool=callgrind` (with the JIT on: it is part of the cost):
// once with the warm-up only, once with the warm-up and --requests more;
// the difference divided by --requests is its instructions per request. The same with no middleware
// gives Express's own; overhead = variant minus that. Reported: overhead and its ratio to express-session's.
const { spawnSync } = require('child_process')
const path = require('path')
const { parseArgs } = require('./common')

const args = parseArgs(process.argv.slice(2))
const REQUESTS = Number(args.requests || 2000)
const WARMUP = 3000
const compare = [].concat(args.compare || [])

if (args.child) {
  // In the child: run `count` requests of one variant.
  const express = require('express')
  const { STORES, poolCookies, fillPool, sessionOptions } = require('./common')
  const { request } = require('./middleware-harness')
  const variant = String(args.child)
  const count = Number(args.count)
  const run = async () => {
    let middleware
    if (variant !== 'none') {
      const lib = variant === 'express-session' ? require('express-session') : require(path.resolve(variant, 'lib', 'index.js'))
      const store = variant === 'express-session' ? STORES['express-session MemoryStore']().store : new lib.MemoryStore({ sweepInterval: false })
      await fillPool(store)
      middleware = lib(sessionOptions('existing', store))
    }
    const app = express()
    app.set('etag', false)
    app.set('x-powered-by', false)
    if (middleware) app.use(middleware)
    app.get('/', (req, res) => {
      if (req.session) req.session.count = (req.session.count || 0) + 1
      res.send('count ' + (req.session ? req.session.count : 1))
    })
    const cookies = poolCookies()
    const handle = (req, res, fail) => app(req, res, fail)
    for (let i = 0; i < count; i++) await request(handle, cookies[i % cookies.length])
  }
  run().then(
    () => process.exit(0),
    (err) => {
      console.error(err)
      process.exit(1)
    }
  )
} else {
  const perRequest = (variant) => {
    const count = (n) => {
      const result = spawnSync(
        'valgrind',
        ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, __filename, '--child', variant, '--count', String(n)],
        { encoding: 'utf8' }
      )
      const match = /Collected : (\d+)/.exec(result.stderr)
      if (!match) throw new Error(`${variant}: ${result.stderr.slice(-500)}`)
      return Number(match[1])
    }
    return (count(WARMUP + REQUESTS) - count(WARMUP)) / REQUESTS
  }
  const variants = ['none', 'express-session', path.join(__dirname, '..', 'dist'), ...compare.map((dir) => path.resolve(dir))]
  const results = {}
  for (const variant of variants) {
    results[variant] = perRequest(variant)
    console.error(`${variant}: ${Math.round(results[variant])} instructions/request`)
  }
  const base = results.none
  const es = results['express-session'] - base
  console.log(`instructions per request above bare Express 5, existing session read and incremented (${REQUESTS} requests after ${WARMUP})`)
  for (const variant of variants.slice(1)) {
    const overhead = results[variant] - base
    console.log(`${variant.padEnd(50)} ${String(Math.round(overhead)).padStart(9)}   ${(overhead / es).toFixed(3)}x express-session`)
  }
}
