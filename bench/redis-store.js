// RedisStore against connect-redis, with the same node-redis client, in the same run.
//
//   npm run build && node bench/redis-store.js [--rounds 5] [--ops 5000]
//
// Method: a private redis-server on a free loopback port (or REDIS_URL), one
// node-redis client shared by both stores, each under its own key prefix.
// Each round runs set, get, touch and destroy for both stores, alternating
// which goes first, with 50 operations in flight. Reported: median ops/s and
// the median ratio (ours / theirs) with its min–max over rounds.
const { spawn } = require('child_process')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')
const { inFlight } = require('./common')
const { createClient } = require('redis')
const ConnectRedis = require('connect-redis').default
const { RedisStore } = require('../dist/lib/index.js')

const args = process.argv.slice(2)
const flag = (name, fallback) => (args.includes('--' + name) ? Number(args[args.indexOf('--' + name) + 1]) : fallback)
const ROUNDS = flag('rounds', 5)
const OPS = flag('ops', 5000)
const CONCURRENCY = 50

async function redisUrl() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop() {} }
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port
      s.close(() => resolve(p))
    })
  })
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  await new Promise((resolve) => setTimeout(resolve, 300))
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill() }
}

const record = (i) => ({
  cookie: { originalMaxAge: 3600000, expires: new Date(Date.now() + 3600000).toISOString(), httpOnly: true, path: '/' },
  user: { id: i, name: 'user' + i, roles: ['a', 'b'] },
  cart: Array.from({ length: 5 }, (_, k) => ({ sku: 'sku' + k, n: k }))
})

const call = (store, method, ...rest) => new Promise((resolve, reject) => store[method](...rest, (err, v) => (err ? reject(err) : resolve(v))))

const pool = (count, work) => inFlight(count, CONCURRENCY, work)

async function timeOps(store, method) {
  const start = process.hrtime.bigint()
  await pool(OPS, (i) => {
    const sid = 'sid' + (i % 1000)
    if (method === 'set') return call(store, 'set', sid, record(i))
    if (method === 'get') return call(store, 'get', sid)
    if (method === 'touch') return call(store, 'touch', sid, record(i))
    return call(store, 'destroy', 'gone' + i)
  })
  return OPS / (Number(process.hrtime.bigint() - start) / 1e9)
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

;(async () => {
  const redis = await redisUrl()
  const client = createClient({ url: redis.url })
  await client.connect()
  const stores = {
    sessionware: new RedisStore({ client, prefix: 'bench-ours:' }),
    'connect-redis': new ConnectRedis({ client, prefix: 'bench-theirs:' })
  }
  const methods = ['set', 'get', 'touch', 'destroy']
  const results = {}
  for (let round = 0; round < ROUNDS; round++) {
    const names = round % 2 ? ['connect-redis', 'sessionware'] : ['sessionware', 'connect-redis']
    for (const method of methods) for (const name of names) (results[`${name}|${method}`] ||= []).push(await timeOps(stores[name], method))
  }
  const lines = [`RedisStore benchmark, ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0].model}, redis via node-redis 4, ${ROUNDS} rounds x ${OPS} ops, ${CONCURRENCY} in flight`, '']
  lines.push('| operation | sessionware ops/s | connect-redis ops/s | ratio (min–max) |', '|---|---|---|---|')
  for (const method of methods) {
    const ours = results[`sessionware|${method}`]
    const theirs = results[`connect-redis|${method}`]
    const ratios = ours.map((v, i) => v / theirs[i])
    lines.push(`| ${method} | ${median(ours).toFixed(0)} | ${median(theirs).toFixed(0)} | ${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`)
  }
  const text = lines.join('\n')
  console.log(text)
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true })
  fs.writeFileSync(path.join(__dirname, 'results', 'redis-store.md'), text + '\n')
  await stores.sessionware.clear()
  await new Promise((resolve) => stores['connect-redis'].clear(resolve))
  await client.quit()
  redis.stop()
})()
