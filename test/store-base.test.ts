import { EventEmitter } from 'events'
import util from 'util'
import { describe, expect, it } from 'vitest'
import { Cookie, MemoryStore, Session, Store } from '../lib/index'

describe('Store, the base class of stores', () => {
  it('works as a class and as a util.inherits constructor, and is an EventEmitter', () => {
    class ClassStore extends Store {}
    function LegacyStore(this: any) {
      Store.call(this)
    }
    util.inherits(LegacyStore, Store)
    const legacy = new (LegacyStore as any)()
    for (const store of [new ClassStore(), legacy, new MemoryStore()]) {
      expect(store).toBeInstanceOf(Store)
      expect(store).toBeInstanceOf(EventEmitter)
      let heard = false
      store.on('connect', () => (heard = true))
      store.emit('connect')
      expect(heard).toBe(true)
    }
  })

  it('load() and createSession() give a Session whose methods work against the store', async () => {
    const store = new MemoryStore()
    await store.set('sid', { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000).toISOString(), path: '/', httpOnly: true }, n: 1 } as any)
    const session = await new Promise<any>((resolve, reject) => store.load('sid', (err, s) => (err ? reject(err) : resolve(s))))
    expect(session).toBeInstanceOf(Session)
    expect(session.cookie).toBeInstanceOf(Cookie)
    expect(session.cookie.expires).toBeInstanceOf(Date)
    expect(session.id).toBe('sid')
    session.n = 2
    await session.save()
    expect((await store.get('sid'))!.n).toBe(2)
    await session.destroy()
    expect(await store.get('sid')).toBeNull()
    const missing = await new Promise((resolve) => store.load('nope', (_err, s) => resolve(s)))
    expect(missing).toBeUndefined()
  })

  it('regenerate(req) destroys the old session and asks the middleware to generate one', async () => {
    const store = new MemoryStore()
    await store.set('old', { cookie: { originalMaxAge: null, path: '/' }, n: 1 } as any)
    const req: any = { sessionID: 'old', sessionStore: store }
    store.generate = (r: any) => {
      r.sessionID = 'new'
      r.session = new Session(r)
    }
    await new Promise<void>((resolve, reject) => store.regenerate(req, (err) => (err ? reject(err) : resolve())))
    expect(req.sessionID).toBe('new')
    expect(await store.get('old')).toBeNull()
  })
})
