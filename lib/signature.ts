import * as signature from 'cookie-signature'

// Verifying a signature is an HMAC, and the same few cookies come back on
// every request; remembering the verified ones saves that work. Only exact,
// already-verified values are remembered, and the memory is bounded.
const MAX_REMEMBERED = 5000

/** Sign a session ID the way express-session does: `s:` + cookie-signature. */
export class Signer {
  private readonly secrets: string[]
  private readonly signed = new Map<string, string>()
  private readonly verified = new Map<string, string>()

  constructor(secrets: string[]) {
    this.secrets = secrets
  }

  /** `s:<id>.<signature>` for the first secret, URI-encoded as it goes in the cookie. */
  cookieValue(id: string): string {
    let value = this.signed.get(id)
    if (value === undefined) {
      value = encodeURIComponent('s:' + signature.sign(id, this.secrets[0]))
      remember(this.signed, id, value)
    }
    return value
  }

  /** The session ID inside a raw cookie value, or `undefined` when it is unsigned or tampered with. */
  unsign(raw: string): string | undefined {
    if (raw.charCodeAt(0) !== 0x73 /* s */ || raw.charCodeAt(1) !== 0x3a /* : */) return undefined
    const known = this.verified.get(raw)
    if (known !== undefined) return known
    const value = raw.slice(2)
    for (const secret of this.secrets) {
      const id = signature.unsign(value, secret)
      if (id !== false) {
        remember(this.verified, raw, id)
        return id
      }
    }
    return undefined
  }
}

function remember(map: Map<string, string>, key: string, value: string): void {
  if (map.size >= MAX_REMEMBERED) map.delete(map.keys().next().value as string)
  map.set(key, value)
}
