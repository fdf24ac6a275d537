import * as signature from 'cookie-signature'

// Verifying a signature is an HMAC, and the same few cookies come back on
// every request; remembering the verified ones saves that work. Only exact,
// already-verified values are remembered, and the memory is bounded.
const MAX_REMEMBERED = 5000

/** A signing secret: cookie-signature takes strings and Buffers alike. */
export type Secret = string | Buffer

/** Sign a session ID the way express-session does: `s:` + cookie-signature. */
export class Signer {
  private readonly secrets: Secret[]
  // Both bounded; they belong to one session() and save an HMAC per request.
  private readonly signed = new Map<string, string>()
  private readonly verified = new Map<string, string>()

  constructor(secrets: Secret[]) {
    this.secrets = secrets
  }

  /** `s:<id>.<signature>` for the first secret, URI-encoded as it goes in the cookie. */
  cookieValue(id: string): string {
    let value = this.signed.get(id)
    if (value === undefined) {
      value = encodeURIComponent('s:' + signature.sign(id, this.secrets[0]))
      remember(this.signed, id, value)
      // The client sends these exact bytes back: no need to verify them then.
      remember(this.verified, value, id)
    }
    return value
  }

  /**
   * The session ID inside a cookie value as it came in the header (still
   * URI-encoded), or `undefined` when it is unsigned or tampered with.
   */
  unsign(encoded: string): string | undefined {
    const known = this.verified.get(encoded)
    if (known !== undefined) return known
    const id = this.verify(decodeValue(encoded))
    if (id !== undefined) remember(this.verified, ownCopy(encoded), ownCopy(id))
    return id
  }

  /** The same for a value already decoded (cookie-parser's `req.cookies`). */
  unsignDecoded(raw: string): string | undefined {
    // Without a `%`, decoding changes nothing and the remembered values apply.
    return raw.indexOf('%') === -1 ? this.unsign(raw) : this.verify(raw)
  }

  private verify(raw: string): string | undefined {
    if (raw.charCodeAt(0) !== 0x73 /* s */ || raw.charCodeAt(1) !== 0x3a /* : */) return undefined
    const value = raw.slice(2)
    for (const secret of this.secrets) {
      const id = signature.unsign(value, secret)
      if (id !== false) return id
    }
    return undefined
  }
}

/** The `cookie` package's decoding of a value: URI-decoded when it can be, else as is. */
export function decodeValue(value: string): string {
  if (value.indexOf('%') === -1) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

// When full, the oldest tenth goes at once: one walk per 500 new entries.
function remember(map: Map<string, string>, key: string, value: string): void {
  if (map.size >= MAX_REMEMBERED) {
    let count = MAX_REMEMBERED / 10
    for (const old of map.keys()) {
      map.delete(old)
      if (--count === 0) break
    }
  }
  map.set(key, value)
}

// A string sliced out of a Cookie header keeps the whole header alive; a
// copy of its own does not, and an ID that is one string compares faster
// when the store looks it up.
function ownCopy(text: string): string {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return text
  return Buffer.from(text, 'latin1').toString('latin1')
}
