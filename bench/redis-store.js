// RedisStore against connect-redis, with the same client, in the same run.
//
//   npm run build && node bench/redis-store.js [--rounds 7] [--ops 20000] [--clients node-redis,ioredis]
//
// Method: a private redis-server on a free loopback port (or REDIS_URL); per
// client library (node-redis 4, ioredis 5) one connected client shared by both
// stores, each under its own key prefix. Each round runs set, get, touch and
// destroy for both stores, alternating which goes first, with 50 operations in
// flight; round 0 is a warm-up and is not counted. Measured per run: ops/s,
// and this process's CPU time (user + system) per operation, which is the
// store's own cost without Redis's (redis-server shares the machine's cores,
// so ops/s mostly measures Redis). Reported: medians over rounds, and the
// ratio ours / theirs per round, as median (min–max).
const fs = require('fs')
const os = require('os')
const path = require('path')
const { inFlight, median, spread, fmtRatio, parseArgs, mdTable, redisServer } = require('./common')
const ConnectRedis = require('connect-redis').default
const { RedisStore } = require('../dist/lib/index.js')

const args = parseArgs(process.argv.slice(2))
const ROUNDS = Number(args.rounds) || 7
const OPS = Number(args.ops) || 20000
const CLIENTS = String(args.clients || 'node-redis,ioredis').split(',')
const CONCURRENCY = 50
const METHODS = ['set', 'get', 'touch', 'destroy']


async function connect(kind, url) {
  if (kind === 'ioredis') {
    const Redis = require('ioredis')
    const client = new Redis(url)
    await new Promise((resolve, reject) => client.once('ready', resolve).once('error', reject))
    return { client, close: () => client.quit() }
  }
  const client = require('redis').createClient({ url })
  await client.connect()
  return { client, close: () => client.quit() }
}

const record = (i) => ({
  cookie: { originalMaxAge: 3600000, expires: new Date(Date.now() + 3600000).toISOString(), httpOnly: true, path: '/' },
  user: { id: i, name: 'user' + i, roles: ['a', 'b'] },
  cart: Array.from({ length: 5 }, (_, k) => ({ sku: 'sku' + k, n: k }))
})

const call = (store, method, ...rest) => new Promise((resolve, reject) => store[method](...rest, (err, v) => (err ? reject(err) : resolve(v))))

async function measure(store, method) {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  await inFlight(OPS, CONCURRENCY, (i) => {
    const sid = 'sid' + (i % 1000)
    if (method === 'set') return call(store, 'set', sid, record(i))
    if (method === 'get') return call(store, 'get', sid)
    if (method === 'touch') return call(store, 'touch', sid, record(i))
    return call(store, 'destroy', 'gone' + i)
  })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  return { opsPerSec: OPS / seconds, cpuUsPerOp: (used.user + used.system) / OPS }
}

async function benchClient(kind, url) {
  const { client, close } = await connect(kind, url)
  const stores = {
    sessionware: new RedisStore({ client, prefix: 'bench-ours:' }),
    'connect-redis': new ConnectRedis({ client, prefix: 'bench-theirs:' })
  }
  const results = {}
  for (let round = 0; round <= ROUNDS; round++) {
    const names = round % 2 ? ['connect-redis', 'sessionware'] : ['sessionware', 'connect-redis']
    for (const method of METHODS) {
      for (const name of names) {
        const result = await measure(stores[name], method)
        if (round > 0) (results[`${name}|${method}`] ||= []).push(result)
      }
    }
  }
  await stores.sessionware.clear()
  await call(stores['connect-redis'], 'clear')
  await close()
  return METHODS.map((method) => {
    const ours = results[`sessionware|${method}`]
    const theirs = results[`connect-redis|${method}`]
    const ratio = (key) => spread(ours.map((r, i) => r[key] / theirs[i][key]))
    const med = (list, key) => median(list.map((r) => r[key]))
    return [
      kind,
      method,
      med(ours, 'opsPerSec').toFixed(0),
      med(theirs, 'opsPerSec').toFixed(0),
      fmtRatio(ratio('opsPerSec')),
      `${med(ours, 'cpuUsPerOp').toFixed(1)} / ${med(theirs, 'cpuUsPerOp').toFixed(1)}`,
      fmtRatio(ratio('cpuUsPerOp'))
    ]
  })
}

;(async () => {
  const redis = await redisServer()
  const rows = []
  const load = os.loadavg()[0]
  try {
    for (const kind of CLIENTS) rows.push(...(await benchClient(kind, redis.url)))
  } finally {
    redis.stop()
  }
  const header =
    `RedisStore vs connect-redis 7, ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0].model} x${os.cpus().length}, ` +
    `redis-server on the same machine, ${ROUNDS} rounds (+1 warm-up) x ${OPS} ops, ${CONCURRENCY} in flight, ` +
    `load average ${load.toFixed(1)} → ${os.loadavg()[0].toFixed(1)} (above the core count, the spread widens)`
  const table = mdTable(
    ['client', 'operation', 'sessionware ops/s', 'connect-redis ops/s', 'ops/s ratio (min–max)', 'client CPU µs/op (ours / theirs)', 'CPU ratio, lower is better (min–max)'],
    rows
  )
  const text = `${header}\n\n${table}\n`
  console.log(text)
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true })
  fs.writeFileSync(path.join(__dirname, 'results', 'redis-store.md'), text)
})()
