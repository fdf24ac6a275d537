import { format } from 'util'

/** Flash messages by type, as connect-flash keeps them in `session.flash`. */
export type FlashMessages = Record<string, string[]>

/**
 * connect-flash's semantics on a message holder:
 * `(type, msg)` adds (extra arguments format `msg`, an array adds each) and
 * returns the count; `(type)` returns that type's messages and clears them;
 * `()` returns every message and clears them all.
 */
export function useFlash(holder: FlashMessages, clearAll: () => void, args: unknown[]): any {
  const type = args[0] as string | undefined
  const message = args[1]
  if (type && message) {
    const list = holder[type] || (holder[type] = [])
    if (args.length > 2) list.push(format(...(args.slice(1) as [string, ...unknown[]])))
    else if (Array.isArray(message)) for (const item of message) list.push(item)
    else list.push(message as string)
    return list.length
  }
  if (type) {
    const messages = holder[type] || []
    delete holder[type]
    return messages
  }
  const all: FlashMessages = {}
  for (const key of Object.keys(holder)) all[key] = holder[key]
  clearAll()
  return all
}
