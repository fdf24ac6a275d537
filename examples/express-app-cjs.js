// The same app as an express-session app is written, in CommonJS with
// callbacks. Switching from express-session took one changed line:
//   const session = require('express-session')  ->  require('sessionware')
const express = require('express')
const session = require('sessionware')
const flash = require('connect-flash')

const app = express()
app.use(express.urlencoded({ extended: false }))
app.use(
  session({
    secret: process.env.SESSION_SECRET || 'keyboard cat',
    resave: false,
    saveUninitialized: false,
    store: new session.MemoryStore()
  })
)
app.use(flash()) // still works; sessionware's own req.flash is the same API

app.get('/', function (req, res) {
  req.session.views = (req.session.views || 0) + 1
  res.json({ user: req.session.user || null, views: req.session.views, messages: req.flash('info') })
})

app.post('/login', function (req, res, next) {
  req.session.regenerate(function (err) {
    if (err) return next(err)
    req.session.user = req.body.user || 'anonymous'
    req.flash('info', 'Welcome, ' + req.session.user)
    req.session.save(function (err) {
      if (err) return next(err)
      res.redirect('/')
    })
  })
})

app.post('/logout', function (req, res, next) {
  req.session.destroy(function (err) {
    if (err) return next(err)
    res.redirect('/')
  })
})

module.exports = app

if (require.main === module) {
  const server = app.listen(process.env.PORT || 3000, function () {
    console.log('listening on http://localhost:' + server.address().port)
  })
}
