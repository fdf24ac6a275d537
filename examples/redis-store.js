// RedisStore from a script, and the store the example app uses when REDIS_URL is set.
//   node examples/redis-store.js      (REDIS_URL, default redis://localhost:6379)
// The store makes its own client with the `redis` or `ioredis` package the app has
// installed (under Bun, Bun's RedisClient); pass { client } to use yours instead.
const { RedisStore } = require('sessionware')

function createRedisStore(url) {
  return new RedisStore({ url, prefix: 'sess:' })
}

module.exports = { createRedisStore }

async function main() {
  const store = createRedisStore(process.env.REDIS_URL || 'redis://localhost:6379')
  try {
    await store.set('example-script', { cookie: { maxAge: 60_000 }, user: 'ada' })
    console.log('get    ->', await store.get('example-script'))
    await store.touch('example-script', { cookie: { maxAge: 120_000 } })
    console.log('touched, still there ->', (await store.get('example-script')) !== null)
    await store.destroy('example-script')
    console.log('after destroy ->', await store.get('example-script'))
  } finally {
    await store.close() // closes the client the store made
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error('redis-store example:', err.message)
    process.exitCode = 1
  })
}
