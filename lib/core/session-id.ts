import { randomFillSync } from 'crypto'

// Session IDs take 24 bytes from a pool that is refilled from the CSPRNG in
// one call per 170 IDs: a synchronous randomBytes() per request costs far more.
// Each byte is handed out once. Node's own randomUUID() pools the same way.
const ID_BYTES = 24
const pool = Buffer.alloc(ID_BYTES * 170)
let offset = pool.length

/**
 * A new session ID: 24 random bytes in base64url (32 characters), the same
 * format as express-session's default (`uid-safe`).
 */
export function generateSessionId(): string {
  if (offset + ID_BYTES > pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES)
  offset += ID_BYTES
  return id
}
