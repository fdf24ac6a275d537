import express from 'express'
import connectFlash from 'connect-flash'
import { afterEach, describe, expect, it } from 'vitest'
import session, { MemoryStore } from '../lib/index'
import { Client, serve, type Served } from './helpers/http'

let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

async function app(withConnectFlash?: 'before' | 'after') {
  const store = new MemoryStore()
  const app = express()
  if (withConnectFlash === 'before') app.use(connectFlash())
  app.use(session({ secret: 's', resave: false, saveUninitialized: false, store }))
  if (withConnectFlash === 'after') app.use(connectFlash())
  app.get('/add', (req: any, res) => {
    const counts = [req.flash('info', 'saved'), req.flash('info', ['two', 'three']), req.flash('error', 'bad %s #%d', 'thing', 7)]
    res.redirect(`/show?counts=${counts.join(',')}`)
  })
  app.get('/add-bunway', (req: any, res) => {
    req.session.flash('info', 'from bunway')
    res.redirect('/show')
  })
  app.get('/show', (req: any, res) => res.json(req.flash()))
  app.get('/one', (req: any, res) => res.json({ info: req.flash('info'), rest: req.session.flash('error'), again: req.flash('info') }))
  app.get('/no-flash-left', (req: any, res) => res.json(req.flash()))
  served = await serve(app)
  return { client: new Client(served.url), store }
}

describe('flash messages', () => {
  it("keeps messages until read, with connect-flash's add/read/format semantics", async () => {
    const { client, store } = await app()
    const added = await client.get('/add')
    expect(added.headers.get('location')).toBe('/show?counts=1,3,1')
    const [record] = Object.values((await store.all()) as object) as any[]
    expect(record.flash).toEqual({ info: ['saved', 'two', 'three'], error: ['bad thing #7'] })
    expect(JSON.parse((await client.get('/show')).body)).toEqual({ info: ['saved', 'two', 'three'], error: ['bad thing #7'] })
    expect(JSON.parse((await client.get('/no-flash-left')).body)).toEqual({})
  })

  it('reads one type at a time, and req.session.flash shares the same messages', async () => {
    const { client } = await app()
    await client.get('/add')
    expect(JSON.parse((await client.get('/one')).body)).toEqual({ info: ['saved', 'two', 'three'], rest: ['bad thing #7'], again: [] })
    await client.get('/add-bunway')
    expect(JSON.parse((await client.get('/one')).body)).toEqual({ info: ['from bunway'], rest: [], again: [] })
  })

  it.each(['before', 'after'] as const)('an app that mounts connect-flash %s the session keeps working', async (where) => {
    const { client } = await app(where)
    await client.get('/add')
    expect(JSON.parse((await client.get('/show')).body)).toEqual({ info: ['saved', 'two', 'three'], error: ['bad thing #7'] })
    await client.get('/add-bunway')
    expect(JSON.parse((await client.get('/one')).body).info).toEqual(['from bunway'])
  })

  it('req.flash without a session throws connect-flash\'s error', async () => {
    const app2 = express()
    app2.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie: { path: '/only-here' } }))
    app2.get('/only-here', (req: any, res) => res.send(String(typeof req.flash)))
    served = await serve(app2)
    const client = new Client(served.url)
    expect((await client.get('/only-here')).body).toBe('function')
  })
})
