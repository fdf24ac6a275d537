// A RedisStore for the example app, from REDIS_URL, with node-redis
// (`npm install redis`). ioredis and Bun's RedisClient work the same way.
const { RedisStore } = require('sessionware')

async function createRedisStore(url) {
  const { createClient } = require('redis')
  const client = createClient({ url })
  client.on('error', (err) => console.error('redis:', err.message))
  await client.connect()
  return new RedisStore({ client, prefix: 'sess:' })
}

module.exports = { createRedisStore }
