// A Hono app on sessionware: counter, login with a new session ID and a flash
// message, logout.
//   npx bun examples/hono-app.ts     (after `npm install`, which builds)
// `c.get('session')` is the request's Session, typed from SessionData; the
// cookie and the stored records are those of the Express side.
import { Hono } from 'hono'
import { FileStore, honoSession } from 'sessionware'

declare module 'sessionware' {
  interface SessionData {
    user: string
    views: number
  }
}

const app = new Hono()

app.use(
  honoSession({
    secret: process.env.SESSION_SECRET || 'change me: a long random string',
    resave: false,
    saveUninitialized: false,
    store: process.env.SESSION_DIR ? new FileStore({ path: process.env.SESSION_DIR }) : undefined,
    cookie: { httpOnly: true, sameSite: 'lax' }
  })
)

app.get('/', (c) => {
  const session = c.get('session')
  session.views = (session.views || 0) + 1
  return c.json({ user: session.user ?? null, views: session.views, messages: session.flash('info') })
})

app.post('/login', async (c) => {
  const form = await c.req.formData()
  await c.get('session').regenerate() // a new ID when privileges change; c.get('session') is the new session
  const session = c.get('session')
  session.user = String(form.get('user') || 'anonymous')
  session.flash('info', `Welcome, ${session.user}!`)
  return c.redirect('/', 303)
})

app.post('/logout', async (c) => {
  await c.get('session').destroy()
  return c.redirect('/', 303)
})

app.get('/api/me', (c) => c.json({ user: c.get('session').user ?? null }))

// A store error (or data that cannot be stored) arrives here.
app.onError((err, c) => {
  console.error(err)
  return c.text('Something went wrong', 500)
})

export const server = Bun.serve({ port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1', fetch: app.fetch })

console.log(`sessionware on Hono: http://127.0.0.1:${server.port}`)
