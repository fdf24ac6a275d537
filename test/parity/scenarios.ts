/**
 * The parity suite's scenarios, run by test/parity.test.ts under vitest and by
 * test/bun-runtime/express-parity.ts under real Bun (where `lib/index`, an
 * `export =` module Bun will not load as source, is served from the build).
 */
import { sign } from 'cookie-signature'
import expressSession from 'express-session'
import { frameworks, implementations, sequentialIds, type Implementation } from '../helpers/apps'
import { Client, serve } from '../helpers/http'
import { scenarioApp, withoutExpires } from '../helpers/routes'
import { withoutDeprecationOutput } from '../helpers/warnings'

/**
 * The same scenario, run against express-session and sessionware with the
 * same store (express-session's own MemoryStore, a third-party store for us),
 * must give the same statuses, bodies, Set-Cookie lines and stored records.
 */
interface Step {
  path: string
  headers?: Record<string, string>
  /** Replace the client's cookie for this request. */
  cookie?: string
}

export interface Scenario {
  name: string
  options?: Record<string, unknown>
  steps: Step[]
  trustProxy?: unknown
  /** Mount on-headers style writeHead wrappers before and after the session middleware. */
  wrapped?: boolean
}

export const scenarios: Scenario[] = [
  { name: 'counter, default options', options: { resave: undefined, saveUninitialized: undefined }, steps: [{ path: '/count' }, { path: '/count' }, { path: '/read' }] },
  { name: 'counter, resave false, saveUninitialized false', options: { resave: false, saveUninitialized: false }, steps: [{ path: '/noop' }, { path: '/count' }, { path: '/noop' }, { path: '/count' }] },
  { name: 'uninitialized sessions saved', options: { saveUninitialized: true }, steps: [{ path: '/noop' }, { path: '/noop' }] },
  { name: 'resave rewrites unmodified sessions', options: { resave: true }, steps: [{ path: '/count' }, { path: '/noop' }, { path: '/read' }] },
  { name: 'rolling sends the cookie every time', options: { rolling: true, cookie: { maxAge: 60_000 } }, steps: [{ path: '/count' }, { path: '/noop' }, { path: '/read' }] },
  { name: 'maxAge cookie re-sent when modified', options: { cookie: { maxAge: 60_000 } }, steps: [{ path: '/count' }, { path: '/noop' }, { path: '/count' }] },
  { name: 'every cookie attribute', options: { name: 'sid', cookie: { maxAge: 5000, domain: 'example.com', path: '/', httpOnly: false, sameSite: 'strict', priority: 'high', partitioned: true } }, steps: [{ path: '/count' }] },
  { name: 'tampered cookie gets a fresh session', steps: [{ path: '/count' }, { path: '/count', cookie: 'connect.sid=s%3Asid0001.badsignature' }] },
  { name: 'unknown but signed id is not adopted', steps: [{ path: '/count', cookie: `connect.sid=${encodeURIComponent('s:' + sign('chosen-by-client', 'keyboard cat'))}` }, { path: '/read' }] },
  { name: 'garbage cookies', steps: [{ path: '/count', cookie: 'connect.sid=%E0%A4%A' }, { path: '/count', cookie: 'connect.sid=s:' }, { path: '/count', cookie: 'connect.sid=' + 'x'.repeat(4000) }, { path: '/count', cookie: ';;;=;connect.sid' }] },
  { name: 'login regenerates, then redirect sees the data', steps: [{ path: '/count' }, { path: '/login' }, { path: '/whoami' }, { path: '/read' }] },
  { name: 'logout destroys', steps: [{ path: '/count' }, { path: '/logout' }, { path: '/read' }] },
  {
    name: 'change detection: nested changes, the same data anew, Dates, key order, values JSON leaves out',
    options: { resave: false, saveUninitialized: false, cookie: { maxAge: 60_000 } },
    steps: ['/count', '/cart-add', '/cart-add', '/cart-same', '/when', '/when', '/reorder', '/ghost', '/noop', '/read'].map((path) => ({ path }))
  },
  { name: 'unset keep', options: { unset: 'keep' }, steps: [{ path: '/count' }, { path: '/unset' }, { path: '/read' }] },
  { name: 'unset destroy', options: { unset: 'destroy' }, steps: [{ path: '/count' }, { path: '/unset' }, { path: '/read' }] },
  { name: 'remember me changes the cookie and stored expiry', steps: [{ path: '/count' }, { path: '/remember' }, { path: '/read' }] },
  { name: 'save then redirect', steps: [{ path: '/save-then-redirect' }, { path: '/read-saved' }] },
  { name: 'reload drops unsaved changes', steps: [{ path: '/count' }, { path: '/reload' }] },
  { name: 'writeHead with its own headers', steps: [{ path: '/write-head' }, { path: '/read' }] },
  { name: 'cookie path mismatch: no session', options: { cookie: { path: '/admin' } }, steps: [{ path: '/count' }, { path: '/read' }] },
  { name: 'secure cookie withheld over http', options: { cookie: { secure: true } }, steps: [{ path: '/count' }, { path: '/count' }] },
  { name: 'secure cookie with proxy: true and X-Forwarded-Proto', options: { proxy: true, cookie: { secure: true } }, steps: [{ path: '/count', headers: { 'x-forwarded-proto': 'https' } }, { path: '/count', headers: { 'x-forwarded-proto': 'http' } }] },
  { name: 'secure cookie with trust proxy', trustProxy: true, options: { cookie: { secure: true } }, steps: [{ path: '/count', headers: { 'x-forwarded-proto': 'https,http' } }, { path: '/count' }] },
  { name: 'proxy: false ignores trust proxy', trustProxy: true, options: { proxy: false, cookie: { secure: true } }, steps: [{ path: '/count', headers: { 'x-forwarded-proto': 'https' } }] },
  { name: "secure and sameSite 'auto'", trustProxy: true, options: { cookie: { secure: 'auto', sameSite: 'auto' } }, steps: [{ path: '/count' }, { path: '/count', headers: { 'x-forwarded-proto': 'https' }, cookie: '' }] },
  { name: 'cookie as a function of req', options: { cookie: (req: any) => ({ maxAge: req.url.includes('count') ? 1000 : 2000 }) }, steps: [{ path: '/count' }, { path: '/count' }] },
  { name: 'secret rotation: old cookies verify, new ones use the first secret', options: { secret: ['new secret', 'keyboard cat'] }, steps: [{ path: '/read', cookie: `connect.sid=${encodeURIComponent('s:' + sign('sid0001', 'keyboard cat'))}` }, { path: '/count' }] },
  { name: 'writeHead wrapped before and after the session: the wrappers run in the same order', wrapped: true, steps: [{ path: '/count' }, { path: '/count' }, { path: '/write-head' }] },
  { name: 'wrapped, rolling cookie', wrapped: true, options: { rolling: true, cookie: { maxAge: 60_000 } }, steps: [{ path: '/count' }, { path: '/noop' }] },
  { name: 'a quoted cookie value is read, as cookie 0.7 reads it', steps: [{ path: '/count' }, { path: '/count', cookie: `other=1; connect.sid="${encodeURIComponent('s:' + sign('sid0001', 'keyboard cat'))}"` }] },
  { name: 'name option', options: { name: 'my.sid' }, steps: [{ path: '/count' }, { path: '/count' }] },
  { name: 'a Buffer secret', options: { secret: Buffer.from('buffer secret') }, steps: [{ path: '/count' }, { path: '/count' }] },
  { name: 'secrets mixing a Buffer and a string: the Buffer signs, the string still verifies', options: { secret: [Buffer.from('new secret'), 'keyboard cat'] }, steps: [{ path: '/read', cookie: `connect.sid=${encodeURIComponent('s:' + sign('sid0001', 'keyboard cat'))}` }, { path: '/count' }] }
]

function normalizeRecords(sessions: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [sid, json] of Object.entries(sessions)) {
    const record = JSON.parse(json.replace(/"expires":"[^"]+"/, '"expires":"<date>"'))
    // express-session's originalMaxAge can drift by a millisecond (it re-reads the clock); ours does not.
    if (typeof record.cookie.originalMaxAge === 'number') record.cookie.originalMaxAge = Math.round(record.cookie.originalMaxAge / 100) * 100
    out[sid] = record
  }
  return out
}

async function play(impl: Implementation, express: any, scenario: Scenario) {
  const store = new (expressSession as any).MemoryStore()
  // Some scenarios leave resave/saveUninitialized undefined on purpose (express-session's defaults).
  const middleware = withoutDeprecationOutput(() =>
    implementations[impl]({
      secret: 'keyboard cat',
      genid: sequentialIds(),
      store,
      resave: false,
      saveUninitialized: true,
      ...scenario.options
    })
  )
  const app = scenarioApp(express, scenario.wrapped ? [wrapWriteHead('before'), middleware, wrapWriteHead('after')] : middleware)
  if (scenario.trustProxy !== undefined) app.set('trust proxy', scenario.trustProxy)
  const served = await serve(app)
  try {
    const client = new Client(served.url)
    const transcript = []
    for (const step of scenario.steps) {
      const reply = await client.get(step.path, { headers: step.headers, cookie: step.cookie })
      const seen = scenario.wrapped ? ['before', 'after'].map((label) => reply.headers.get(`x-${label}-saw`)) : undefined
      transcript.push({ path: step.path, status: reply.status, body: reply.body, setCookie: reply.setCookie.map(withoutExpires), seen })
    }
    return { transcript, records: normalizeRecords(store.sessions) }
  } finally {
    await served.close()
  }
}

/**
 * What a writeHead wrapper (as on-headers, compression or response-time
 * install them) sees when it runs: the Set-Cookie lines already there.
 * Wrappers run in reverse order of installation, the session's among them.
 */
function wrapWriteHead(label: string) {
  return (_req: any, res: any, next: any) => {
    const writeHead = res.writeHead
    res.writeHead = function (this: any, ...args: any[]) {
      this.setHeader(`x-${label}-saw`, withoutExpires(String(this.getHeader('set-cookie') ?? 'nothing')))
      return writeHead.apply(this, args)
    }
    next()
  }
}

/** Play `scenario` on `express` with express-session and with sessionware: the two must be equal. */
async function compare(express: any, scenario: Scenario) {
  const reference = await play('express-session', express, scenario)
  const ours = await play('sessionware', express, scenario)
  return { ours, reference }
}

/** Every scenario on Express 4 and on Express 5. */
export const suites = Object.entries(frameworks).map(([frameworkName, express]) => ({
  name: `parity with express-session on ${frameworkName}`,
  cases: scenarios.map((scenario) => ({ name: scenario.name, compare: () => compare(express, scenario) }))
}))

/** Every case of every suite, named `suite > case` as vitest reports it. */
export const cases = suites.flatMap((suite) => suite.cases.map((c) => ({ ...c, name: `${suite.name} > ${c.name}` })))
