// A Bun.serve app on sessionware's webSession with a FileStore, for the
// shared-store test: argv = [dir, secret]. Prints its URL, then serves.
import sessionware from '../../dist/lib/index.js'

const session: any = sessionware
const [dir, secret] = process.argv.slice(2)
const sessions = session.webSession({ secret, resave: false, saveUninitialized: false, store: new session.FileStore({ path: dir, reapInterval: false }) })
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: (request: Request) =>
    sessions.withSession(request, (req: any) => {
      req.session.visits = (req.session.visits || 0) + 1
      req.session.seenBy = [...(req.session.seenBy || []), 'bun']
      return Response.json({ user: req.session.user ?? null, visits: req.session.visits })
    })
})
console.log(`http://127.0.0.1:${server.port}`)
