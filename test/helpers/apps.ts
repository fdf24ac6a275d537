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
