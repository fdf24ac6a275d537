/**
 * Serve a Fetch handler (`(Request) => Response`, such as a Hono app's
 * `fetch`) on 127.0.0.1, port 0: with Bun.serve under Bun, with
 * @hono/node-server under Node. Scenario lists written against `listen` run
 * on both runtimes.
 */
import { Client, type Served } from './http'

export type FetchHandler = (request: Request) => Response | Promise<Response>

const runningBun = typeof (globalThis as any).Bun !== 'undefined'

/** Which server `listen` uses here. */
export const server = runningBun ? 'Bun.serve' : '@hono/node-server'

export async function listen(fetch: FetchHandler): Promise<Served> {
  if (runningBun) {
    const bunServer = (globalThis as any).Bun.serve({ port: 0, hostname: '127.0.0.1', fetch })
    return { url: `http://127.0.0.1:${bunServer.port}`, close: async () => bunServer.stop(true) }
  }
  const { serve } = await import('@hono/node-server')
  return new Promise((resolve) => {
    const nodeServer: any = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            nodeServer.closeAllConnections?.()
            nodeServer.close(() => done())
          })
      })
    )
  })
}

/** Serve `fetch`, drive it with a fresh cookie-jar Client, then stop the server. */
export async function serving(fetch: FetchHandler, drive: (jar: Client) => Promise<void>): Promise<void> {
  const served = await listen(fetch)
  try {
    await drive(new Client(served.url))
  } finally {
    await served.close()
  }
}
