import fs from 'fs'
import os from 'os'
import path from 'path'
import { afterEach, describe, expect, it } from 'vitest'
import { FileStore } from '../stores/file'

let root: string | undefined
afterEach(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true })
  root = undefined
})

describe('FileStore over HTTP', () => {
  it('a corrupt session file gives that user a fresh session on the very next request, and a hostile ID a fresh one too', async () => {
    const { default: express } = await import('express')
    const { default: session } = await import('../lib/index')
    const { Client, request, serve } = await import('./helpers/http')
    const { sign } = await import('cookie-signature')
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionware-file-http-'))
    const dir = path.join(root, 'sessions')
    const store = new FileStore({ path: dir, reapInterval: false })
    const app = express()
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, store }))
    app.get('/', (req: any, res) => {
      req.session.n = (req.session.n || 0) + 1
      res.json({ n: req.session.n, id: req.sessionID })
    })
    const served = await serve(app)
    try {
      const client = new Client(served.url)
      const first = JSON.parse((await client.get('/')).body)
      expect(JSON.parse((await client.get('/')).body).n).toBe(2)
      fs.writeFileSync(store.fileOf(first.id)!, '{"expires":null,"sess')
      const after = await client.get('/')
      expect(after.status).toBe(200)
      expect(JSON.parse(after.body).n).toBe(1)
      expect(JSON.parse(after.body).id).not.toBe(first.id)
      for (const id of ['../../etc/passwd', 'x'.repeat(300), 'CON']) {
        const reply = await request(served.url, { cookie: 'connect.sid=' + encodeURIComponent('s:' + sign(id, 's')) })
        expect(reply.status).toBe(200)
        expect(JSON.parse(reply.body).id).not.toBe(id)
      }
    } finally {
      await served.close()
      store.close()
    }
  })
})
