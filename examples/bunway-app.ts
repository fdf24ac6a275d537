// A bunway app on sessionware: login, counter, logout.
//   npx bun examples/bunway-app.ts   (after `npm install`, which builds)
//
// bunway is not published on npm, so this runs on the test double in
// test/bunway-double/, which follows bunway's request/response contract. In
// a real bunway app, import { bunway } from 'bunway' instead; the rest is the same.
import session from 'sessionware'
import { bunway, Router } from '../test/bunway-double'

const app = bunway()
const sessions = session({ secret: process.env.SESSION_SECRET || 'change me', resave: false, saveUninitialized: false })
app.use(sessions)

app.get('/', async (req, res) => {
  req.session.views = (req.session.views || 0) + 1
  res.json({ user: req.session.user ?? null, views: req.session.views, messages: req.session.flash('info') })
})

// In bunway, await the session methods: a handler that answers from a callback
// without returning a promise gets an empty 200.
app.post('/login', async (req, res) => {
  await req.session.regenerate()
  req.session.user = 'ada'
  req.session.flash('info', 'Welcome, ada!')
  res.redirect('/')
})

app.post('/logout', async (req, res) => {
  await req.session.destroy()
  res.redirect('/')
})

// A router mounted at a prefix takes the request before the app's own
// middleware runs: mount the session middleware on it too.
const api = new Router()
api.use(sessions)
api.get('/me', async (req, res) => res.json({ user: req.session.user ?? null }))
app.use('/api', api)

export const server = app.listen(Number(process.env.PORT ?? 3000))
console.log(`sessionware on bunway: ${server.url}`)
