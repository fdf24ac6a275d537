// Load generator (its own process).
//
//   node bench/load.js --port N --scenario existing|new [--duration 5] [--warmup 1] [--connections 50]
//     One server: autocannon for --warmup seconds, reset the server's CPU counters (GET /__cpu), the measured
//     --duration seconds, read the counters again; prints one JSON line (req/s, p99 latency, errors, non-2xx,
//     the server's CPU time and request count over the measured window).
//
//   node bench/load.js --targets '{"name": port, ...}' --scenario existing|new [--slots 4] [--slot 1]
//     [--warmup 1] [--connections 50] [--rotate 0]
//     Several servers, interleaved finely: each is warmed up, then the measured time is cut into --slots slots of
//     --slot seconds; in every slot each server gets --slot seconds of load in turn (order rotated by one each
//     slot, starting at --rotate), its CPU counters reset just before and read just after. Drift slower than a
//     few seconds therefore hits every server alike. Prints one JSON line { targets: { name: result } } with
//     each server's sums over its slots; p99 is the median of its slots' p99.
//
// In the "existing" scenario every request carries the next cookie of the pool of 1,000 sessions the server
// pre-created; in "new" no request carries one.
const http = require('http')
const autocannon = require('autocannon')
const { parseArgs, poolCookies, median, rotate } = require('./common')

const args = parseArgs(process.argv.slice(2))
const scenario = args.scenario || 'existing'
const warmup = Number(args.warmup ?? 1)
const connections = Number(args.connections || 50)
const cookies = poolCookies()

function getJson(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve(JSON.parse(body)))
      })
      .on('error', reject)
  })
}

function cannon(port, seconds) {
  let next = 0
  const requests =
    scenario === 'existing'
      ? [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, cookie: cookies[next++ % cookies.length] } }) }]
      : [{ method: 'GET', path: '/' }]
  return autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections,
    duration: seconds,
    requests
  })
}

// One measured window on one server: CPU counters reset, load, counters read.
async function window(port, seconds) {
  await getJson(port, '/__cpu')
  const result = await cannon(port, seconds)
  const cpu = await getJson(port, '/__cpu')
  return { result, cpu }
}

function summary(windows, warmupRequests) {
  const sum = (fn) => windows.reduce((a, w) => a + fn(w), 0)
  const user = sum((w) => w.cpu.user)
  const system = sum((w) => w.cpu.system)
  const served = sum((w) => w.cpu.requests)
  return {
    reqPerSec: sum((w) => w.result.requests.total) / sum((w) => w.result.duration),
    totalRequests: sum((w) => w.result.requests.total),
    warmupRequests,
    p99Ms: median(windows.map((w) => w.result.latency.p99)),
    p99Slots: windows.map((w) => w.result.latency.p99),
    meanLatencyMs: sum((w) => w.result.latency.average * w.result.requests.total) / Math.max(1, sum((w) => w.result.requests.total)),
    errors: sum((w) => w.result.errors),
    timeouts: sum((w) => w.result.timeouts),
    non2xx: sum((w) => w.result.non2xx),
    slots: windows.length,
    serverRequests: served,
    serverCpuUs: user + system,
    serverUserUs: user,
    serverSystemUs: system,
    serverElapsedMs: sum((w) => w.cpu.elapsedMs),
    cpuUsPerRequest: served ? (user + system) / served : NaN
  }
}

async function single() {
  const port = Number(args.port)
  const warm = warmup > 0 ? await cannon(port, warmup) : null
  const w = await window(port, Number(args.duration || 5))
  return summary([w], warm ? warm.requests.total : 0)
}

async function interleaved() {
  const targets = JSON.parse(args.targets)
  const names = Object.keys(targets)
  const slots = Number(args.slots || 4)
  const slot = Number(args.slot || 1)
  const warmed = {}
  for (const name of names) warmed[name] = warmup > 0 ? (await cannon(targets[name], warmup)).requests.total : 0
  const windows = Object.fromEntries(names.map((n) => [n, []]))
  for (let k = 0; k < slots; k++) {
    for (const name of rotate(names, Number(args.rotate || 0) + k)) windows[name].push(await window(targets[name], slot))
  }
  return { targets: Object.fromEntries(names.map((n) => [n, summary(windows[n], warmed[n])])) }
}

;(args.targets ? interleaved() : single())
  .then((out) => process.stdout.write(JSON.stringify(out) + '\n'))
  .catch((err) => {
    console.error(err)
    process.exit(1)
  })
