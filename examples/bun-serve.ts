// A Bun.serve app on sessionware: login, counter, logout.
//   npx bun examples/bun-serve.ts    (after `npm install`, which builds)
// The same cookie and records as the Express example: both can share a store.
import session, { FileStore } from 'sessionware'

const sessions = session.webSession({
  secret: process.env.SESSION_SECRET || 'change me: a long random string',
  resave: false,
  saveUninitialized: false,
  store: process.env.SESSION_DIR ? new FileStore({ path: process.env.SESSION_DIR }) : undefined,
  cookie: { httpOnly: true, sameSite: 'lax' }
})

export const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  hostname: '127.0.0.1',
  fetch: (request) =>
    sessions.withSession(request, async (req) => {
      const url = new URL(req.url)
      if (url.pathname === '/login' && req.method === 'POST') {
        const form = await req.formData()
        await req.regenerateSession() // a new ID when privileges change; the data stays
        req.session.user = String(form.get('user') || 'anonymous')
        req.flash('info', `Welcome, ${req.session.user}!`)
        return Response.redirect(new URL('/', url).href, 303)
      }
      if (url.pathname === '/logout' && req.method === 'POST') {
        await req.destroySession()
        return Response.redirect(new URL('/', url).href, 303)
      }
      if (url.pathname === '/') {
        req.session.views = (req.session.views || 0) + 1
        return Response.json({ user: req.session.user ?? null, views: req.session.views, messages: req.flash('info') })
      }
      return new Response('Not Found', { status: 404 })
    })
})

console.log(`sessionware on Bun.serve: http://127.0.0.1:${server.port}`)
