/**
 * Run `create` with deprecation output off: for tests that omit `resave`,
 * `saveUninitialized` or `secret` on purpose (express-session's defaults).
 * Ours reads `process.noDeprecation` when it warns; express-session's (depd)
 * emits a `deprecation` event instead of printing while the process has a
 * listener for it. test/deprecations.test.ts proves, in child processes, that
 * both warn.
 */
export function withoutDeprecationOutput<T>(create: () => T): T {
  const previous = process.noDeprecation
  const ignore = () => {}
  process.noDeprecation = true
  process.on('deprecation' as any, ignore)
  try {
    return create()
  } finally {
    process.noDeprecation = previous
    process.off('deprecation' as any, ignore)
  }
}
