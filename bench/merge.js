// The cost of the changed-keys merge per modified request, in the same run as
// a whole-record write and express-session's / connect-redis's.
//
//   npm run build && node bench/merge.js [--rounds 7] [--ops 20000]
//
// A modified request's save is what is measured: the record loaded at the
// start ({ cookie, user, cart of 5 items, count }), count incremented.
// - MemoryStore, in process: sessionware's save path (changedKeys on the data's
//   JSON, then MemoryStore#merge) against a whole `set` of the same record on
//   the same store, and against express-session's MemoryStore#set; ns/op.
// - RedisStore: MemoryStore's pair again over Redis (changedKeys + merge, one
//   EVALSHA, against one SET), and connect-redis's set, one client shared,
//   50 in flight; ops/s and this process's CPU µs/op (Redis's own work is not
//   in it: redis-server shares the two cores).
// Rounds alternate the order; round 0 is a warm-up. Medians, and the ratio
// merge / set per round as median (min–max).
const expressSession = require('express-session')
const ConnectRedis = require('connect-redis').default
const { MemoryStore, RedisStore } = require('../dist/lib/index.js')
const { changedKeys } = require('../dist/lib/core/changes.js')
const { median, spread, fmtRatio, parseArgs, mdTable, redisServer } = require('./common')

const args = parseArgs(process.argv.slice(2))
const ROUNDS = Number(args.rounds) || 7
const OPS = Number(args.ops) || 20000
const SIDS = 1000
const CONCURRENCY = 50

const cookie = () => ({ originalMaxAge: 3600_000, expires: new Date(Date.now() + 3600_000).toISOString(), httpOnly: true, path: '/' })
const data = (count) => ({ user: 'ada', cart: [1, 2, 3, 4, 5].map((id) => ({ id, qty: 1 })), count })

/** One modified request's save, as the middleware makes it: the patch from the data's JSON, then merge. */
function mergeSave(store, sid, count) {
  const loaded = JSON.stringify(data(count))
  const current = data(count + 1)
  const changes = changedKeys(loaded, JSON.stringify(current))
  const record = { cookie: cookie(), ...current }
  return store.merge(sid, { set: changes.set, unset: changes.unset, cookie: record.cookie, record })
}

function wholeSet(store, sid, count, done = () => {}) {
  // The middleware serializes the data once to tell that it changed, then the store writes the record.
  JSON.stringify(data(count))
  const current = data(count + 1)
  JSON.stringify(current)
  return store.set(sid, { cookie: cookie(), ...current }, done)
}

async function fill(store) {
  for (let i = 0; i < SIDS; i++) await new Promise((resolve) => store.set('s' + i, { cookie: cookie(), ...data(0) }, resolve))
}

async function timeSerial(run) {
  const start = process.hrtime.bigint()
  for (let i = 0; i < OPS; i++) await run('s' + (i % SIDS), i)
  return Number(process.hrtime.bigint() - start) / OPS
}

async function timeInFlight(run) {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  let next = 0
  const worker = async () => {
    while (next < OPS) {
      const i = next++
      await run('s' + (i % SIDS), i)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  return { opsPerSec: OPS / seconds, cpuUs: (used.user + used.system) / OPS }
}

const promised = (store, method) => (sid, i) =>
  new Promise((resolve, reject) => {
    const done = (err) => (err ? reject(err) : resolve())
    if (method === 'set') store.set(sid, { cookie: cookie(), ...data(i + 1) }, done)
    else mergeSave(store, sid, i).then(resolve, reject)
  })

async function memoryPart() {
  const ours = new MemoryStore({ sweepInterval: false })
  const theirs = new expressSession.MemoryStore()
  await fill(ours)
  await fill(theirs)
  const variants = {
    'sessionware MemoryStore: changedKeys + merge': (sid, i) => mergeSave(ours, sid, i),
    'sessionware MemoryStore: whole set': (sid, i) => wholeSet(ours, sid, i),
    // express-session's MemoryStore answers through its callback (on a later tick): each op is awaited.
    'express-session MemoryStore: whole set': (sid, i) => new Promise((resolve) => wholeSet(theirs, sid, i, resolve))
  }
  const names = Object.keys(variants)
  const results = Object.fromEntries(names.map((name) => [name, []]))
  const ratios = []
  for (let round = 0; round <= ROUNDS; round++) {
    const order = round % 2 ? [...names].reverse() : names
    const times = {}
    for (const name of order) times[name] = await timeSerial(variants[name])
    if (round === 0) continue
    for (const name of names) results[name].push(times[name])
    ratios.push(times[names[0]] / times[names[1]])
  }
  const rows = names.map((name) => [name, Math.round(median(results[name])) + ' ns'])
  return {
    table: mdTable(['MemoryStore, one modified save', 'median ns/op'], rows),
    mergeCostNs: Math.round(median(results[names[0]]) - median(results[names[1]])),
    ratio: fmtRatio(spread(ratios)),
    esRatio: fmtRatio(spread(results[names[0]].map((t, i) => t / results[names[2]][i])))
  }
}


async function redisPart() {
  const server = await redisServer()
  const { createClient } = require('redis')
  const client = createClient({ url: server.url })
  await client.connect()
  const tag = Math.random().toString(36).slice(2)
  const ours = new RedisStore({ client, prefix: `bench:merge:${tag}:` })
  const theirs = new ConnectRedis({ client, prefix: `bench:merge:cr:${tag}:` })
  await fill(ours)
  await fill(theirs)
  const variants = {
    'RedisStore: changedKeys + merge (EVALSHA)': promised(ours, 'merge'),
    'RedisStore: whole set (SET)': promised(ours, 'set'),
    'connect-redis: whole set (SET)': promised(theirs, 'set')
  }
  const names = Object.keys(variants)
  const results = Object.fromEntries(names.map((name) => [name, []]))
  const cpuRatios = []
  for (let round = 0; round <= ROUNDS; round++) {
    const order = round % 2 ? [...names].reverse() : names
    const measured = {}
    for (const name of order) measured[name] = await timeInFlight(variants[name])
    if (round === 0) continue
    for (const name of names) results[name].push(measured[name])
    cpuRatios.push(measured[names[0]].cpuUs / measured[names[1]].cpuUs)
  }
  await ours.clear()
  await theirs.clear()
  await client.disconnect()
  server.stop()
  const rows = names.map((name) => [
    name,
    String(Math.round(median(results[name].map((r) => r.opsPerSec)))),
    median(results[name].map((r) => r.cpuUs)).toFixed(1)
  ])
  return {
    table: mdTable(['RedisStore (node-redis), one modified save, 50 in flight', 'ops/s', 'client CPU µs/op'], rows),
    cpuRatio: fmtRatio(spread(cpuRatios))
  }
}

async function main() {
  const memory = await memoryPart()
  console.log(memory.table)
  console.log(`\nmerge cost per modified save, MemoryStore: ${memory.mergeCostNs} ns; merge/set time ${memory.ratio}; merge / express-session's set ${memory.esRatio}\n`)
  let redis
  try {
    redis = await redisPart()
  } catch (err) {
    console.log(`RedisStore part skipped: ${err.message}`)
  }
  if (redis) {
    console.log(redis.table)
    console.log(`\nclient CPU per modified save, merge / set: ${redis.cpuRatio}`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
