// Using a store directly from a script, without any HTTP server.
import { MemoryStore } from 'sessionware'

const store = new MemoryStore({ max: 10_000 })

await store.set('a', { cookie: { maxAge: 60_000 }, n: 1 })
console.log('get a      ->', await store.get('a'))
console.log('size       ->', store.size)

// Callback style works too.
store.length((err, count) => console.log('length     ->', err || count))

await store.set('short', { cookie: { expires: new Date(Date.now() - 1) } })
console.log('expired    ->', await store.get('short'))

await store.clear()
console.log('after clear->', store.size)
store.close()
