/**
 * The behaviour suite every runtime must pass: plain fetch against a running
 * app (helpers/runtimes.ts, routes in helpers/routes.ts). Runs under Node
 * (test/runtimes.test.ts) and under Bun (run.ts).
 */
import { sign } from 'cookie-signature'
import { Client } from '../helpers/http'
import { sameSetCookieAsExpressSession } from '../helpers/routes'
import { running, SECRET, type Instance, type Running, type Variant } from '../helpers/runtimes'
import { check as assert, json, same as equal, type Scenario } from '../helpers/scenarios'

type BehaviourScenario = { name: string; instance: Instance; run(app: Running, variant: Variant): Promise<void> }

export const scenarios: BehaviourScenario[] = [
  {
    name: 'counter: a cookie on the first modified response, then the count goes on',
    instance: 'plain',
    async run({ url }) {
      const jar = new Client(url)
      const first = await jar.fetch('/count')
      equal(first.body, '1', 'first count')
      assert(first.setCookie.some((l) => /^connect\.sid=s%3A[\w-]+\.[\w%]+; Path=\/; HttpOnly$/.test(l)), `cookie line: ${first.setCookie}`)
      equal((await jar.fetch('/count')).body, '2', 'second count')
      equal((await jar.fetch('/count')).setCookie, [], 'no cookie for an existing browser-session cookie')
    }
  },
  {
    name: 'saveUninitialized false: an untouched session sends no cookie and stores nothing',
    instance: 'plain',
    async run({ url, store }) {
      const reply = await new Client(url).fetch('/noop')
      equal(reply.setCookie, [], 'Set-Cookie')
      equal(await store.length(), 0, 'sessions stored')
    }
  },
  {
    name: 'saveUninitialized true with rolling: every response carries the cookie',
    instance: 'slow',
    async run({ url, store }) {
      const jar = new Client(url)
      assert((await jar.fetch('/noop')).setCookie.length === 1, 'cookie for a new uninitialized session')
      assert((await store.inner.get(jar.sid())) !== null, 'the uninitialized session is stored')
      assert((await jar.fetch('/noop')).setCookie.length === 1, 'rolling cookie on an unmodified request')
    }
  },
  {
    name: 'resave true: an unmodified session is saved again; resave false: it is only touched',
    instance: 'resave',
    async run({ url, store }, variant) {
      const jar = new Client(url)
      await jar.fetch('/count')
      await jar.fetch('/noop')
      equal(store.calls.filter((c: string) => c !== 'get'), ['set', 'set'], 'resave: store calls')
      await running(variant, 'counted', {}, async (other) => {
        const jar2 = new Client(other.url)
        await jar2.fetch('/count')
        await jar2.fetch('/noop')
        equal(other.store.calls.filter((c: string) => c !== 'get'), ['set', 'touch'], 'no resave: store calls')
      })
    }
  },
  {
    name: 'touch: req.session.touch() moves the expiry forward and chains',
    instance: 'counted',
    async run({ url }) {
      const jar = new Client(url)
      await jar.fetch('/count')
      equal(json(await jar.fetch('/touch')), { chained: true, moved: true }, 'touch')
    }
  },
  {
    name: "a plain object assigned to req.session (bun-router's `req.session = {}`) becomes the data, same ID and cookie",
    instance: 'plain',
    async run({ url, store }) {
      const jar = new Client(url)
      await jar.fetch('/login')
      const sid = jar.sid()
      equal(json(await jar.fetch('/read')), { count: null, user: 'ada' }, 'logged in')
      const cleared = await jar.fetch('/clear')
      equal([cleared.status, cleared.body, cleared.setCookie], [200, 'cleared', []], 'cleared, the cookie kept')
      equal(json(await jar.fetch('/read')), { count: null, user: null }, 'the data is gone')
      equal(await jar.fetch('/replace').then((r) => r.body), 'replaced', 'replaced')
      equal(json(await jar.fetch('/read')), { count: null, user: 'replaced' }, 'the new data')
      equal([jar.sid(), await store.length()], [sid, 1], 'the same session')
    }
  },
  {
    name: 'login regenerates the ID; flash (req.flash and req.session.flash) survives the redirect',
    instance: 'plain',
    async run({ url }) {
      const jar = new Client(url)
      await jar.fetch('/count')
      const before = jar.sid()
      const login = await jar.fetch('/login')
      equal(login.status, 302, 'status')
      assert(jar.sid() && jar.sid() !== before, 'a new session ID')
      equal(json(await jar.fetch('/whoami')), { user: 'ada', info: ['welcome'] }, 'after the redirect')
      equal(json(await jar.fetch('/whoami')).info, [], 'flash read once')
      const afterPromise = jar.sid()
      await jar.fetch('/login-callback')
      assert(jar.sid() !== afterPromise, 'a new session ID from the callback form')
      equal(json(await jar.fetch('/whoami')), { user: 'grace', info: ['hello grace'] }, 'callback form and format arguments')
    }
  },
  {
    name: 'logout destroys the session in the store',
    instance: 'plain',
    async run({ url, store }) {
      const jar = new Client(url)
      await jar.fetch('/count')
      const id = jar.sid()
      assert(await store.get(id), 'stored before logout')
      equal((await jar.fetch('/logout')).body, 'bye', 'logout')
      equal(await store.get(id), null, 'stored after logout')
      equal(json(await jar.fetch('/read')).count, null, 'a fresh session afterwards')
    }
  },
  {
    name: 'reload drops unsaved changes; save then redirect is seen by the next request (promise and callback forms)',
    instance: 'slow',
    async run({ url }) {
      const jar = new Client(url)
      await jar.fetch('/count')
      equal((await jar.fetch('/reload')).body, '1', 'reloaded count')
      equal((await jar.fetch('/reload-callback')).body, '1', 'reloaded count (callback)')
      const saved = await jar.fetch('/save-redirect')
      equal(saved.status, 302, 'redirect')
      equal((await jar.fetch('/read-saved')).body, 'yes', 'read after redirect')
      equal((await jar.fetch('/save-callback')).body, 'saved', 'save (callback)')
      equal((await jar.fetch('/read-saved')).body, 'by callback', 'read after a callback save')
    }
  },
  {
    name: 'a slow store: the data is saved before the redirect reaches the client',
    instance: 'slow',
    async run({ url }) {
      const jar = new Client(url)
      equal((await jar.fetch('/login')).status, 302, 'login')
      equal(json(await jar.fetch('/whoami')).user, 'ada', 'user after redirect')
    }
  },
  {
    name: 'a tampered or unknown cookie starts a fresh session with a fresh ID',
    instance: 'plain',
    async run({ url }) {
      const jar = new Client(url)
      await jar.fetch('/count')
      const [id, signature] = decodeURIComponent(jar.cookies.get('connect.sid')!).slice(2).split('.')
      const tampered = await jar.fetch('/count', { cookie: 'connect.sid=' + encodeURIComponent(`s:${id}.${signature.slice(0, -2)}xx`) })
      equal(tampered.body, '1', 'count with a tampered cookie')
      const chosen = await new Client(url).fetch('/count', { cookie: 'connect.sid=' + encodeURIComponent('s:' + sign('chosen-by-client', SECRET)) })
      assert(!chosen.setCookie[0].includes('chosen-by-client'), 'client-chosen ID adopted')
    }
  },
  {
    name: 'a cookie and a record written by express-session are accepted',
    instance: 'plain',
    async run({ url, store }) {
      const record = { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, user: 'legacy', count: 41 }
      await store.set('express-session-id', JSON.parse(JSON.stringify(record)))
      const jar = new Client(url)
      jar.cookies.set('connect.sid', encodeURIComponent('s:' + sign('express-session-id', SECRET)))
      equal(json(await jar.fetch('/read')), { count: 41, user: 'legacy' }, 'loaded')
      equal((await jar.fetch('/count')).body, '42', 'counted on')
      equal((await store.get('express-session-id')).count, 42, 'stored back in the same record')
    }
  },
  {
    name: 'every cookie option gives the Set-Cookie line express-session gives',
    instance: 'plain',
    run: (_app, variant) =>
      sameSetCookieAsExpressSession(SECRET, (options, headers) =>
        running(variant, 'plain', options, async (app) => (await new Client(app.url).fetch('/count', { headers })).setCookie)
      )
  },
  {
    name: "the app's own Set-Cookie lines are kept as separate lines",
    instance: 'plain',
    async run({ url }) {
      const reply = await new Client(url).fetch('/other-cookie')
      equal(reply.setCookie.length, 2, 'two Set-Cookie lines')
      assert(reply.setCookie.includes('other=1; Path=/'), 'the app cookie')
      assert(reply.setCookie.some((l) => l.startsWith('connect.sid=')), 'the session cookie')
    }
  },
  {
    name: 'a Secure cookie is withheld over http and sent through a trusted proxy',
    instance: 'plain',
    async run({ url }) {
      const plain = await new Client(url).fetch('/secure')
      equal(plain.setCookie, [], 'over plain http')
      const proxied = await new Client(url).fetch('/secure', { headers: { 'x-forwarded-proto': 'https' } })
      assert(proxied.setCookie.length === 1 && /; Secure$/.test(proxied.setCookie[0]) && /Expires=/.test(proxied.setCookie[0]), `through the proxy: ${proxied.setCookie}`)
    }
  },
  {
    name: 'session data that cannot be stored is a 500, never a crash or a hang',
    instance: 'plain',
    async run({ url }) {
      const jar = new Client(url)
      const failed = await jar.fetch('/fail-save')
      equal(failed.status, 500, 'status')
      assert(!failed.body.includes('should not be sent'), 'the original response was not sent')
      equal((await jar.fetch('/count')).status, 200, 'the server still answers')
    }
  },
  {
    name: 'a store that fails at save time: a 500 without the session cookie, and the server goes on',
    instance: 'counted',
    async run({ url, store }) {
      store.failing.add('set')
      const failed = await new Client(url).fetch('/fail-store')
      store.failing.delete('set')
      assert(store.calls.includes('set'), `store calls: ${store.calls}`)
      equal(failed.status, 500, 'status')
      assert(!failed.body.includes('should not be sent'), 'the original response was not sent')
      assert(!failed.setCookie.some((l) => l.startsWith('connect.sid=')), `a cookie for an unsaved session: ${failed.setCookie}`)
      equal((await new Client(url).fetch('/count')).body, '1', 'the server still answers')
    }
  }
]

/** The suite against `variant`: each scenario on a fresh app instance. */
export function forVariant(variant: Variant): Scenario[] {
  return scenarios.map((scenario) => ({
    name: scenario.name,
    run: () => running(variant, scenario.instance, {}, (app) => scenario.run(app, variant))
  }))
}
