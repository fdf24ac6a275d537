// Where the server's CPU goes under load:
//   npm run build && node bench/profile.js [--variant "sessionware + MemoryStore"] [--scenario existing|new]
//     [--duration 5] [--top 15] [--keep DIR]
//   node bench/profile.js --summarize FILE.cpuprofile [--top 15]     (summarize a profile you took yourself)
//
// Runs bench/server.js under `node --cpu-prof` while bench/load.js drives it
// (same load as the HTTP benchmark), stops it, and prints the functions with
// the most self time, aggregated over the .cpuprofile's samples by function
// name + url:line, then time by module: self, and attributed (self plus the
// Node built-ins and native code it calls, e.g. crypto's Hmac: each sample goes
// to the nearest frame on its stack that is not Node's own, except that Node's
// HTTP, net and stream code, such as the writev of a response, is a group of
// its own whoever calls it). Percentages are of the non-idle samples;
// "sessionware" is dist/. Without
// --variant both "sessionware + MemoryStore" and "express-session + MemoryStore"
// are profiled. --keep DIR keeps the profiles.
//
// By hand: `node --cpu-prof --cpu-prof-dir /tmp/prof bench/server.js "sessionware + MemoryStore" existing`
// prints {"port": N}; drive it with `node bench/load.js --port N --scenario existing --duration 5`, stop
// it with Ctrl-C (SIGINT, which writes the profile), then `node bench/profile.js --summarize /tmp/prof/*.cpuprofile`.
const { spawn } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { parseArgs, table, available } = require('./common')

const args = parseArgs(process.argv.slice(2))
const scenario = args.scenario || 'existing'
const duration = Number(args.duration || 5)
const top = Number(args.top || 15)
const variants = args.variant ? [args.variant] : ['sessionware + MemoryStore', 'express-session + MemoryStore']
const root = path.resolve(__dirname, '..')

function run(argv, onLine) {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], cwd: root })
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (c) => {
    out += c
    let nl
    while (onLine && (nl = out.indexOf('\n')) !== -1) {
      onLine(out.slice(0, nl))
      out = out.slice(nl + 1)
    }
  })
  const done = new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}`))))
  })
  return { child, done }
}

const IDLE = new Set(['(idle)'])
const IO = new Set(['node:_http_outgoing', 'node:_http_server', 'node:_http_common', 'node:_http_incoming', 'node:net', 'node:internal/streams', 'node:stream'])

// The module a frame belongs to: sessionware's own files, a package, Node's internals, or V8's pseudo-frames.
function moduleOf({ functionName, url }) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)'
  const rel = url.replace('file://' + root + '/', '')
  const pkg = rel.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (pkg) return pkg[1]
  if (rel.startsWith('dist/')) return 'sessionware'
  if (rel.startsWith('bench/')) return 'bench'
  if (rel.startsWith('node:internal/')) return rel.split('/').slice(0, 2).join('/').replace(/\.js$/, '')
  if (rel.startsWith('node:')) return rel
  return rel
}

// Self time per function: each sample's time delta goes to the node it hit.
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id)
  const self = new Map()
  const moduleSelf = new Map()
  const moduleAttributed = new Map()
  let total = 0
  let idle = 0
  const add = (map, key, dt) => map.set(key, (map.get(key) || 0) + dt)
  const isBuiltin = (m) => m.startsWith('node:') || m === '(native)'
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] || 0
    const frame = byId.get(id).callFrame
    if (IDLE.has(frame.functionName)) {
      idle += dt
      return
    }
    total += dt
    const { functionName, url, lineNumber } = frame
    const where = url ? `${url.replace('file://' + root + '/', '').replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : ''
    add(self, `${functionName || '(anonymous)'}\t${where}`, dt)
    const own = moduleOf(frame)
    add(moduleSelf, own, dt)
    // Attributed: the nearest caller that is not Node's own JavaScript or native code pays for the sample.
    // Node's HTTP, net and stream code (writing a response, writev included) is a cost of its own, whoever calls it.
    let payer = own
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const m = moduleOf(byId.get(n).callFrame)
      if (IO.has(m)) payer = 'node: HTTP, net, streams'
      else if (!isBuiltin(m) && m !== '(root)') payer = m
      else continue
      break
    }
    add(moduleAttributed, payer, dt)
  })
  const sorted = (map) => [...map.entries()].sort((a, b) => b[1] - a[1])
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    rows: sorted(self).slice(0, top).map(([key, us]) => {
      const [fn, where] = key.split('\t')
      return { function: fn, where, selfMs: us / 1000, percent: (100 * us) / total }
    }),
    modules: sorted(moduleAttributed).slice(0, top).map(([module, us]) => ({
      module,
      selfPercent: (100 * (moduleSelf.get(module) || 0)) / total,
      attributedPercent: (100 * us) / total
    }))
  }
}

// requests: how many the server answered while profiled (warm-up included), for µs per request.
function print(title, p, requests) {
  const perReq = (ms) => (requests ? ((ms * 1000) / requests).toFixed(1) : 'n/a')
  console.log(`${title}: ${p.totalMs.toFixed(0)} ms sampled busy (${p.idleMs.toFixed(0)} ms idle); top ${top} by self time`)
  console.log(
    table(
      ['self ms', '%', ...(requests ? ['µs/req'] : []), 'function', 'where'],
      p.rows.map((r) => [r.selfMs.toFixed(1), r.percent.toFixed(1), ...(requests ? [perReq(r.selfMs)] : []), r.function, r.where])
    ) + '\n'
  )
  console.log(
    table(
      ['module', 'self %', 'attributed %', ...(requests ? ['attributed µs/req'] : [])],
      p.modules.map((m) => [
        m.module,
        m.selfPercent ? m.selfPercent.toFixed(1) : '—',
        m.attributedPercent.toFixed(1),
        ...(requests ? [perReq((m.attributedPercent / 100) * p.totalMs)] : [])
      ])
    ) + '\n'
  )
}

async function profileVariant(variant) {
  const dir = args.keep ? path.resolve(String(args.keep)) : fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-prof-'))
  fs.mkdirSync(dir, { recursive: true })
  const before = new Set(fs.readdirSync(dir))
  let load
  const server = run(['--cpu-prof', '--cpu-prof-dir', dir, path.join(__dirname, 'server.js'), variant, scenario], (line) => {
    const { port } = JSON.parse(line)
    load = run([path.join(__dirname, 'load.js'), '--port', port, '--scenario', scenario, '--duration', duration, '--warmup', 1]).done.finally(
      () => server.child.kill('SIGTERM')
    )
  })
  await server.done
  const stats = JSON.parse((await load).trim())
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && !before.has(f))
  const summary = summarize(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')))
  if (!args.keep) fs.rmSync(dir, { recursive: true, force: true })
  return { variant, scenario, stats, ...summary }
}

async function main() {
  if (args.summarize) {
    const file = String(args.summarize)
    print(file, summarize(JSON.parse(fs.readFileSync(file, 'utf8'))))
    return
  }
  for (const variant of variants) {
    if (!available(variant)) {
      console.log(`${variant}: not available\n`)
      continue
    }
    const p = await profileVariant(variant)
    const requests = p.stats.totalRequests + (p.stats.warmupRequests || 0)
    print(`${p.variant}, ${p.scenario} sessions, ${duration} s, ${p.stats.reqPerSec.toFixed(0)} req/s under the profiler, ${requests} requests`, p, requests)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
