import { randomFillSync } from 'crypto'

// 24 bytes per ID, as express-session's default (uid-safe). Refilling a pool
// from the CSPRNG once per 170 IDs costs far less than a synchronous
// randomBytes() per request; each byte is handed out once. Node's own
// randomUUID() pools the same way.
const ID_BYTES = 24
const IDS_PER_FILL = 170

/**
 * A generator of session IDs: 24 random bytes in base64url (32 characters),
 * the format of express-session's default. Each `session()` gets its own
 * generator, and so its own pool.
 */
export function sessionIdGenerator(): () => string {
  const pool = Buffer.alloc(ID_BYTES * IDS_PER_FILL)
  let offset = pool.length
  return function generateSessionId(): string {
    if (offset + ID_BYTES > pool.length) {
      randomFillSync(pool)
      offset = 0
    }
    const id = pool.toString('base64url', offset, offset + ID_BYTES)
    offset += ID_BYTES
    return id
  }
}
