// Load generator (its own process): node bench/load.js --port N --scenario existing|new
//   [--duration 5] [--warmup 1] [--connections 50]
//
// Runs autocannon for --warmup seconds, resets the server's CPU counters
// (GET /__cpu), runs the measured --duration seconds, reads the counters again
// and prints one JSON line: req/s, p99 latency, errors, non-2xx and the
// server's CPU time and request count over the measured window. In the
// "existing" scenario every request carries the next cookie of the pool of
// 1,000 sessions the server pre-created; in "new" no request carries one.
const http = require('http')
const autocannon = require('autocannon')
const { parseArgs, poolCookies } = require('./common')

const args = parseArgs(process.argv.slice(2))
const port = Number(args.port)
const scenario = args.scenario || 'existing'
const duration = Number(args.duration || 5)
const warmup = Number(args.warmup ?? 1)
const connections = Number(args.connections || 50)
const cookies = poolCookies()

function getJson(path) {
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

function cannon(seconds) {
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

async function main() {
  const warm = warmup > 0 ? await cannon(warmup) : null
  await getJson('/__cpu')
  const result = await cannon(duration)
  const cpu = await getJson('/__cpu')
  const cpuUs = cpu.user + cpu.system
  process.stdout.write(
    JSON.stringify({
      reqPerSec: result.requests.average,
      totalRequests: result.requests.total,
      warmupRequests: warm ? warm.requests.total : 0,
      p99Ms: result.latency.p99,
      meanLatencyMs: result.latency.average,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      serverRequests: cpu.requests,
      serverCpuUs: cpuUs,
      serverUserUs: cpu.user,
      serverSystemUs: cpu.system,
      serverElapsedMs: cpu.elapsedMs,
      cpuUsPerRequest: cpu.requests ? cpuUs / cpu.requests : NaN
    }) + '\n'
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
