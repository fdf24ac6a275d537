/**
 * A Bun.serve app on webSession with a FileStore in the directory argv[2],
 * for test/bun-shared-store.test.ts. Prints its URL, then serves:
 *   GET /visit  counts visits and records that Bun saw the session
 *   GET /read   the session's data as JSON
 */
import { webSession } from '../../lib/adapters/web'
import { FileStore } from '../../stores/file'

const [dir, secret] = process.argv.slice(2)
const store = new FileStore({ path: dir, reapInterval: false })
const sessions = webSession({ secret, resave: false, saveUninitialized: false, store })
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: (request) =>
    sessions.withSession(request, (req) => {
      const { user = null, visits = 0, seenBy = [] } = req.session
      if (new URL(req.url).pathname === '/visit') {
        req.session.visits = visits + 1
        req.session.seenBy = [...seenBy, 'bun']
      }
      return Response.json({ user, visits: req.session.visits ?? 0, seenBy: req.session.seenBy ?? [] })
    })
})
console.log(`http://127.0.0.1:${server.port}`)
