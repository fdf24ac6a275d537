import expressSession from 'express-session'
import express5 from 'express'
import express4 from 'express4'
import sessionware from '../../lib/index'

/** The two middlewares under comparison: the reference and ours. */
export const implementations = {
  'express-session': expressSession as unknown as (options: any) => any,
  sessionware: sessionware as unknown as (options: any) => any
}
export type Implementation = keyof typeof implementations

export const frameworks = { 'express 4': express4 as any, 'express 5': express5 as any }

/** Deterministic session IDs, so both implementations produce the same bytes. */
export function sequentialIds(prefix = 'sid'): () => string {
  let n = 0
  return () => `${prefix}${String(++n).padStart(4, '0')}`
}

/**
 * The scenario app used across tests: a counter, login with regenerate,
 * logout with destroy, flash after redirect, reload, explicit save.
 */
export function scenarioApp(express: any, middleware: any, extra?: (app: any) => void) {
  const app = express()
  app.set('trust proxy', false)
  app.use(middleware)
  extra?.(app)
  app.get('/count', (req: any, res: any) => {
    req.session.count = (req.session.count || 0) + 1
    res.send(String(req.session.count))
  })
  app.get('/read', (req: any, res: any) => {
    res.send(JSON.stringify(req.session ? req.session.count ?? null : 'no session'))
  })
  app.get('/noop', (_req: any, res: any) => res.send('ok'))
  app.get('/login', (req: any, res: any, next: any) => {
    req.session.regenerate((err: any) => {
      if (err) return next(err)
      req.session.user = 'ada'
      res.redirect('/whoami')
    })
  })
  app.get('/whoami', (req: any, res: any) => res.send(String(req.session.user ?? 'nobody')))
  app.get('/logout', (req: any, res: any, next: any) => {
    req.session.destroy((err: any) => (err ? next(err) : res.send('bye')))
  })
  app.get('/unset', (req: any, res: any) => {
    req.session = null
    res.send('unset')
  })
  app.get('/remember', (req: any, res: any) => {
    req.session.cookie.maxAge = 7 * 24 * 3600 * 1000
    req.session.remember = true
    res.send('remembered')
  })
  app.get('/save-then-redirect', (req: any, res: any, next: any) => {
    req.session.saved = 'yes'
    req.session.save((err: any) => (err ? next(err) : res.redirect('/read-saved')))
  })
  app.get('/read-saved', (req: any, res: any) => res.send(String(req.session.saved)))
  app.get('/reload', (req: any, res: any, next: any) => {
    req.session.count = 999
    req.session.reload((err: any) => (err ? next(err) : res.send(String(req.session.count))))
  })
  app.get('/write-head', (req: any, res: any) => {
    req.session.streamed = true
    res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'other=1' })
    res.end('streamed')
  })
  app.use((err: any, _req: any, res: any, _next: any) => {
    res.status(500).send('error: ' + err.message)
  })
  return app
}
