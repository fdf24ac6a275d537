import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20000,
    hookTimeout: 30000,
    // Two cores: keep parallelism modest so timing-sensitive servers stay responsive.
    maxWorkers: 2,
    pool: 'forks'
  }
})
