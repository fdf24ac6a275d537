// One in-process request: a real http.IncomingMessage / http.ServerResponse pair over a Duplex socket that
// discards what is written, run to the response's 'finish'. Shared by bench/middleware.js and
// bench/express-floor.js. `socketWrites()` counts the writes: a response written in several pieces costs a
// syscall and a packet each over a real socket.
const http = require('http')
const { Duplex } = require('stream')

let writes = 0
const discard = () =>
  new Duplex({
    read() {},
    write(chunk, encoding, cb) {
      writes++
      cb()
    },
    // A net.Socket takes corked chunks in one writev, one syscall.
    writev(chunks, cb) {
      writes++
      cb()
    }
  })

function request(handle, cookie) {
  return new Promise((resolve, reject) => {
    const socket = discard()
    const req = new http.IncomingMessage(socket)
    req.url = '/'
    req.method = 'GET'
    req.headers = cookie ? { cookie } : {}
    const res = new http.ServerResponse(req)
    res.assignSocket(socket)
    res.on('finish', resolve)
    handle(req, res, reject)
  })
}

module.exports = { request, socketWrites: () => writes }
