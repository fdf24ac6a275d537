import { debuglog } from 'util'

/**
 * `NODE_DEBUG=sessionware` prints a line at every decision the middleware
 * makes, including why a response got no Set-Cookie.
 */
export const debug = debuglog('sessionware')

/**
 * Whether those lines are printed: checked before building a message that
 * costs. Bun's debuglog has no `enabled`, so NODE_DEBUG is read as Node reads it.
 */
export const debugEnabled: boolean =
  typeof debug.enabled === 'boolean'
    ? debug.enabled
    : (process.env.NODE_DEBUG || '')
        .split(/[\s,]+/)
        .some((name) => name !== '' && new RegExp('^' + name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$', 'i').test('sessionware'))
