// Store operations per second and their scaling with the number of sessions held.
//   node bench/stores.js [--rounds 3] [--sizes 1000,10000,100000] [--file-sizes 1000,10000] [--ops 10000] [--file-ops 1000]
//   node --expose-gc bench/stores.js --memory "<store>" --size N      (heap bytes per session, one JSON line)
//
// Each store class first warms up on a throwaway store (500 sessions, every
// operation once). Per size, every store of a group is filled with N sessions
// (the fill is timed as "insert"), then each round runs get / set (overwrite) / touch /
// get missing / destroy on random IDs of the N, 16 operations in flight, for
// every store of the group in a rotated order. Destroyed sessions are put back
// (untimed) before the next operation. Prints one JSON line.
const { STORES, poolId, record, call, parseArgs, spread, rotate, removeDir, inFlight } = require('./common')

const args = parseArgs(process.argv.slice(2))
const CONCURRENCY = 16
const list = (s, fallback) => String(s || fallback).split(',').map(Number)

const pool = (count, work) => inFlight(count, CONCURRENCY, work)

async function timed(count, work) {
  const t0 = process.hrtime.bigint()
  await pool(count, work)
  return count / (Number(process.hrtime.bigint() - t0) / 1e9)
}

const sessionRecord = (i) => record({ count: i, user: 'user' + i })

// Random indexes, the same for every store of a round.
function sample(n, m, seed) {
  let x = seed * 2654435761 + 1
  return Array.from({ length: m }, () => {
    x = (x * 1103515245 + 12345) % 2147483648
    return x % n
  })
}

async function fill(store, ids) {
  return timed(ids.length, (i) => call(store, 'set', ids[i], sessionRecord(i)))
}

const OPS = {
  get: (store, ids, picks) => timed(picks.length, (k) => call(store, 'get', ids[picks[k]])),
  set: (store, ids, picks) => timed(picks.length, (k) => call(store, 'set', ids[picks[k]], sessionRecord(picks[k] + 1))),
  touch: (store, ids, picks) => timed(picks.length, (k) => call(store, 'touch', ids[picks[k]], sessionRecord(picks[k]))),
  'get missing': (store, ids, picks) => timed(picks.length, (k) => call(store, 'get', 'missing-' + picks[k] + '-' + k)),
  destroy: async (store, ids, picks) => {
    const unique = [...new Set(picks)]
    const rate = await timed(unique.length, (k) => call(store, 'destroy', ids[unique[k]]))
    await pool(unique.length, (k) => call(store, 'set', ids[unique[k]], sessionRecord(unique[k])))
    return rate
  }
}

// Before the first timed group, every store class runs a small fill and each operation once on a throwaway
// store, so that the first size measured is not also the one that pays for the JIT warming up.
const warmed = new Set()
async function warmUp(storeNames) {
  for (const name of storeNames.filter((n) => !warmed.has(n))) {
    const made = STORES[name]()
    try {
      const ids = Array.from({ length: 500 }, (_, i) => 'warm-up-' + poolId(i))
      await fill(made.store, ids)
      for (const op of Object.keys(OPS)) await OPS[op](made.store, ids, sample(ids.length, 500, op.length))
    } finally {
      made.store.close?.()
      removeDir(made.dir)
    }
    warmed.add(name)
  }
}

async function group(storeNames, size, rounds, opsPerRound) {
  await warmUp(storeNames)
  const ids = Array.from({ length: size }, (_, i) => poolId(i))
  const made = Object.fromEntries(storeNames.map((n) => [n, STORES[n]()]))
  const raw = { insert: {} }
  try {
    // One timed fill per store: the order changes with the size, so that no store always fills first.
    for (const name of rotate(storeNames, Math.round(Math.log10(size)))) raw.insert[name] = [await fill(made[name].store, ids)]
    for (const op of Object.keys(OPS)) raw[op] = Object.fromEntries(storeNames.map((n) => [n, []]))
    for (let r = 0; r < rounds; r++) {
      for (const op of Object.keys(OPS)) {
        const picks = sample(size, Math.min(size, opsPerRound), r * 31 + op.length)
        for (const name of rotate(storeNames, r)) raw[op][name].push(await OPS[op](made[name].store, ids, picks))
      }
    }
  } finally {
    for (const name of storeNames) {
      made[name].store.close?.()
      removeDir(made[name].dir)
    }
  }
  const [ours, ...theirs] = storeNames
  const result = {}
  for (const [op, byStore] of Object.entries(raw)) {
    result[op] = {
      opsPerSec: Object.fromEntries(Object.entries(byStore).map(([n, xs]) => [n, spread(xs)])),
      ratio: Object.fromEntries(
        theirs.map((t) => [t, spread(byStore[ours].map((x, r) => x / byStore[t][r]))])
      )
    }
  }
  return result
}

// Heap retained per session: IDs and records are made inside the measured
// window and dropped after set, so what stays is what the store keeps (its
// copy of the ID included).
async function memory(storeName, size) {
  const gc = () => {
    for (let i = 0; i < 4; i++) global.gc()
  }
  const { store } = STORES[storeName]()
  await call(store, 'set', 'warm-up', sessionRecord(0))
  await call(store, 'destroy', 'warm-up')
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < size; i++) await call(store, 'set', poolId(i), sessionRecord(i))
  await new Promise((r) => setImmediate(r))
  gc()
  const after = process.memoryUsage().heapUsed
  const check = await call(store, 'get', poolId(size - 1))
  if (!check || check.count !== size - 1) throw new Error('store lost a session')
  return { store: storeName, size, bytesPerSession: (after - before) / size }
}

async function main() {
  if (args.memory) {
    if (typeof global.gc !== 'function') throw new Error('run with --expose-gc')
    process.stdout.write(JSON.stringify(await memory(args.memory, Number(args.size))) + '\n')
    return
  }
  const rounds = Number(args.rounds || 3)
  const out = { rounds, concurrency: CONCURRENCY, memory: {}, file: {} }
  const memoryStores = ['sessionware MemoryStore', 'express-session MemoryStore']
  const fileStores = ['sessionware FileStore', 'session-file-store', 'session-file-store (retries: 0)']
  for (const size of list(args.sizes, '1000,10000,100000')) {
    out.memory[size] = await group(memoryStores, size, rounds, Number(args.ops || 10000))
  }
  if (STORES['sessionware FileStore']) {
    for (const size of list(args['file-sizes'], '1000,10000')) {
      out.file[size] = await group(fileStores, size, rounds, Number(args['file-ops'] || 1000))
    }
  } else {
    out.file = null
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
