// FileStore against session-file-store, in the same run.
//
//   npx tsc -p tsconfig.json && node bench/file-store.js [--rounds 5] [--ops 2000] [--dir DIR,DIR] [--out FILE]
//
// Method: every store writes to its own directory under the same base dir (the
// temp dir, then /dev/shm; or --dir). Each
// round runs every operation on every store, the store order rotated from round
// to round, with 16 operations in flight on 500 session IDs (records of ~300
// bytes). Reported: median ops/s per store, and ratios computed within each
// round (ours / theirs), as the median and the min–max over rounds. Torn reads:
// for 2 s readers loop while writers rewrite one session with payloads of
// 40–160 kB; a read that fails, or returns a payload never written, is torn.
// Results go to bench/RESULTS-file-store.md (or --out).
const fs = require('fs')
const os = require('os')
const path = require('path')
const { inFlight, median, parseArgs, removeDir, rotate, mdTable } = require('./common')
const expressSession = require('express-session')
const SessionFileStore = require('session-file-store')(expressSession)
const { FileStore } = require('../dist/stores/file.js')

const args = parseArgs(process.argv.slice(2))
const ROUNDS = Number(args.rounds) || 5
const OPS = Number(args.ops) || 2000
const CONCURRENCY = 16
const OUT = args.out || path.join(__dirname, 'RESULTS-file-store.md')
const IDS = 500
const noLog = () => {}

const OURS = 'sessionware'
const OURS_FSYNC = 'sessionware (fsync: true)'
const THEIRS = 'session-file-store'
const THEIRS_0 = 'session-file-store (retries: 0)'
const MAKE = {
  [OURS]: (dir) => new FileStore({ path: dir, reapInterval: false }),
  [OURS_FSYNC]: (dir) => new FileStore({ path: dir, reapInterval: false, fsync: true }),
  // session-file-store writes through write-file-atomic, which fsyncs; by default it retries a failed read 5 times.
  [THEIRS]: (dir) => new SessionFileStore({ path: dir, reapInterval: -1, logFn: noLog }),
  [THEIRS_0]: (dir) => new SessionFileStore({ path: dir, reapInterval: -1, retries: 0, logFn: noLog })
}
// The pairs compared: [ours, theirs].
const PAIRS = [
  [OURS, THEIRS],
  [OURS, THEIRS_0],
  [OURS_FSYNC, THEIRS]
]
const METHODS = ['set', 'get', 'touch', 'destroy', 'get missing']

const record = (i, blob = 'x'.repeat(200)) => ({
  cookie: { originalMaxAge: 3600000, expires: new Date(Date.now() + 3600000).toISOString(), httpOnly: true, path: '/' },
  user: { id: i, name: 'user' + i },
  blob
})

// Both stores are driven through callbacks; session-file-store answers a missing file with ENOENT,
// which express-session takes as "no session".
const call = (store, method, ...rest) =>
  new Promise((resolve, reject) =>
    store[method](...rest, (err, value) => (err && err.code !== 'ENOENT' ? reject(err) : resolve(err ? null : value)))
  )

// session-file-store's default retries make each miss take ~0.5 s: fewer of those keep the run short.
const opsFor = (method) => (method === 'get missing' ? Math.min(OPS, 400) : OPS)

async function timeOps(store, method, round) {
  const ops = opsFor(method)
  const start = process.hrtime.bigint()
  await inFlight(ops, CONCURRENCY, (i) => {
    const sid = 'sid' + (i % IDS)
    if (method === 'set') return call(store, 'set', sid, record(i))
    if (method === 'get') return call(store, 'get', sid)
    if (method === 'touch') return call(store, 'touch', sid, record(i))
    if (method === 'destroy') return call(store, 'destroy', `gone-${round}-${i}`)
    return call(store, 'get', `missing-${round}-${i}`)
  })
  return ops / (Number(process.hrtime.bigint() - start) / 1e9)
}

async function tornReads(store, ms = 2000) {
  const payloads = [1, 2, 3, 4].map((n) => String(n).repeat(40000 * n))
  await call(store, 'set', 'hot', record(0, payloads[0]))
  const until = Date.now() + ms
  let torn = 0
  let reads = 0
  let writes = 0
  const writer = async () => {
    while (Date.now() < until) await call(store, 'set', 'hot', record(writes, payloads[writes++ % 4]))
  }
  const reader = async () => {
    while (Date.now() < until) {
      reads++
      try {
        const got = await call(store, 'get', 'hot')
        if (!got || !payloads.includes(got.blob)) torn++
      } catch {
        torn++
      }
    }
  }
  await Promise.all([...Array.from({ length: 8 }, writer), ...Array.from({ length: 8 }, reader)])
  return { torn, reads, writes }
}

const spreadOf = (xs) => `${median(xs).toFixed(2)}x (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`
// One set and one get, as a request that loads and saves does: ops/s of the pair.
const setGet = (r, name, i) => 1 / (1 / r[name].set[i] + 1 / r[name].get[i])

// Run every store on every operation, in directories under `base`; returns the report's section.
async function runOn(base) {
  const root = fs.mkdtempSync(path.join(base, 'sessionware-bench-'))
  const names = Object.keys(MAKE)
  const stores = Object.fromEntries(names.map((name, i) => [name, MAKE[name](path.join(root, 'store' + i))]))
  const results = Object.fromEntries(names.map((name) => [name, Object.fromEntries(METHODS.map((m) => [m, []]))]))
  const started = Date.now()
  for (let round = 0; round < ROUNDS; round++) {
    for (const method of METHODS) {
      for (const name of rotate(names, round)) results[name][method].push(await timeOps(stores[name], method, round))
    }
    process.stderr.write(`${base}: round ${round + 1}/${ROUNDS} done\n`)
  }
  const torn = {}
  for (const name of names) torn[name] = await tornReads(stores[name])
  for (const name of names) stores[name].close?.()
  removeDir(root)

  const setGetRatios = ([ours, theirs]) => results[ours].set.map((_, i) => setGet(results, ours, i) / setGet(results, theirs, i))
  const ratioRows = PAIRS.map(([ours, theirs]) => {
    const cells = METHODS.map((m) => spreadOf(results[ours][m].map((v, i) => v / results[theirs][m][i])))
    return [`${ours} ÷ ${theirs}`, ...cells, spreadOf(setGetRatios([ours, theirs]))]
  })
  const aim = median(setGetRatios(PAIRS[0]))
  const tornTotal = names.reduce((sum, n) => sum + torn[n].torn, 0)
  return [
    `## In ${base} (${fs.statfsSync ? fsType(base) : 'file system'}), ${((Date.now() - started) / 1000).toFixed(0)} s`,
    '',
    `set+get: ${aim.toFixed(2)}x session-file-store's defaults (aim: 2x, ${aim >= 2 ? 'met' : 'not met'}); ` +
      `torn reads: ${tornTotal} (aim: 0, ${tornTotal === 0 ? 'met' : 'not met'}).`,
    '',
    'Throughput, median ops/s:',
    '',
    mdTable(['operation', ...names], METHODS.map((m) => [m, ...names.map((n) => median(results[n][m]).toFixed(0))])),
    '',
    'Ratios, ours ÷ theirs within each round, median (min–max):',
    '',
    mdTable(['', ...METHODS, 'set+get'], ratioRows),
    '',
    'Torn reads under concurrent writes:',
    '',
    ...names.map((n) => `- ${n}: ${torn[n].torn} torn of ${torn[n].reads} reads, during ${torn[n].writes} writes`),
    ''
  ]
}

const TMPFS = 0x01021994
const fsType = (dir) => (fs.statfsSync(dir).type === TMPFS ? 'tmpfs, in memory' : 'on disk')

;(async () => {
  const bases = args.dir ? String(args.dir).split(',') : [os.tmpdir(), ...(fs.existsSync('/dev/shm') ? ['/dev/shm'] : [])]
  const out = [
    '# FileStore vs session-file-store',
    '',
    `${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, ` +
      `${os.platform()} ${os.release()}; ${ROUNDS} rounds, ${OPS} ops per operation per round ` +
      `(${opsFor('get missing')} for "get missing"), ${CONCURRENCY} in flight.`,
    '',
    '## Method',
    '',
    '`node bench/file-store.js` (after `npx tsc -p tsconfig.json`), once in the temp dir and once in /dev/shm.',
    'Every store has its own directory on the same file system. Each round runs each operation on every store in',
    'turn, the order of the stores rotated from round to round; 16 operations are in flight, over 500 session IDs,',
    'with records of ~300 bytes. Ratios are computed within a round (this machine is shared and noisy) and',
    'reported as the median and min–max over rounds. "set+get" is one set plus one get, the work of a request that',
    'loads and saves its session. session-file-store runs with its defaults (`retries: 5`, which makes every miss',
    'wait ~0.5 s) and with `retries: 0`; its writes go through write-file-atomic, which fsyncs, so sessionware is',
    'also measured with `fsync: true`. Torn reads: for 2 s, 8 readers loop while 8 writers rewrite one session',
    'with payloads of 40–160 kB; a read that fails or returns a payload never written is torn.',
    ''
  ]
  for (const base of bases) out.push(...(await runOn(base)))
  const text = out.join('\n')
  console.log(text)
  fs.writeFileSync(OUT, text)
  process.exit(0)
})()
