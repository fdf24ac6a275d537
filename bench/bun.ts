// The Bun benchmark: session middleware against the same server without it,
// in one Bun process, interleaved like bench/run.js.
//
//   npm run bench:bun                                  build, then the full run (about 3 minutes)
//   node_modules/.bin/bun bench/bun.ts --quick         a short run
//   node_modules/.bin/bun bench/bun.ts [--rounds N] [--slot S] [--concurrency C] [--only bun,hono,bunway]
//
// Variants, each a server on 127.0.0.1 whose route reads and increments a
// session counter (the bare ones answer without a session):
//   bun:    Bun.serve bare;  its floors (async; the contract, hand-written);  Bun.serve + webSession (withSession)
//   hono:   Hono bare;  Hono + honoSession;  Hono + webSession().middleware;  Hono + hono-sessions (its MemoryStore)
//   bunway: the bunway double (test/bunway-double) bare;  + session()
// Every session variant starts with a pool of 1,000 existing sessions, and
// request i carries the cookie of session i % 1000 (resave: false,
// saveUninitialized: false for sessionware). See METHOD below.
import { Hono } from 'hono'
import { MemoryStore as HonoSessionsMemoryStore, sessionMiddleware as honoSessions } from 'hono-sessions'
import signature from 'cookie-signature'
import sessionware from '../dist/lib/index.js'
import { readCookie } from '../dist/lib/core/cookie.js'
import { bunway } from '../test/bunway-double'
import common from './common.js'

const { SECRET, POOL_SIZE, COOKIE_NAME, poolId, poolCookie, record, parseArgs, spread, rotate, fmt, fmtRatio, table, mdTable } = common as any
const session: any = sessionware
const args = parseArgs(process.argv.slice(2))
const QUICK = !!args.quick
const ROUNDS = Number(args.rounds || (QUICK ? 2 : 5))
const SLOT = Number(args.slot || (QUICK ? 0.25 : 0.25)) // seconds per variant per slot
const SLOTS = Number(args.slots || (QUICK ? 4 : 12)) // slots per round
const CONCURRENCY = Number(args.concurrency || 32)
const GROUPS = args.only ? String(args.only).split(',') : ['bun', 'hono', 'bunway']

const METHOD = `\
One Bun ${Bun.version} process runs every server (Bun.serve on 127.0.0.1, port 0) and the load: ${CONCURRENCY} fetch() loops in
flight (keep-alive), request i carrying the cookie of session i mod ${POOL_SIZE} of a pool created before the run (for
sessionware: ${POOL_SIZE} records set in its MemoryStore, signed cookies; for hono-sessions: ${POOL_SIZE} sessions created
through its own middleware and MemoryStore, their cookies kept). Each route reads a counter from the session, adds one
and answers it as text; the bare variants answer a text without a session. The "floor" variants do what any session
layer must and nothing else: read the Cookie header (and, on Bun.serve, the URL) and answer through a promise. The
"contract floor" is the least an express-session-compatible layer does for this request, written by hand for it alone:
find the cookie, check its signature (verified values remembered), read the record as JSON from a store that answers
in a microtask, compare the data's JSON before and after, write the record back as JSON. Groups run one after the other; a round drives every
variant of the group in turn for ${SLOTS} slots of ${SLOT} s, the order rotated every slot and every round, after a warm-up of each; req/s is the
requests completed in a variant's slots over their time. Ratios (variant / bare of its group) are computed per round and
reported as median (min–max) over ${ROUNDS} rounds. CPU µs/req is the process's CPU time (user + system, all
threads, client included) in a variant's slots over its requests; "req per CPU-s vs bare" is bare's CPU per
request over the variant's, per round: the req/s ratio of a process with the cores to itself. The client shares the process (and the 2 cores) with the servers,
so absolute req/s are relative figures; the ratios compare variants under the same load. hono-sessions runs without an
encryptionKey (its cookie is the plain session ID, unsigned): its fastest setting.`

type Variant = { group: string; name: string; bare?: string; url: string; cookies: string[]; stop(): void }

const text = (n: unknown) => new Response(String(n))

async function sessionwareStore() {
  const store = new session.MemoryStore({ sweepInterval: false })
  for (let i = 0; i < POOL_SIZE; i++) await store.set(poolId(i), record({ count: 0 }))
  return store
}
const options = (store: unknown) => ({ secret: SECRET, resave: false, saveUninitialized: false, store })
const poolCookies = () => Array.from({ length: POOL_SIZE }, (_, i) => poolCookie(i))

function serve(fetch: (request: Request) => Response | Promise<Response>) {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch })
  return { url: `http://127.0.0.1:${server.port}/count`, stop: () => server.stop(true) }
}

/**
 * The least any express-session-compatible layer does for this request, written
 * by hand for this one case: find the cookie, check its signature (verified
 * values remembered, as sessionware does), read the record as JSON from a
 * store that answers asynchronously, tell whether the data changed (its JSON
 * before and after), and write the record back as JSON. No session object,
 * no cookie object, no options, no merge, no timeouts: a bound, not a product.
 */
function contractFloor() {
  const records = new Map<string, string>()
  for (let i = 0; i < POOL_SIZE; i++) records.set(poolId(i), JSON.stringify(record({ count: 0 })))
  const verified = new Map<string, string>()
  const asynchronously = <T>(value: T) => new Promise<T>((resolve) => queueMicrotask(() => resolve(value)))
  return async (request: Request) => {
    const value = readCookie(request.headers.get('cookie') || '', COOKIE_NAME)
    let id = value === undefined ? undefined : verified.get(value)
    if (value !== undefined && id === undefined) {
      const unsigned = signature.unsign(decodeURIComponent(value).slice(2), SECRET)
      if (unsigned !== false) verified.set(value, (id = unsigned))
    }
    if (id === undefined) return new Response('no session', { status: 400 })
    const stored = await asynchronously(records.get(id))
    const session = JSON.parse(stored!)
    const { cookie, ...data } = session
    const before = JSON.stringify(data)
    session.count = (session.count || 0) + 1
    const { cookie: _cookie, ...after } = session
    if (JSON.stringify(after) !== before) await asynchronously(records.set(id, JSON.stringify(session)))
    return text(session.count)
  }
}

async function variants(): Promise<Variant[]> {
  const list: Variant[] = []
  if (GROUPS.includes('bun')) {
    list.push({ group: 'bun', name: 'Bun.serve bare', cookies: poolCookies(), ...serve(() => text(0)) })
    // The floor of any session layer here: read the Cookie header and the URL, answer through a promise.
    const floor = async (request: Request) => {
      request.headers.get('cookie')
      void request.url
      await null
      return text(0)
    }
    list.push({ group: 'bun', name: 'Bun.serve floor (async, reads cookie)', bare: 'Bun.serve bare', cookies: poolCookies(), ...serve(floor) })
    list.push({ group: 'bun', name: 'Bun.serve contract floor (hand-written)', bare: 'Bun.serve bare', cookies: poolCookies(), ...serve(contractFloor()) })
    const sessions = session.webSession(options(await sessionwareStore()))
    const counter = (req: any) => text((req.session.count = (req.session.count || 0) + 1))
    list.push({ group: 'bun', name: 'Bun.serve + webSession', bare: 'Bun.serve bare', cookies: poolCookies(), ...serve((request) => sessions.withSession(request, counter)) })
  }
  if (GROUPS.includes('hono')) {
    const honoApp = (middleware?: any, route = (c: any) => c.text('0')) => {
      const app = new Hono()
      if (middleware) app.use('*', middleware)
      app.get('/count', route)
      return app
    }
    const counter = (c: any) => {
      const s = c.get('session')
      return c.text(String((s.count = (s.count || 0) + 1)))
    }
    list.push({ group: 'hono', name: 'Hono bare', cookies: poolCookies(), ...serve(honoApp().fetch) })
    const honoFloor = async (c: any, next: () => Promise<void>) => {
      c.req.raw.headers.get('cookie')
      await next()
    }
    list.push({ group: 'hono', name: 'Hono floor (async middleware, reads cookie)', bare: 'Hono bare', cookies: poolCookies(), ...serve(honoApp(honoFloor).fetch) })
    list.push({ group: 'hono', name: 'Hono + honoSession', bare: 'Hono bare', cookies: poolCookies(), ...serve(honoApp(session.honoSession(options(await sessionwareStore())), counter).fetch) })
    list.push({
      group: 'hono',
      name: 'Hono + webSession().middleware',
      bare: 'Hono bare',
      cookies: poolCookies(),
      ...serve(honoApp(session.webSession(options(await sessionwareStore())).middleware, counter).fetch)
    })
    const hs = honoApp(honoSessions({ store: new HonoSessionsMemoryStore(), expireAfterSeconds: 3600 }), (c: any) => {
      const s = c.get('session')
      const count = (s.get('count') || 0) + 1
      s.set('count', count)
      return c.text(String(count))
    })
    const served = serve(hs.fetch)
    // hono-sessions' pool: sessions it created itself, their cookies kept.
    const cookies: string[] = []
    for (let i = 0; i < POOL_SIZE; i++) {
      const res = await fetch(served.url)
      await res.text()
      cookies.push(res.headers.getSetCookie()[0].split(';')[0])
    }
    list.push({ group: 'hono', name: 'Hono + hono-sessions', bare: 'Hono bare', cookies, ...served })
  }
  if (GROUPS.includes('bunway')) {
    const bare = bunway()
    bare.get('/count', (_req: any, res: any) => res.send('0'))
    const withSessions = bunway()
    withSessions.use(session(options(await sessionwareStore())))
    withSessions.get('/count', (req: any, res: any) => res.send(String((req.session.count = (req.session.count || 0) + 1))))
    for (const [name, app] of [['bunway double bare', bare], ['bunway double + session()', withSessions]] as const) {
      const server = app.listen(0)
      list.push({ group: 'bunway', name, bare: name.endsWith('bare') ? undefined : 'bunway double bare', cookies: poolCookies(), url: server.url + '/count', stop: server.stop })
    }
  }
  return list
}

/** Drive `variant` for `seconds`; the number of requests completed. */
async function drive(variant: Variant, seconds: number, start: number): Promise<number> {
  const until = performance.now() + seconds * 1000
  let done = 0
  let next = start
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const i = next++
        const res = await fetch(variant.url, { headers: { cookie: variant.cookies[i % variant.cookies.length] } })
        if (res.status !== 200) throw new Error(`${variant.name}: status ${res.status}: ${await res.text()}`)
        await res.arrayBuffer()
        done++
      }
    })
  )
  return done
}

const all = await variants()
const perRound: Record<string, number[]> = Object.fromEntries(all.map((v) => [v.name, []]))
// Process CPU (user + system, every thread) per request: steadier than req/s when the machine is shared.
const cpuPerRound: Record<string, number[]> = Object.fromEntries(all.map((v) => [v.name, []]))
let offset = 0
// Each group on its own: its variants alternate, slot after slot, with nothing else in between.
for (const group of GROUPS) {
  const members = all.filter((v) => v.group === group)
  for (const v of members) offset += await drive(v, QUICK ? 0.3 : 1, offset) // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const counts: Record<string, number> = Object.fromEntries(members.map((v) => [v.name, 0]))
    const cpu: Record<string, number> = Object.fromEntries(members.map((v) => [v.name, 0]))
    for (let slot = 0; slot < SLOTS; slot++) {
      for (const v of rotate(members, round * SLOTS + slot)) {
        const before = process.cpuUsage()
        const n = await drive(v, SLOT, offset)
        const used = process.cpuUsage(before)
        cpu[v.name] += used.user + used.system
        counts[v.name] += n
        offset += n
      }
    }
    for (const v of members) {
      perRound[v.name].push(counts[v.name] / (SLOTS * SLOT))
      cpuPerRound[v.name].push(cpu[v.name] / counts[v.name])
    }
    console.error(`${group} round ${round + 1}/${ROUNDS}: ` + members.map((v) => `${v.name} ${fmt(counts[v.name] / (SLOTS * SLOT))}`).join(', '))
  }
}
for (const v of all) v.stop()

const rows = all.map((v) => {
  const rps = spread(perRound[v.name])
  const ratio = v.bare ? spread(perRound[v.name].map((x, r) => x / perRound[v.bare!][r])) : undefined
  const cpu = spread(cpuPerRound[v.name])
  // Requests per CPU-second against bare's: the throughput ratio of a process that had the cores to itself.
  const cpuRatio = v.bare ? spread(cpuPerRound[v.name].map((x, r) => cpuPerRound[v.bare!][r] / x)) : undefined
  return [v.name, fmt(rps.median), ratio ? fmtRatio(ratio) : '1.00x (bare)', fmt(cpu.median, 1), cpuRatio ? fmtRatio(cpuRatio) : '1.00x (bare)']
})
const headers = ['variant', 'req/s (median)', 'req/s vs bare: median (min–max)', 'CPU µs/req', 'req per CPU-s vs bare']
console.log(table(headers, rows))
console.log('\n' + METHOD)
if (args.md) console.log('\n' + mdTable(headers, rows))
process.exit(0)
