// One benchmark server: node bench/server.js <variant> <scenario>
//
// variant: a key of VARIANTS in bench/common.js; scenario: "existing" (cookies
// from a pool of 1,000 pre-created sessions, saveUninitialized: false) or
// "new" (no cookie, saveUninitialized: true). Listens on 127.0.0.1:0 and prints
// {"port": N} once ready. GET /__cpu answers this process's CPU time and the
// requests served since the previous /__cpu, and resets both; it is routed
// before the session middleware and not counted. SIGTERM closes it and removes
// its temp directory.
const express = require('express')
const { STORES, VARIANTS, available, fillPool, sessionOptions, removeDir } = require('./common')

const [variantName, scenario] = process.argv.slice(2)
if (!available(variantName) || !['existing', 'new'].includes(scenario)) {
  console.error(`usage: node bench/server.js <${Object.keys(VARIANTS).join('|')}> <existing|new>`)
  process.exit(2)
}
const variant = VARIANTS[variantName]

async function main() {
  const made = variant.store ? STORES[variant.store]() : {}
  if (made.store && scenario === 'existing') await fillPool(made.store)

  let requests = 0
  let cpuMark = process.cpuUsage()
  let timeMark = process.hrtime.bigint()
  const app = express()
  app.set('etag', false)
  app.set('x-powered-by', false)
  app.get('/__cpu', (req, res) => {
    const cpu = process.cpuUsage(cpuMark)
    const now = process.hrtime.bigint()
    res.json({ user: cpu.user, system: cpu.system, requests, elapsedMs: Number(now - timeMark) / 1e6 })
    requests = 0
    cpuMark = process.cpuUsage()
    timeMark = now
  })
  app.use((req, res, next) => {
    requests++
    next()
  })
  if (variant.middleware) app.use(variant.middleware(sessionOptions(scenario, made.store)))
  app.get('/', (req, res) => {
    if (req.session) {
      const count = (req.session.count || 0) + 1
      req.session.count = count
      res.send('count ' + count)
    } else {
      res.send('count 1')
    }
  })

  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
  })
  const stop = () => {
    server.close()
    server.closeAllConnections?.()
    // Let the store's writes in flight finish before its directory goes.
    setTimeout(() => {
      removeDir(made.dir)
      process.exit(0)
    }, made.dir ? 300 : 0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('disconnect', stop)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
