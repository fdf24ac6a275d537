// Where the server's CPU goes under load:
//   npm run build && node bench/profile.js [--variant "sessionware + MemoryStore"] [--scenario existing|new]
//     [--duration 5] [--top 15] [--keep DIR]
//
// Runs bench/server.js under `node --cpu-prof` while bench/load.js drives it
// (same load as the HTTP benchmark), stops it, and prints the functions with
// the most self time, aggregated over the .cpuprofile's samples by function
// name + url:line. Without --variant both "sessionware + MemoryStore" and
// "express-session + MemoryStore" are profiled. --keep DIR keeps the profiles.
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

// Self time per function: each sample's time delta goes to the node it hit.
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] || 0
    const { functionName, url, lineNumber } = byId.get(id).callFrame
    const where = url ? `${url.replace('file://' + root + '/', '').replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : ''
    const key = `${functionName || '(anonymous)'}\t${where}`
    self.set(key, (self.get(key) || 0) + dt)
    total += dt
  })
  return {
    totalMs: total / 1000,
    rows: [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, us]) => {
      const [fn, where] = key.split('\t')
      return { function: fn, where, selfMs: us / 1000, percent: (100 * us) / total }
    })
  }
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
  for (const variant of variants) {
    if (!available(variant)) {
      console.log(`${variant}: not available\n`)
      continue
    }
    const p = await profileVariant(variant)
    console.log(
      `${p.variant}, ${p.scenario} sessions, ${duration} s: ${p.stats.reqPerSec.toFixed(0)} req/s under the profiler, ` +
        `${p.totalMs.toFixed(0)} ms sampled; top ${top} by self time`
    )
    console.log(
      table(
        ['self ms', '%', 'function', 'where'],
        p.rows.map((r) => [r.selfMs.toFixed(1), r.percent.toFixed(1), r.function, r.where])
      ) + '\n'
    )
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
