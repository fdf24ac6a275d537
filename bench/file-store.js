// FileStore against session-file-store, in the same run.
//
//   npm run build && node bench/file-store.js [--rounds 5] [--ops 2000]
//
// Method: both stores write to their own temp directory on the same disk.
// Each round runs every operation for both stores, the order alternating
// between rounds, with `concurrency` operations in flight. Reported: median
// ops/s per store and the median ratio (ours / theirs) with its min–max over
// rounds. Torn reads: readers run while writers rewrite one session with
// payloads of different sizes; a read that fails to parse or returns a payload
// that was never written counts as torn (a missing file counts as a miss).
const fs = require('fs')
const os = require('os')
const path = require('path')
const { inFlight } = require('./common')
const FileStoreFactory = require('session-file-store')
const expressSession = require('express-session')
const { FileStore } = require('../dist/stores/file.js')

const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.indexOf('--' + name)
  return i === -1 ? fallback : Number(args[i + 1])
}
const ROUNDS = flag('rounds', 5)
const OPS = flag('ops', 2000)
const CONCURRENCY = 16
const SessionFileStore = FileStoreFactory(expressSession)
const noLog = () => {}

function record(i, size = 200) {
  return {
    cookie: { originalMaxAge: 3600000, expires: new Date(Date.now() + 3600000).toISOString(), httpOnly: true, path: '/' },
    user: { id: i, name: 'user' + i },
    blob: 'x'.repeat(size)
  }
}

// ENOENT means "no session" to express-session; session-file-store answers a missing file with it.
const call = (store, method, ...rest) =>
  new Promise((resolve, reject) =>
    store[method](...rest, (err, value) => (err && err.code !== 'ENOENT' ? reject(err) : resolve(err ? null : value)))
  )

function makeStores() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-bench-'))
  return {
    root,
    stores: {
      sessionware: new FileStore({ path: path.join(root, 'ours'), reapInterval: false }),
      'session-file-store': new SessionFileStore({ path: path.join(root, 'theirs'), reapInterval: -1, logFn: noLog }),
      'session-file-store (retries: 0)': new SessionFileStore({ path: path.join(root, 'theirs-0'), reapInterval: -1, retries: 0, logFn: noLog })
    }
  }
}

const pool = (count, work) => inFlight(count, CONCURRENCY, work)

async function timeOps(store, method) {
  const start = process.hrtime.bigint()
  await pool(OPS, (i) => {
    const sid = 'sid' + (i % 500)
    if (method === 'set') return call(store, 'set', sid, record(i))
    if (method === 'get') return call(store, 'get', sid)
    if (method === 'touch') return call(store, 'touch', sid, record(i))
    if (method === 'destroy') return call(store, 'destroy', 'gone' + i)
    if (method === 'get missing') return call(store, 'get', 'missing' + i)
  })
  return OPS / (Number(process.hrtime.bigint() - start) / 1e9)
}

async function tornReads(store) {
  const payloads = [1, 2, 3, 4].map((n) => 'p'.repeat(40000 * n))
  await call(store, 'set', 'hot', { ...record(0), blob: payloads[0] })
  let torn = 0
  let reads = 0
  const writers = pool(400, (i) => call(store, 'set', 'hot', { ...record(i), blob: payloads[i % 4] }))
  const readers = pool(400, async () => {
    reads++
    try {
      const got = await call(store, 'get', 'hot')
      if (got && !payloads.includes(got.blob)) torn++
    } catch {
      torn++
    }
  })
  await Promise.all([writers, readers])
  return { torn, reads }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

;(async () => {
  const { root, stores } = makeStores()
  const names = Object.keys(stores)
  const methods = ['set', 'get', 'touch', 'destroy', 'get missing']
  const results = {}
  for (const name of names) for (const method of methods) results[`${name}|${method}`] = []
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...names].reverse() : names
    for (const method of methods) for (const name of order) results[`${name}|${method}`].push(await timeOps(stores[name], method))
  }
  const torn = {}
  for (const name of names) torn[name] = await tornReads(stores[name])

  const lines = [`FileStore benchmark, ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0].model}, ${ROUNDS} rounds x ${OPS} ops, ${CONCURRENCY} in flight`, '']
  lines.push('| operation | sessionware ops/s | session-file-store ops/s | ratio (min–max) | session-file-store retries:0 ops/s | ratio (min–max) |')
  lines.push('|---|---|---|---|---|---|')
  for (const method of methods) {
    const ours = results[`sessionware|${method}`]
    const cells = [method, median(ours).toFixed(0)]
    for (const theirsName of ['session-file-store', 'session-file-store (retries: 0)']) {
      const theirs = results[`${theirsName}|${method}`]
      const ratios = ours.map((v, i) => v / theirs[i])
      const cell = `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
      if (theirsName === 'session-file-store') cells.push(median(theirs).toFixed(0), cell)
      else cells.push(median(theirs).toFixed(0), cell)
    }
    lines.push('| ' + cells.join(' | ') + ' |')
  }
  const setGet = (name) => results[`${name}|set`].map((s, i) => 2 / (1 / s + 1 / results[`${name}|get`][i]))
  const sg = setGet('sessionware').map((v, i) => v / setGet('session-file-store')[i])
  lines.push('', `set+get combined: ${median(sg).toFixed(2)}x session-file-store (min ${Math.min(...sg).toFixed(2)}, max ${Math.max(...sg).toFixed(2)})`)
  lines.push('', 'Torn reads under concurrent writes (400 writes of 40–160 kB, 400 reads):')
  for (const name of names) lines.push(`- ${name}: ${torn[name].torn} torn of ${torn[name].reads} reads`)
  const text = lines.join('\n')
  console.log(text)
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true })
  fs.writeFileSync(path.join(__dirname, 'results', 'file-store.md'), text + '\n')
  stores.sessionware.close()
  fs.rmSync(root, { recursive: true, force: true })
  process.exit(0)
})()
