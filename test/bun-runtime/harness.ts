/**
 * What the scripts in test/bun-runtime and the behaviour suite in
 * test/runtime share: a cookie-jar client over fetch, small assertions, a
 * slow promise store that records its calls, and a runner that prints one
 * JSON line per scenario ({ name, ok, detail }) for test/bun-*.test.ts.
 */
import { MemoryStore } from '../../stores/memory'

export interface Reply {
  status: number
  body: string
  setCookie: string[]
  headers: Headers
}

export class Jar {
  readonly cookies = new Map<string, string>()
  constructor(readonly base: string) {}

  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  async fetch(path: string, init: { method?: string; headers?: Record<string, string>; cookie?: string; body?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers }
    const cookie = init.cookie ?? this.header
    if (cookie) headers.cookie = cookie
    const res = await fetch(this.base + path, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' })
    const setCookie = res.headers.getSetCookie()
    for (const line of setCookie) {
      const pair = line.split(';')[0]
      const at = pair.indexOf('=')
      if (/expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(pair.slice(0, at))
      else this.cookies.set(pair.slice(0, at), pair.slice(at + 1))
    }
    return { status: res.status, body: await res.text(), setCookie, headers: res.headers }
  }

  /** The session ID inside this jar's `connect.sid` (or `name`) cookie. */
  sid(name = 'connect.sid'): string {
    return decodeURIComponent(this.cookies.get(name) ?? '').slice(2).split('.')[0]
  }
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

export function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`)
}

export const json = (reply: Reply) => JSON.parse(reply.body)

/** A promise store over a MemoryStore that answers after `delay` ms, counting its calls. */
export function slowStore(delay = 15) {
  const inner = new MemoryStore({ sweepInterval: false })
  const calls: string[] = []
  const later = <T>(name: string, work: () => Promise<T>) => {
    calls.push(name)
    return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(work)
  }
  return {
    inner,
    calls,
    get: (sid: string) => later('get', () => inner.get(sid)),
    set: (sid: string, record: any) => later('set', () => inner.set(sid, record)),
    destroy: (sid: string) => later('destroy', () => inner.destroy(sid)),
    touch: (sid: string, record: any) => later('touch', () => inner.touch(sid, record))
  }
}

export interface Scenario {
  name: string
  run(): Promise<void>
}

/** Run each scenario with a deadline, printing one JSON line per scenario. */
export async function runScenarios(scenarios: Scenario[], timeoutMs = 10_000): Promise<void> {
  const only = process.env.SCENARIO
  for (const scenario of scenarios) {
    if (only && !scenario.name.includes(only)) continue
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      await Promise.race([scenario.run(), deadline])
      console.log(JSON.stringify({ name: scenario.name, ok: true }))
    } catch (err) {
      console.log(JSON.stringify({ name: scenario.name, ok: false, detail: String((err as Error)?.stack ?? err) }))
    } finally {
      clearTimeout(timer)
    }
  }
}
