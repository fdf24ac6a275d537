// How long MemoryStore's sweep holds the event loop: 50,000 expired sessions
// among 50,000 live ones. Reports the longest single stretch (slice) the sweep
// ran without yielding, the total, and the event loop's worst delay meanwhile
// (which also counts garbage collection), over a few runs.
//
//   npm run build && node bench/memory-sweep.js
const { monitorEventLoopDelay } = require('perf_hooks')
const { MemoryStore } = require('../dist/lib/index.js')

async function once() {
  const store = new MemoryStore({ sweepInterval: false })
  const expired = { cookie: { originalMaxAge: 1, expires: new Date(Date.now() - 1000) } }
  const live = { cookie: { originalMaxAge: 3600000, expires: new Date(Date.now() + 3600000) } }
  for (let i = 0; i < 50000; i++) {
    await store.set('e' + i, expired)
    await store.set('l' + i, live)
  }
  // Time each uninterrupted slice of the sweep: that is what other requests wait for.
  const slices = []
  const slice = store.sweepSlice
  store.sweepSlice = function () {
    const t = process.hrtime.bigint()
    slice.call(this)
    slices.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  store.sweep()
  while (store.sweeping) await new Promise((resolve) => setImmediate(resolve))
  histogram.disable()
  const remaining = await store.length()
  return { slices, maxDelay: histogram.max / 1e6, remaining }
}

;(async () => {
  const runs = []
  for (let i = 0; i < 5; i++) runs.push(await once())
  for (const r of runs) {
    const total = r.slices.reduce((a, b) => a + b, 0)
    console.log(
      `sweep of 50,000 expired among 100,000: ${r.slices.length} slices, longest ${Math.max(...r.slices).toFixed(2)} ms, ` +
        `total ${total.toFixed(1)} ms; event-loop delay max ${r.maxDelay.toFixed(1)} ms (includes GC); ${r.remaining} left`
    )
  }
})()
