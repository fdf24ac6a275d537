// One FileStore reap over large sessions: the longest event-loop block and the peak memory it adds.
//
//   npx tsc -p tsconfig.json && node bench/file-reap.js [--sessions 128] [--size 1048576] [--live 0.25] [--encoding utf8] [--rounds 3] [--dir DIR]
//
// Method: writes --sessions session files of --size characters each (bytes, in utf8), a --live
// share of them expiring in an hour and the rest expired an hour ago, into a fresh temp dir, the way
// FileStore writes them, and makes a store on that dir with its timer off. After a GC
// and a settle, one store.reap() runs while
//   - block: a 1 ms setInterval probe records the longest gap between its runs, minus
//     the 1 ms it asked for (perf_hooks.monitorEventLoopDelay's max is printed too);
//   - memory: process.memoryUsage() is sampled every 1 ms and at the end; reported is
//     the peak rise over the baseline, of RSS and of heap used + external + array buffers.
// Each run does --rounds reaps, each on freshly written files; printed per round and the max.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { monitorEventLoopDelay, performance } = require('perf_hooks')
const v8 = require('v8')
const vm = require('vm')
const { FileStore } = require('../dist/stores/file.js')

// A baseline taken after a full GC: the files' strings written just before are not counted.
v8.setFlagsFromString('--expose-gc')
const gc = global.gc || vm.runInNewContext('gc')

const args = {}
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]
const SESSIONS = Number(args.sessions) || 128
const SIZE = Number(args.size) || 1024 * 1024
const LIVE = args.live === undefined ? 0.25 : Number(args.live)
const ENCODING = args.encoding || 'utf8'
const ROUNDS = Number(args.rounds) || 3
const MB = 1024 * 1024

function sessionJson(expires, size) {
  const head = JSON.stringify({ expires, session: { cookie: { originalMaxAge: 3600_000, expires: new Date(expires).toISOString(), path: '/' }, blob: '' } })
  // Pad the blob so the file is `size` bytes in utf8 (ASCII only, so the same length in chars).
  return head.replace('"blob":""', `"blob":"${'x'.repeat(Math.max(0, size - head.length))}"`)
}

function writeSessions(dir) {
  const now = Date.now()
  const live = Math.round(SESSIONS * LIVE)
  const expired = sessionJson(now - 3600_000, SIZE)
  const fresh = sessionJson(now + 3600_000, SIZE)
  for (let i = 0; i < SESSIONS; i++) {
    const name = Buffer.from(`sid-${i}`).toString('hex') + '.json'
    fs.writeFileSync(path.join(dir, name), i < live ? fresh : expired, { encoding: ENCODING, mode: 0o600 })
  }
  return live
}

const memory = () => {
  const m = process.memoryUsage()
  return { rss: m.rss, js: m.heapUsed + m.external + m.arrayBuffers }
}
const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function round(dir) {
  const live = writeSessions(dir)
  const store = new FileStore({ path: dir, reapInterval: false, encoding: ENCODING })
  gc()
  await settle(100)
  gc()
  const base = memory()
  let peak = { ...base }
  let block = 0
  let last = performance.now()
  const probe = setInterval(() => {
    const now = performance.now()
    block = Math.max(block, now - last - 1)
    last = now
    const m = memory()
    peak = { rss: Math.max(peak.rss, m.rss), js: Math.max(peak.js, m.js) }
  }, 1)
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  const start = performance.now()
  await store.reap()
  const took = performance.now() - start
  const m = memory()
  peak = { rss: Math.max(peak.rss, m.rss), js: Math.max(peak.js, m.js) }
  block = Math.max(block, performance.now() - last - 1)
  histogram.disable()
  clearInterval(probe)
  store.close()
  const left = fs.readdirSync(dir).length
  for (const name of fs.readdirSync(dir)) fs.unlinkSync(path.join(dir, name))
  return {
    took,
    block,
    histMax: histogram.max / 1e6,
    rss: (peak.rss - base.rss) / MB,
    js: (peak.js - base.js) / MB,
    left,
    live
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(args.dir || os.tmpdir(), 'sessionware-reap-'))
  const results = []
  try {
    for (let i = 0; i < ROUNDS; i++) results.push(await round(dir))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const f = (n) => n.toFixed(1)
  console.log(`FileStore reap: ${SESSIONS} sessions of ${f(SIZE / MB)} MB (${ENCODING}), ${Math.round(SESSIONS * LIVE)} live, node ${process.version}`)
  console.log('method: 1 ms setInterval probe (longest gap - 1 ms) and monitorEventLoopDelay max; memory sampled every 1 ms, peak minus pre-reap baseline')
  for (const [i, r] of results.entries()) {
    const ok = r.left === r.live ? '' : ` (left ${r.left} files, expected ${r.live})`
    console.log(`round ${i + 1}: reap ${f(r.took)} ms, longest block ${f(r.block)} ms (histogram max ${f(r.histMax)} ms), peak +${f(r.rss)} MB RSS, +${f(r.js)} MB heap+external${ok}`)
  }
  const max = (key) => Math.max(...results.map((r) => r[key]))
  console.log(`max over ${ROUNDS} rounds: longest block ${f(max('block'))} ms (histogram ${f(max('histMax'))} ms), peak +${f(max('rss'))} MB RSS, +${f(max('js'))} MB heap+external`)
  if (results.some((r) => r.left !== r.live)) process.exitCode = 1
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
