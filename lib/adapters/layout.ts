/**
 * Express gives every request and response a prototype of its own
 * (`Object.setPrototypeOf(req, app.request)`), and V8 then records no
 * hidden-class transitions for them: each property anyone adds afterwards
 * (the session's, and Express's own `req.params`, `req.route`…) builds a new
 * hidden class and copies its descriptors. Moving such an object to
 * dictionary properties first makes every later addition a hash-table insert:
 * measured with callgrind inside Express 5, the session's cost per request
 * falls from about 197k to 57k instructions (express-session: 443k), and
 * Express's own later additions get cheaper too (bench/express-floor.js).
 *
 * Only objects whose prototype was swapped for a plain object (no own
 * `constructor`, as Express's `app.request` and `app.response`): a plain
 * node:http request keeps its stable hidden classes, which dictionary
 * properties would make slower (measured: 69k → 138k). Only on V8;
 * JavaScriptCore (Bun) handles deletions differently.
 *
 * Deleting a property other than the last one added is what moves an object
 * to dictionary properties. Nothing observable is left: the same own keys,
 * in the same order (test/isolation.test.ts).
 */
const onV8 = typeof process.versions.bun !== 'string'
const first = Symbol('sessionware.layout.first')
const second = Symbol('sessionware.layout.second')

export function useDictionaryProperties(object: any): void {
  if (!onV8) return
  const proto = Object.getPrototypeOf(object)
  if (proto === null || Object.prototype.hasOwnProperty.call(proto, 'constructor')) return
  object[first] = undefined
  object[second] = undefined
  delete object[first]
  delete object[second]
}
