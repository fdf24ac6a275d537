import { IncomingMessage } from 'http'
import { destroySession, flash, regenerateSession } from '../request'

/**
 * Express gives every request a new prototype (`Object.setPrototypeOf(req,
 * app.request)`), and V8 then pays microseconds for each property added to
 * it. So on Node requests, `sessionID` and `sessionStore` are accessors and
 * the helpers methods, defined once on `IncomingMessage.prototype` (which
 * every Express app's request inherits, sub-apps included), with the values
 * of each request kept aside. Only `req.session` stays an own property, so
 * that `delete req.session` unsets it as in express-session.
 */
export interface Fields {
  sessionID: string | undefined
  sessionStore: unknown
}

// Shared through the global symbol registry, so that two copies of
// sessionware loaded in one process read and write the same fields.
const FIELDS = Symbol.for('sessionware.requestFields')
const fields: WeakMap<object, Fields> = ((globalThis as any)[FIELDS] ||= new WeakMap<object, Fields>())
let installed = false

// A plain node:http request keeps its fields in one own property: adding
// properties is cheap there, cheaper than a WeakMap entry.
const SLOT = Symbol.for('sessionware.requestSlot')
const plainPrototype = IncomingMessage.prototype

export function decorateNodeRequest(req: any, store: unknown): Fields {
  if (!installed) install()
  const made: Fields = { sessionID: undefined, sessionStore: store }
  // A request served a second time (a second session middleware after
  // `delete req.session`) starts over with fresh fields, as it would with
  // express-session's own properties.
  if (Object.getPrototypeOf(req) === plainPrototype) req[SLOT] = made
  else fields.set(req, made)
  lastRequest = req
  lastFields = made
  return made
}

// The request being served is asked for its fields several times in a row.
let lastRequest: object | undefined
let lastFields: Fields | undefined

function fieldsOf(req: any): Fields | undefined {
  if (req === lastRequest) return lastFields
  const found: Fields | undefined = fields.get(req) || req[SLOT]
  if (found) {
    lastRequest = req
    lastFields = found
  }
  return found
}

function install(): void {
  installed = true
  const proto = IncomingMessage.prototype as any
  for (const name of ['sessionID', 'sessionStore'] as const) {
    if (name in proto) continue
    Object.defineProperty(proto, name, {
      configurable: true,
      get(this: object) {
        return fieldsOf(this)?.[name]
      },
      set(this: object, value: any) {
        const own = fieldsOf(this)
        if (own) own[name] = value
        // A request the middleware never saw: a plain property, as before.
        else Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true })
      }
    })
  }
  const methods = { flash, regenerateSession, destroySession }
  for (const [name, fn] of Object.entries(methods)) {
    // connect-flash, mounted anywhere, sets its own req.flash and wins.
    if (!(name in proto)) Object.defineProperty(proto, name, { configurable: true, writable: true, value: fn })
  }
}
