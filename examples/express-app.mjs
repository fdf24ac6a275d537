// The main example: an Express app on sessionware, written with promises.
// Run it with `npm start`, then open http://localhost:3000.
// With REDIS_URL set (redis://127.0.0.1:6379), sessions live in Redis.
import express from 'express'
import session, { MemoryStore } from 'sessionware'
import { fileURLToPath } from 'node:url'

export async function createApp({ store } = {}) {
  const app = express()
  // Kept where a test (or a graceful shutdown) can close it: store.close?.()
  app.locals.sessionStore = store || (await defaultStore())
  app.use(express.urlencoded({ extended: false }))
  app.use(
    session({
      secret: process.env.SESSION_SECRET || 'change me: a long random string',
      resave: false,
      saveUninitialized: false,
      store: app.locals.sessionStore,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: 24 * 3600 * 1000 }
    })
  )

  app.get('/', (req, res) => {
    req.session.views = (req.session.views || 0) + 1
    const messages = req.flash('info')
    res.type('html').send(`<!doctype html>
      ${messages.map((m) => `<p class="flash">${escape(m)}</p>`).join('')}
      <p>Hello ${req.session.user ? escape(req.session.user) : 'stranger'}: ${req.session.views} views.</p>
      <form method="post" action="/login"><input name="user" placeholder="name"><button>Log in</button></form>
      <form method="post" action="/logout"><button>Log out</button></form>`)
  })

  app.post('/login', async (req, res) => {
    const user = String(req.body.user || '').trim()
    if (!user) {
      req.flash('info', 'Type a name to log in.')
      return res.redirect('/')
    }
    await req.session.regenerate() // a new session ID on every change of privilege
    req.session.user = user
    req.flash('info', `Welcome, ${user}!`)
    res.redirect('/')
  })

  app.post('/logout', async (req, res) => {
    await req.session.destroy()
    res.redirect('/')
  })

  app.get('/api/me', (req, res) => res.json({ user: req.session.user ?? null, views: req.session.views ?? 0 }))
  return app
}

async function defaultStore() {
  if (!process.env.REDIS_URL) return new MemoryStore()
  const { createRedisStore } = await import('./redis-store.js')
  return createRedisStore(process.env.REDIS_URL)
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await createApp()
  const server = app.listen(process.env.PORT ?? 3000, () => {
    console.log(`sessionware example on http://localhost:${server.address().port}`)
  })
}
