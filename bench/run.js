// Session benchmarks: sessionware against express-session, side by side.
//
//   npm run bench                      build, then everything (about 10 minutes on 2 cores)
//   node bench/run.js --quick          one short round of each part
//   node bench/run.js --only http|middleware|stores [--rounds N] [--duration S] [--slots K] [--out NAME]
//   node bench/run.js --only http --memory [--scenarios existing|new]   bare and the two MemoryStore variants only
//
// A full run (no --quick, no --only) writes bench/results/latest.json and
// latest.md, the figures the README quotes; a quick or partial run writes
// bench/results/partial.json.tmp and partial.md.tmp instead (ignored by git),
// unless --out NAME says where (bench/results/NAME.json and NAME.md). The method
// is described in METHOD below (and in the .md).
const { spawn } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const {
  VARIANTS, FileStore, available, parseArgs, spread, rotate, fmt, fmtRatio, table, mdTable
} = require('./common')

const args = parseArgs(process.argv.slice(2))
const QUICK = !!args.quick
// Rounds: --rounds N sets every part; by default HTTP, the noisiest, gets 5, the stores 3, the middleware 5.
const ROUNDS = Number(args.rounds || (QUICK ? 1 : 3))
const HTTP_ROUNDS = Number(args.rounds || (QUICK ? 1 : 5))
const MIDDLEWARE_ROUNDS = Number(args.rounds || (QUICK ? 2 : 5))
const DURATION = Number(args.duration || (QUICK ? 2 : 4)) // measured seconds per variant per round
const SLOTS = Number(args.slots || (QUICK ? 2 : 4)) // cut into this many interleaved slots
const WARMUP = QUICK ? 0.5 : 1
const CONNECTIONS = 50
const PARTS = args.only ? String(args.only).split(',') : ['http', 'middleware', 'stores']
const RESULTS = path.join(__dirname, 'results')

const METHOD = `\
HTTP: each variant is an Express 5 app in its own child process (bench/server.js) on 127.0.0.1, whose route reads and
increments req.session.count; autocannon ${require('autocannon/package.json').version} runs in another child process (bench/load.js) with
${CONNECTIONS} connections. "existing": the server pre-creates 1,000 sessions in its store and every request carries the
next cookie of that pool (saveUninitialized: false, resave: false); "new": no request carries a cookie, so every request
starts and saves a new session (saveUninitialized: true). In each round, for each scenario, fresh servers of all the
variants are started together; the load process warms each up for ${WARMUP} s, then drives them in turn in ${SLOTS} slots of
${DURATION / SLOTS} s each (${DURATION} s measured per variant per round), the order rotated by one every slot and every round, so
that drift on the machine slower than a few seconds hits every variant alike. Server CPU is process.cpuUsage() (user +
system), reset through GET /__cpu just before the server's slot and read just after (that route comes before the
session middleware and is not counted), summed over its slots and divided by the requests it served in them. Session
overhead = CPU µs/request of the variant minus that of bare Express in the same round. Ratios (sessionware /
express-session, both with their MemoryStore, or FileStore / session-file-store) are computed per round; reported as
median (min–max) over ${HTTP_ROUNDS} rounds; p99 is the median of a variant's slots. The "floor" variant is a middleware that only
assigns req.session = {} (no cookie, no store): its overhead is what Express charges any session middleware (one more
layer, one property added to a request), so its req/s against express-session's is the most any session middleware
could reach in this app. The "contract" floor does what express-session's contract asks of any implementation and
nothing else: req.sessionStore, req.sessionID and req.session added, res.writeHead and res.end wrapped (passing
through); Express sets every request's and response's prototype, and V8 then records no hidden-class transition
for them, so each added property costs a new hidden class. The load generator shares the machine's two
cores with the server, so req/s is a relative figure; CPU per request is the steadier one.
Middleware: in one process, real http.IncomingMessage / ServerResponse pairs over a Duplex socket that discards output,
run one after another to 'finish' (bench/middleware.js): existing session left unchanged, existing session modified,
new session; both middlewares with a MemoryStore holding the same 1,000 sessions; overhead = time per request minus
that of the same request without middleware, per round, order rotated per round. Two frames: the middleware called
directly with a handler that calls res.end(), and inside an Express 5 app with the HTTP server's route (res.send()),
called as app(req, res). Socket writes per response are counted: a response written in several pieces costs a
syscall and a packet each over a real socket, which only the HTTP benchmark pays.
Stores (bench/stores.js): after a warm-up on a throwaway store, each store is filled with N sessions (timed as "insert"), then get / set (overwrite) / touch /
get missing / destroy on random IDs of the N, 16 operations in flight, stores of a group in rotated order per round.
Memory per session: a fresh process run with --expose-gc; heapUsed after gc() before and after setting N sessions whose
IDs and records are made inside the window, divided by N (what the store retains, its copy of the ID included).
File stores write to their own temp directory under ${os.tmpdir()}, removed afterwards.`

// --memory: bare and the MemoryStore pair only, for quick iterations on the target scenario.
const HTTP_VARIANTS = Object.keys(VARIANTS).filter((v) => !args.memory || VARIANTS[v].store === null || v.endsWith('MemoryStore'))
const SCENARIOS = args.scenarios ? String(args.scenarios).split(',') : ['existing', 'new']

function runNode(script, argv, { nodeArgs = [], onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, script), ...argv], {
      stdio: ['ignore', 'pipe', 'inherit']
    })
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (onLine) {
        let nl
        while ((nl = out.indexOf('\n')) !== -1) {
          const line = out.slice(0, nl)
          out = out.slice(nl + 1)
          onLine(line, child)
        }
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      code === 0 || signal === 'SIGTERM' ? resolve(out) : reject(new Error(`${script} ${argv.join(' ')} exited ${code ?? signal}`))
    )
  })
}

const lastJson = (text) => JSON.parse(text.trim().split('\n').pop())

// Other benchmark runs (bench/run.js, or their servers) on the machine at the same time spoil both runs' figures;
// each part records the ones it saw, and the load average, so the report can say so.
const contention = { otherRuns: new Set(), maxLoadAvg: 0 }
function checkContention() {
  contention.maxLoadAvg = Math.max(contention.maxLoadAvg, os.loadavg()[0])
  let pids = []
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return
  }
  // This run, and the processes that started it (`npm run bench` runs it through a shell that names it).
  const mine = new Set([String(process.pid)])
  for (let pid = String(process.ppid); pid && pid !== '0' && pid !== '1'; ) {
    mine.add(pid)
    try {
      pid = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]
    } catch {
      break
    }
  }
  for (const pid of pids) {
    let cmd
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
      if (mine.has(pid) || !/bench\/(run|server|load|middleware|stores|file-store|redis-store|memory-sweep|profile)\.js/.test(cmd)) continue
      const ppid = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]
      if (ppid === String(process.pid)) continue // our own children
    } catch {
      continue
    }
    const m = cmd.match(/bench\/(\w[\w-]*)\.js(.*)/)
    contention.otherRuns.add(m[1] === 'run' ? `bench/run.js${m[2]}`.trim() : `bench/${m[1]}.js`)
  }
}

// Starts one server; resolves to { port, child, exited } once it listens.
function startServer(variant, scenario) {
  return new Promise((resolve, reject) => {
    let listening = false
    let child
    const exited = runNode('server.js', [variant, scenario], {
      onLine: (line, c) => {
        child = c
        listening = true
        resolve({ port: JSON.parse(line).port, child, exited })
      }
    })
    exited.then(
      () => listening || reject(new Error(`server.js ${variant} ${scenario} exited before listening`)),
      reject
    )
  })
}

// One round of one scenario: every variant's server up at once (idle but for its own slots), one load.js
// process driving them in turn, slot by slot (see bench/load.js). Resolves to { variant: result }.
async function httpRoundOnce(variants, scenario, rotation) {
  checkContention()
  const servers = {}
  try {
    for (const v of variants) servers[v] = await startServer(v, scenario)
    const targets = Object.fromEntries(variants.map((v) => [v, servers[v].port]))
    const out = await runNode('load.js', [
      '--targets', JSON.stringify(targets), '--scenario', scenario, '--slots', SLOTS, '--slot', DURATION / SLOTS,
      '--warmup', WARMUP, '--connections', CONNECTIONS, '--rotate', rotation
    ])
    return lastJson(out).targets
  } finally {
    for (const s of Object.values(servers)) s.child.kill('SIGTERM')
    await Promise.allSettled(Object.values(servers).map((s) => s.exited))
  }
}

// A round that fails (a server that dies, a load process that cannot connect) is tried once more, and said.
async function httpRound(variants, scenario, rotation) {
  try {
    return await httpRoundOnce(variants, scenario, rotation)
  } catch (err) {
    console.error(`  ${scenario} round failed (${err.message}); running it again`)
    return httpRoundOnce(variants, scenario, rotation)
  }
}

async function http() {
  const variants = HTTP_VARIANTS.filter(available)
  const raw = Object.fromEntries(SCENARIOS.map((s) => [s, Object.fromEntries(variants.map((v) => [v, []]))]))
  for (let r = 0; r < HTTP_ROUNDS; r++) {
    for (const scenario of SCENARIOS) {
      const results = await httpRound(variants, scenario, r + SCENARIOS.indexOf(scenario))
      for (const variant of variants) {
        const res = results[variant]
        raw[scenario][variant].push(res)
        const bad = res.errors + res.timeouts + res.non2xx
        console.error(
          `  http round ${r + 1}/${HTTP_ROUNDS} ${scenario} ${variant}: ${fmt(res.reqPerSec)} req/s, p99 ${res.p99Ms} ms, ` +
            `${fmt(res.cpuUsPerRequest, 1)} µs CPU/req${bad ? `, ${bad} errors/non-2xx` : ''}`
        )
      }
    }
  }
  const out = { available: variants, notAvailable: HTTP_VARIANTS.filter((v) => !available(v)), scenarios: {} }
  for (const scenario of SCENARIOS) {
    const byV = raw[scenario]
    const overhead = (v, r) => byV[v][r].cpuUsPerRequest - byV.bare[r].cpuUsPerRequest
    const perRound = (fn) => spread(byV.bare.map((_, r) => fn(r)))
    const userPer = (v, r) => byV[v][r].serverUserUs / byV[v][r].serverRequests
    const sysPer = (v, r) => byV[v][r].serverSystemUs / byV[v][r].serverRequests
    const variantsOut = {}
    for (const v of variants) {
      variantsOut[v] = {
        reqPerSec: spread(byV[v].map((x) => x.reqPerSec)),
        p99Ms: spread(byV[v].map((x) => x.p99Ms)),
        cpuUsPerRequest: spread(byV[v].map((x) => x.cpuUsPerRequest)),
        overheadUsPerRequest: v === 'bare' ? null : perRound((r) => overhead(v, r)),
        systemUsPerRequest: spread(byV[v].map((x) => x.serverSystemUs / x.serverRequests)),
        overheadUserUs: v === 'bare' ? null : perRound((r) => userPer(v, r) - userPer('bare', r)),
        overheadSystemUs: v === 'bare' ? null : perRound((r) => sysPer(v, r) - sysPer('bare', r)),
        errors: byV[v].reduce((a, x) => a + x.errors + x.timeouts + x.non2xx, 0),
        rounds: byV[v]
      }
    }
    const pairs = [['sessionware + MemoryStore', 'express-session + MemoryStore']]
    if (variants.includes('floor: req.session assigned only')) pairs.push(['floor: req.session assigned only', 'express-session + MemoryStore'])
    if (variants.includes("floor: express-session's contract only")) pairs.push(["floor: express-session's contract only", 'express-session + MemoryStore'])
    if (variants.includes('sessionware + FileStore')) pairs.push(['sessionware + FileStore', 'express-session + session-file-store'])
    const compared = 'sessionware (BENCH_COMPARE_DIST) + MemoryStore'
    if (variants.includes(compared)) pairs.push([compared, 'express-session + MemoryStore'], ['sessionware + MemoryStore', compared])
    const ratios = {}
    for (const [ours, theirs] of pairs) {
      ratios[`${ours} / ${theirs}`] = {
        overhead: perRound((r) => overhead(ours, r) / overhead(theirs, r)),
        overheadUser: perRound((r) => (userPer(ours, r) - userPer('bare', r)) / (userPer(theirs, r) - userPer('bare', r))),
        reqPerSec: perRound((r) => byV[ours][r].reqPerSec / byV[theirs][r].reqPerSec),
        p99: perRound((r) => byV[ours][r].p99Ms / byV[theirs][r].p99Ms)
      }
    }
    out.scenarios[scenario] = { variants: variantsOut, ratios }
  }
  return out
}

async function middleware() {
  const argv = ['--rounds', MIDDLEWARE_ROUNDS, '--requests', QUICK ? 2000 : 10000]
  return lastJson(await runNode('middleware.js', argv))
}

async function stores() {
  const sizes = QUICK ? '1000,10000' : '1000,10000,100000'
  const fileSizes = QUICK ? '1000' : '1000,10000'
  const argv = ['--rounds', ROUNDS, '--sizes', sizes, '--file-sizes', fileSizes, '--ops', QUICK ? 2000 : 10000, '--file-ops', QUICK ? 300 : 1000]
  const ops = lastJson(await runNode('stores.js', argv))
  const memory = {}
  for (const size of sizes.split(',')) {
    const byStore = { 'sessionware MemoryStore': [], 'express-session MemoryStore': [] }
    for (let r = 0; r < ROUNDS; r++) {
      for (const store of rotate(Object.keys(byStore), r)) {
        const res = lastJson(await runNode('stores.js', ['--memory', store, '--size', size], { nodeArgs: ['--expose-gc'] }))
        byStore[store].push(res.bytesPerSession)
      }
    }
    memory[size] = Object.fromEntries(Object.entries(byStore).map(([k, xs]) => [k, spread(xs)]))
  }
  return { ...ops, heapBytesPerSession: memory }
}

// ---- reporting ----

function report(results) {
  const sections = []
  const add = (title, headers, rows, note) => sections.push({ title, headers, rows, note })
  const h = results.http
  if (h) {
    for (const [scenario, s] of Object.entries(h.scenarios)) {
      const label = scenario === 'existing' ? 'existing sessions (pool of 1,000), read and increment' : 'new session on every request'
      add(
        `HTTP, ${label}: median (min–max) over ${results.httpRounds || results.rounds} rounds`,
        ['variant', 'req/s', 'p99 ms', 'server CPU µs/req', 'of which system', 'session overhead µs/req', 'overhead user, system', 'errors'],
        Object.entries(s.variants).map(([v, x]) => [
          v,
          `${fmt(x.reqPerSec.median)} (${fmt(x.reqPerSec.min)}–${fmt(x.reqPerSec.max)})`,
          `${fmt(x.p99Ms.median)} (${fmt(x.p99Ms.min)}–${fmt(x.p99Ms.max)})`,
          `${fmt(x.cpuUsPerRequest.median, 1)} (${fmt(x.cpuUsPerRequest.min, 1)}–${fmt(x.cpuUsPerRequest.max, 1)})`,
          x.systemUsPerRequest ? fmt(x.systemUsPerRequest.median, 1) : 'n/a',
          x.overheadUsPerRequest
            ? `${fmt(x.overheadUsPerRequest.median, 1)} (${fmt(x.overheadUsPerRequest.min, 1)}–${fmt(x.overheadUsPerRequest.max, 1)})`
            : '—',
          x.overheadUserUs ? `${fmt(x.overheadUserUs.median, 1)}, ${fmt(x.overheadSystemUs.median, 1)}` : '—',
          x.errors
        ]).concat(h.notAvailable.map((v) => [v, 'not available', '', '', '', '', '', '']))
      )
      add(
        `HTTP, ${label}: ratios within each round, median (min–max)`,
        ['pair', 'session CPU overhead', 'user CPU only', 'req/s', 'p99'],
        Object.entries(s.ratios).map(([pair, x]) => [pair, fmtRatio(x.overhead), fmtRatio(x.overheadUser), fmtRatio(x.reqPerSec), fmtRatio(x.p99)])
      )
    }
    const t = h.scenarios.existing.ratios['sessionware + MemoryStore / express-session + MemoryStore']
    const floor = h.scenarios.existing.ratios["floor: express-session's contract only / express-session + MemoryStore"]
    const ok = (b) => (b ? 'met' : 'NOT met')
    const rows = [['req/s ≥ 1.4× express-session + MemoryStore', fmtRatio(t.reqPerSec), ok(t.reqPerSec.median >= 1.4)]]
    if (floor) rows.push(["(the contract floor's req/s, for reference)", fmtRatio(floor.reqPerSec), ''])
    const express = results.middleware && results.middleware.frames && results.middleware.frames.express
    if (express) {
      for (const [kind, budget] of [['unchanged', 0.35], ['modified', 0.35], ['new', 0.45]]) {
        const ratio = express[kind].overheadRatio
        rows.push([`inside Express 5, ${kind} session: overhead ≤ ${budget}× express-session's`, fmtRatio(ratio), ok(ratio.median <= budget)])
      }
    }
    add('Budget (issue "One honest path"): read and increment, MemoryStore', ['target', 'measured (median, min–max)', 'result'], rows)
  }
  const m = results.middleware
  if (m) {
    const frames = m.frames || { node: m.cases }
    for (const [frame, cases] of Object.entries(frames)) {
      const where = frame === 'express'
        ? 'inside an Express 5 app, as the HTTP server runs it'
        : 'middleware called directly, handler calls res.end()'
      add(
        `Middleware cost in process, ${where} (ns/request, median over ${m.rounds} rounds × ${m.requests} requests)`,
        ['case', 'no middleware', 'express-session', 'sessionware', 'overhead es', 'overhead sw', 'overhead sw/es', 'speed es/sw time', 'socket writes/resp es, sw'],
        Object.entries(cases).map(([kind, c]) => [
          kind,
          fmt(c.wallNs.bare.median),
          fmt(c.wallNs['express-session'].median),
          fmt(c.wallNs.sessionware.median),
          fmt(c.overheadNs['express-session'].median),
          fmt(c.overheadNs.sessionware.median),
          fmtRatio(c.overheadRatio),
          fmtRatio(c.speedRatio),
          c.writesPerResponse ? `${fmt(c.writesPerResponse['express-session'])}, ${fmt(c.writesPerResponse.sessionware)}` : 'n/a'
        ])
      )
    }
  }
  const st = results.stores
  if (st) {
    const groupRows = (groups, ours, theirs) =>
      Object.entries(groups).flatMap(([size, ops]) =>
        Object.entries(ops).map(([op, x]) => [
          size,
          op,
          fmt(x.opsPerSec[ours].median),
          ...theirs.flatMap((t) => [fmt(x.opsPerSec[t].median), fmtRatio(x.ratio[t])])
        ])
      )
    add(
      `MemoryStore ops/s (${st.concurrency} in flight), median over ${st.rounds} rounds`,
      ['sessions', 'op', 'sessionware', 'express-session', 'ratio sw/es (min–max)'],
      groupRows(st.memory, 'sessionware MemoryStore', ['express-session MemoryStore'])
    )
    const sizes = Object.keys(st.memory)
    if (sizes.length > 1) {
      const first = sizes[0]
      add(
        `MemoryStore scaling: ops/s at N sessions ÷ ops/s at ${first}`,
        ['sessions', 'op', 'sessionware', 'express-session'],
        sizes.slice(1).flatMap((size) =>
          ['get', 'set', 'touch', 'destroy'].map((op) => [
            size,
            op,
            ...['sessionware MemoryStore', 'express-session MemoryStore'].map((s) =>
              fmt(st.memory[size][op].opsPerSec[s].median / st.memory[first][op].opsPerSec[s].median, 2)
            )
          ])
        )
      )
    }
    add(
      'Heap retained per session (bytes, --expose-gc), median (min–max)',
      ['sessions', 'sessionware MemoryStore', 'express-session MemoryStore', 'ratio sw/es'],
      Object.entries(st.heapBytesPerSession).map(([size, x]) => {
        const a = x['sessionware MemoryStore'], b = x['express-session MemoryStore']
        return [size, `${fmt(a.median)} (${fmt(a.min)}–${fmt(a.max)})`, `${fmt(b.median)} (${fmt(b.min)}–${fmt(b.max)})`, fmt(a.median / b.median, 2)]
      })
    )
    if (st.file) {
      add(
        `FileStore ops/s (${st.concurrency} in flight), median over ${st.rounds} rounds`,
        ['sessions', 'op', 'sessionware FileStore', 'session-file-store', 'ratio', 'sfs retries: 0', 'ratio'],
        groupRows(st.file, 'sessionware FileStore', ['session-file-store', 'session-file-store (retries: 0)'])
      )
    } else {
      add('FileStore ops/s', ['store'], [['sessionware FileStore: not available']])
    }
  }
  return sections
}

async function main() {
  const started = new Date()
  const results = {
    date: started.toISOString(),
    node: process.version,
    cpu: `${os.cpus()[0]?.model || 'unknown'} × ${os.cpus().length}`,
    platform: `${os.platform()} ${os.release()}`,
    quick: QUICK,
    rounds: ROUNDS,
    httpRounds: HTTP_ROUNDS,
    durationSeconds: DURATION,
    slots: SLOTS,
    connections: CONNECTIONS,
    fileStore: FileStore ? 'available' : 'not available',
    method: METHOD
  }
  for (const part of PARTS) {
    const t0 = Date.now()
    console.error(`== ${part}`)
    checkContention()
    if (part === 'http') results.http = await http()
    else if (part === 'middleware') results.middleware = await middleware()
    else if (part === 'stores') results.stores = await stores()
    else throw new Error(`unknown part ${part}`)
    console.error(`   ${part} took ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  }
  checkContention()
  results.totalSeconds = (Date.now() - started) / 1000
  results.contention = { maxLoadAvg1m: contention.maxLoadAvg, otherBenchmarkProcesses: [...contention.otherRuns] }
  if (contention.otherRuns.size) {
    results.warning = `other benchmark processes ran during this run (${[...contention.otherRuns].join('; ')}): its figures are unreliable`
    console.error('WARNING: ' + results.warning)
  }

  const sections = report(results)
  const header = `sessionware benchmarks — ${results.date}, node ${results.node}, ${results.cpu}, ${results.platform}` +
    `${QUICK ? ' (quick)' : ''}, ${HTTP_ROUNDS} HTTP / ${MIDDLEWARE_ROUNDS} middleware / ${ROUNDS} store round(s), ${results.totalSeconds.toFixed(0)} s`
  const warning = results.warning ? `**Warning:** ${results.warning}.` : ''
  const loadNote = `Highest 1-minute load average seen during the run: ${contention.maxLoadAvg.toFixed(2)} on ${os.cpus().length} cores.`
  console.log(header + '\n' + (warning ? warning + '\n' : '') + loadNote + '\n')
  for (const s of sections) console.log(s.title + '\n' + table(s.headers, s.rows) + '\n')

  fs.mkdirSync(RESULTS, { recursive: true })
  const full = !QUICK && !args.only && !args.memory && !args.scenarios
  const [jsonFile, mdFile] = args.out
    ? [`${args.out}.json`, `${args.out}.md`]
    : full ? ['latest.json', 'latest.md'] : ['partial.json.tmp', 'partial.md.tmp']
  fs.writeFileSync(path.join(RESULTS, jsonFile), JSON.stringify(results, null, 2) + '\n')
  const md = [
    `# ${header}`,
    '',
    ...(warning ? [warning, ''] : []),
    loadNote,
    '',
    ...sections.flatMap((s) => [`## ${s.title}`, '', mdTable(s.headers, s.rows), '']),
    '## Method',
    '',
    METHOD.replace(/\n(?!\n)/g, ' '),
    '',
    'Reproduce: `npm run bench` (or `node bench/run.js --quick`, `--only http|middleware|stores`, `--rounds N`, `--duration S`, `--slots K`, `--out NAME`).',
    ''
  ].join('\n')
  fs.writeFileSync(path.join(RESULTS, mdFile), md)
  console.error(`wrote ${path.relative(process.cwd(), path.join(RESULTS, mdFile))} and ${jsonFile}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
