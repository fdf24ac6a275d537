// What idleTimeout/absoluteTimeout, userKey and storeTimeout cost per request, in process:
//   node bench/lifetimes.js [--rounds 5] [--requests 20000] [--only 'userKey,all of them'] [--redis-only] [--json]
//
// The harness of bench/middleware.js (real IncomingMessage/ServerResponse pairs over a socket that discards
// output, called directly, one request after another), each variant with its own MemoryStore pre-filled with
// the same 1,000 sessions of a logged-in user ({ count, userId }, and for sessionware the lifetime metadata a
// session stored with these options carries). Two cases: "unchanged" (the handler reads req.session.count) and
// "modified" (it increments it). Overhead = variant − bare, per round, variants rotated each round; reported
// as ratios to express-session's overhead in the same round, and as µs above sessionware with none of the
// options (storeTimeout: false) in the same round. With REDIS_URL, also RedisStore's set, touch and merge with the
// user index against without.
const { poolId, poolCookies, call, sessionOptions, parseArgs, spread, rotate, fmt, fmtRatio, table } = require('./common')
const { request } = require('./middleware-harness')
const expressSession = require('express-session')
const sessionware = require('../dist/lib/index.js')

const args = parseArgs(process.argv.slice(2))
const ROUNDS = Number(args.rounds || 5)
const REQUESTS = Number(args.requests || 20000)
const cookies = poolCookies()

const VARIANTS = {
  bare: null,
  'express-session': { factory: expressSession, options: {} },
  'sessionware, none': { factory: sessionware, options: { storeTimeout: false } },
  'storeTimeout (10 s)': { factory: sessionware, options: { storeTimeout: 10_000 } },
  'idle + absolute timeouts': { factory: sessionware, options: { storeTimeout: false, idleTimeout: 30 * 60_000, absoluteTimeout: 8 * 3600_000 } },
  userKey: { factory: sessionware, options: { storeTimeout: false, userKey: 'userId' } },
  'all of them': { factory: sessionware, options: { storeTimeout: 10_000, idleTimeout: 30 * 60_000, absoluteTimeout: 8 * 3600_000, userKey: 'userId' } }
}

async function handleOf(name, modify) {
  const variant = VARIANTS[name]
  let mw = null
  if (variant) {
    const store = variant.factory === expressSession ? new expressSession.MemoryStore() : new sessionware.MemoryStore({ sweepInterval: false })
    const now = Date.now()
    for (let i = 0; i < 1000; i++) {
      const cookie = { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }
      if (variant.factory === sessionware) cookie.sessionware = { created: now, used: now, user: 'user' + (i % 100) }
      await call(store, 'set', poolId(i), { cookie, count: 0, userId: 'user' + (i % 100) })
    }
    mw = variant.factory({ ...sessionOptions('existing', store), ...variant.options })
  }
  return (req, res, fail) => {
    const done = (err) => {
      if (err) return fail(err)
      if (modify && req.session) req.session.count++
      res.end('ok')
    }
    if (mw) mw(req, res, done)
    else done()
  }
}

async function measure(handle, n) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await request(handle, cookies[i % cookies.length])
  return Number(process.hrtime.bigint() - t0) / n
}

// --only 'userKey,all of them' measures those (with bare, express-session and "sessionware, none").
const ONLY = args.only ? String(args.only).split(',') : null

async function runCase(modify) {
  const names = Object.keys(VARIANTS).filter((name) => !ONLY || ONLY.includes(name) || ['bare', 'express-session', 'sessionware, none'].includes(name))
  const handles = {}
  for (const name of names) {
    handles[name] = await handleOf(name, modify)
    await measure(handles[name], Math.min(2000, REQUESTS))
  }
  const raw = Object.fromEntries(names.map((n) => [n, []]))
  for (let r = 0; r < ROUNDS; r++) for (const name of rotate(names, r)) raw[name].push(await measure(handles[name], REQUESTS))
  const over = (name, r) => raw[name][r] - raw.bare[r]
  const result = {}
  for (const name of names.slice(1)) {
    result[name] = {
      overheadUs: spread(raw.bare.map((_, r) => over(name, r) / 1000)),
      vsExpressSession: spread(raw.bare.map((_, r) => over(name, r) / over('express-session', r))),
      aboveNoneUs: spread(raw.bare.map((_, r) => (over(name, r) - over('sessionware, none', r)) / 1000))
    }
  }
  return result
}

// With REDIS_URL: RedisStore's set, touch and merge of a session with a user (one EVAL keeping the user index)
// against the same without a user (a SET, an EXPIRE, the merge script), 16 in flight, client CPU and wall
// time per operation.
async function redisCase() {
  const { createClient } = require('redis')
  const client = createClient({ url: process.env.REDIS_URL })
  await client.connect()
  const prefix = `bench-lifetimes:${process.pid}:`
  const store = new sessionware.RedisStore({ client, prefix })
  const { inFlight } = require('./common')
  const recordOf = (user) => ({
    cookie: { originalMaxAge: 3600_000, expires: new Date(Date.now() + 3600_000).toISOString(), httpOnly: true, path: '/', ...(user && { sessionware: { created: 1, used: 1, user } }) },
    count: 1,
    userId: 'user1'
  })
  const ops = {
    'set, no user': (i) => store.set('s' + (i % 1000), recordOf()),
    'set, with user': (i) => store.set('u' + (i % 1000), recordOf('user' + (i % 100))),
    'touch, no user': (i) => store.touch('s' + (i % 1000), recordOf()),
    'touch, with user': (i) => store.touch('u' + (i % 1000), recordOf('user' + (i % 100))),
    // A modified request's save: its changed key merged into the stored record (and, with a user, the index kept).
    'merge, no user': (i) => store.merge('s' + (i % 1000), patchOf(recordOf(), i)),
    'merge, with user': (i) => store.merge('u' + (i % 1000), patchOf(recordOf('user' + (i % 100)), i))
  }
  const patchOf = (record, i) => ({ set: { count: i }, unset: [], cookie: record.cookie, record: { ...record, count: i } })
  const n = Math.min(REQUESTS, 10000)
  const raw = Object.fromEntries(Object.keys(ops).map((k) => [k, []]))
  for (const op of Object.values(ops)) await inFlight(2000, 16, op)
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of rotate(Object.keys(ops), r)) {
      const cpu0 = process.cpuUsage()
      const t0 = process.hrtime.bigint()
      await inFlight(n, 16, ops[name])
      const cpu = process.cpuUsage(cpu0)
      raw[name].push({ wallUs: Number(process.hrtime.bigint() - t0) / n / 1000, cpuUs: (cpu.user + cpu.system) / n })
    }
  }
  await store.clear()
  await client.quit()
  const ratio = (a, b, key) => spread(raw[a].map((x, r) => x[key] / raw[b][r][key]))
  return {
    set: { cpu: ratio('set, with user', 'set, no user', 'cpuUs'), wall: ratio('set, with user', 'set, no user', 'wallUs') },
    touch: { cpu: ratio('touch, with user', 'touch, no user', 'cpuUs'), wall: ratio('touch, with user', 'touch, no user', 'wallUs') },
    merge: { cpu: ratio('merge, with user', 'merge, no user', 'cpuUs'), wall: ratio('merge, with user', 'merge, no user', 'wallUs') }
  }
}

async function main() {
  const out = { rounds: ROUNDS, requests: REQUESTS, node: process.version, cases: {} }
  if (!args['redis-only']) for (const [kind, modify] of [['unchanged', false], ['modified', true]]) out.cases[kind] = await runCase(modify)
  if (process.env.REDIS_URL) out.redis = await redisCase()
  if (args.json) process.stdout.write(JSON.stringify(out) + '\n')
  for (const kind of Object.keys(out.cases)) {
    const rows = Object.entries(out.cases[kind]).map(([name, r]) => [
      name,
      fmt(r.overheadUs.median, 1),
      fmtRatio(r.vsExpressSession),
      name === 'express-session' ? '' : `${fmt(r.aboveNoneUs.median, 2)} (${fmt(r.aboveNoneUs.min, 2)}–${fmt(r.aboveNoneUs.max, 2)})`
    ])
    console.log(`\n${kind} sessions (${ROUNDS} rounds × ${REQUESTS} requests, ${process.version})`)
    console.log(table(['variant', 'µs above bare', '÷ express-session (same round)', 'µs above sessionware, none'], rows))
  }
  if (out.redis) {
    console.log(`\nRedisStore with a user (user index kept) ÷ without, same round (${process.env.REDIS_URL})`)
    console.log(table(['operation', 'client CPU per op', 'wall time per op'], Object.entries(out.redis).map(([op, r]) => [op, fmtRatio(r.cpu), fmtRatio(r.wall)])))
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
