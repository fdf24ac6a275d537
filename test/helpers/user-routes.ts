/**
 * The user-index app the tests share, under Node (vitest) and under Bun (the
 * two-process Redis test's children): login, logout, whoami, the user's
 * sessions, "log out other devices". No vitest import, no lib import.
 */
export function userRoutes(express: any, middleware: any) {
  const app = express()
  app.use(middleware)
  app.post('/login', (req: any, res: any, next: any) => {
    req.session.regenerate((err: any) => {
      if (err) return next(err)
      req.session.userId = String(req.query.user)
      res.send('in')
    })
  })
  app.post('/logout', (req: any, res: any, next: any) => req.session.destroy((err: any) => (err ? next(err) : res.send('out'))))
  // A login that keeps the session's ID (no regenerate): the save merges the user into the stored record.
  app.post('/claim', (req: any, res: any) => {
    req.session.userId = String(req.query.user)
    res.send('claimed')
  })
  app.post('/visit', (req: any, res: any) => {
    req.session.visits = (req.session.visits || 0) + 1
    res.send(String(req.session.visits))
  })
  app.post('/forget', (req: any, res: any) => {
    delete req.session.userId
    res.send('forgotten')
  })
  app.get('/me', (req: any, res: any) => res.send(String(req.session.userId ?? 'nobody')))
  app.get('/sessions', (req: any, res: any, next: any) => middleware.service.list(String(req.query.user)).then((list: unknown) => res.json(list), next))
  app.post('/others-out', (req: any, res: any, next: any) =>
    middleware.service.destroyAll(req.session.userId, { except: req.sessionID }).then((n: number) => res.send(String(n)), next)
  )
  app.use((err: any, _req: any, res: any, _next: any) => res.status(500).send(err.code || String(err)))
  return app
}
