/**
 * The behaviour suite every runtime must pass: plain fetch against a running
 * app (see apps.ts), with a small cookie jar. Runs under Node (vitest) and
 * under Bun (run.ts).
 */
import { sign } from 'cookie-signature'
import { SECRET, start, type Instance, type Running, type Variant } from './apps'

class Jar {
  cookies = new Map<string, string>()
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
  async get(base: string, path: string, init: { headers?: Record<string, string>; cookie?: string } = {}) {
    const headers: Record<string, string> = { ...init.headers }
    const cookie = init.cookie ?? this.header()
    if (cookie) headers.cookie = cookie
    const res = await fetch(base + path, { headers, redirect: 'manual' })
    const setCookie = res.headers.getSetCookie()
    for (const line of setCookie) {
      const pair = line.split(';')[0]
      const eq = pair.indexOf('=')
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    return { status: res.status, body: await res.text(), setCookie, location: res.headers.get('location') }
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}
function equal(actual: unknown, expected: unknown, what: string) {
  assert(JSON.stringify(actual) === JSON.stringify(expected), `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
}
const sid = (jar: Jar) => decodeURIComponent(jar.cookies.get('connect.sid') || '').slice(2).split('.')[0]

type Scenario = { name: string; instance: Instance; run(app: Running): Promise<void> }

export const scenarios: Scenario[] = [
  {
    name: 'counter: a cookie on the first modified response, then the count goes on',
    instance: 'plain',
    async run({ url }) {
      const jar = new Jar()
      const first = await jar.get(url, '/count')
      equal(first.body, '1', 'first count')
      assert(first.setCookie.some((l) => /^connect\.sid=s%3A[\w-]+\.[\w%]+; Path=\/; HttpOnly$/.test(l)), `cookie line: ${first.setCookie}`)
      equal((await jar.get(url, '/count')).body, '2', 'second count')
      equal((await jar.get(url, '/count')).setCookie, [], 'no cookie for an existing browser-session cookie')
    }
  },
  {
    name: 'saveUninitialized false: an untouched session sends no cookie and stores nothing',
    instance: 'plain',
    async run({ url, store }) {
      const reply = await new Jar().get(url, '/noop')
      equal(reply.setCookie, [], 'Set-Cookie')
      equal(await store.length(), 0, 'sessions stored')
    }
  },
  {
    name: 'saveUninitialized true with rolling: every response carries the cookie',
    instance: 'slow',
    async run({ url }) {
      const jar = new Jar()
      assert((await jar.get(url, '/noop')).setCookie.length === 1, 'cookie for a new uninitialized session')
      assert((await jar.get(url, '/noop')).setCookie.length === 1, 'rolling cookie on an unmodified request')
    }
  },
  {
    name: 'login regenerates the ID; flash (req.flash and req.session.flash) survives the redirect',
    instance: 'plain',
    async run({ url }) {
      const jar = new Jar()
      await jar.get(url, '/count')
      const before = sid(jar)
      const login = await jar.get(url, '/login')
      equal(login.status, 302, 'status')
      assert(sid(jar) && sid(jar) !== before, 'a new session ID')
      equal(JSON.parse((await jar.get(url, '/whoami')).body), { user: 'ada', info: ['welcome'] }, 'after the redirect')
      equal(JSON.parse((await jar.get(url, '/whoami')).body).info, [], 'flash read once')
      await jar.get(url, '/login-callback')
      equal(JSON.parse((await jar.get(url, '/whoami')).body), { user: 'grace', info: ['hello grace'] }, 'callback form and format arguments')
    }
  },
  {
    name: 'logout destroys the session in the store',
    instance: 'plain',
    async run({ url, store }) {
      const jar = new Jar()
      await jar.get(url, '/count')
      const id = sid(jar)
      assert(await store.get(id), 'stored before logout')
      equal((await jar.get(url, '/logout')).body, 'bye', 'logout')
      equal(await store.get(id), null, 'stored after logout')
      equal(JSON.parse((await jar.get(url, '/read')).body).count, null, 'a fresh session afterwards')
    }
  },
  {
    name: 'reload drops unsaved changes; save then redirect is seen by the next request',
    instance: 'slow',
    async run({ url }) {
      const jar = new Jar()
      await jar.get(url, '/count')
      equal((await jar.get(url, '/reload')).body, '1', 'reloaded count')
      const saved = await jar.get(url, '/save-redirect')
      equal(saved.status, 302, 'redirect')
      equal((await jar.get(url, '/read-saved')).body, 'yes', 'read after redirect')
    }
  },
  {
    name: 'a slow store: the data is saved before the redirect reaches the client',
    instance: 'slow',
    async run({ url }) {
      const jar = new Jar()
      equal((await jar.get(url, '/login')).status, 302, 'login')
      equal(JSON.parse((await jar.get(url, '/whoami')).body).user, 'ada', 'user after redirect')
    }
  },
  {
    name: 'a tampered or unknown cookie starts a fresh session with a fresh ID',
    instance: 'plain',
    async run({ url }) {
      const jar = new Jar()
      await jar.get(url, '/count')
      const [id, signature] = decodeURIComponent(jar.cookies.get('connect.sid')!).slice(2).split('.')
      const tampered = await jar.get(url, '/count', { cookie: 'connect.sid=' + encodeURIComponent(`s:${id}.${signature.slice(0, -2)}xx`) })
      equal(tampered.body, '1', 'count with a tampered cookie')
      const chosen = await new Jar().get(url, '/count', { cookie: 'connect.sid=' + encodeURIComponent('s:' + sign('chosen-by-client', SECRET)) })
      assert(!chosen.setCookie[0].includes('chosen-by-client'), 'client-chosen ID adopted')
    }
  },
  {
    name: 'a cookie and a record written by express-session are accepted',
    instance: 'plain',
    async run({ url, store }) {
      const record = { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, user: 'legacy', count: 41 }
      await store.set('express-session-id', JSON.parse(JSON.stringify(record)))
      const jar = new Jar()
      jar.cookies.set('connect.sid', encodeURIComponent('s:' + sign('express-session-id', SECRET)))
      equal(JSON.parse((await jar.get(url, '/read')).body), { count: 41, user: 'legacy' }, 'loaded')
      equal((await jar.get(url, '/count')).body, '42', 'counted on')
      equal((await store.get('express-session-id')).count, 42, 'stored back in the same record')
    }
  },
  {
    name: "the app's own Set-Cookie lines are kept as separate lines",
    instance: 'plain',
    async run({ url }) {
      const reply = await new Jar().get(url, '/other-cookie')
      equal(reply.setCookie.length, 2, 'two Set-Cookie lines')
      assert(reply.setCookie.includes('other=1; Path=/'), 'the app cookie')
      assert(reply.setCookie.some((l) => l.startsWith('connect.sid=')), 'the session cookie')
    }
  },
  {
    name: 'a Secure cookie is withheld over http and sent through a trusted proxy',
    instance: 'plain',
    async run({ url }) {
      const plain = await new Jar().get(url, '/secure')
      equal(plain.setCookie, [], 'over plain http')
      const proxied = await new Jar().get(url, '/secure', { headers: { 'x-forwarded-proto': 'https' } })
      assert(proxied.setCookie.length === 1 && /; Secure$/.test(proxied.setCookie[0]) && /Expires=/.test(proxied.setCookie[0]), `through the proxy: ${proxied.setCookie}`)
    }
  },
  {
    name: 'session data that cannot be stored is a 500, never a crash or a hang',
    instance: 'plain',
    async run({ url }) {
      const jar = new Jar()
      const failed = await jar.get(url, '/fail-save')
      equal(failed.status, 500, 'status')
      assert(!failed.body.includes('should not be sent'), 'the original response was not sent')
      equal((await jar.get(url, '/count')).status, 200, 'the server still answers')
    }
  }
]

export interface Outcome {
  variant: Variant
  name: string
  ok: boolean
  detail?: string
}

/** Run every scenario against fresh app instances of `variant`. */
export async function runAll(variant: Variant): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  for (const scenario of scenarios) {
    const app = await start(variant, scenario.instance)
    try {
      await scenario.run(app)
      outcomes.push({ variant, name: scenario.name, ok: true })
    } catch (err) {
      outcomes.push({ variant, name: scenario.name, ok: false, detail: String((err as Error)?.stack || err) })
    } finally {
      await app.stop()
    }
  }
  return outcomes
}
