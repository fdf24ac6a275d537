/**
 * The one place where callback and promise conventions meet.
 *
 * Every public method of a session or a store takes an optional Node-style
 * callback and returns a promise. `settle` ties the two together:
 * the callback is called exactly once, outside of any try block, and the
 * returned promise never becomes an unhandled rejection when the caller
 * only passes a callback or ignores the result.
 */

/** A Node-style callback: `(err)` or `(null, value)`. */
export type Callback<T = void> = (err?: any, value?: T) => void

const noop = () => {}

/**
 * Call `callback` (if any) when `promise` settles, and return the promise
 * with a rejection handler attached, so that ignoring it is safe.
 */
export function settle<T>(promise: Promise<T>, callback?: Callback<T>): Promise<T> {
  if (typeof callback === 'function') {
    promise.then(
      (value) => invoke(callback, null, value),
      (err) => invoke(callback, err)
    )
  } else {
    promise.catch(noop)
  }
  return promise
}

/**
 * Run `fn` and turn a synchronous throw into a rejected promise, so that no
 * public method ever throws synchronously when the caller expects a promise.
 */
export function attempt<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (err) {
    return Promise.reject(err)
  }
}

/**
 * Run synchronous work and answer both ways: the returned promise holds its
 * result (or its throw), and `callback`, if any, gets it in a microtask, as
 * `settle` would give it, with one promise and one closure fewer per call.
 */
export function answer<T>(work: () => T, callback?: Callback<T>): Promise<T> {
  let value: T
  try {
    value = work()
  } catch (err) {
    const failed = Promise.reject(err)
    if (typeof callback === 'function') failed.then(undefined, (reason) => invoke(callback, reason))
    else failed.catch(noop)
    return failed
  }
  const done = Promise.resolve(value)
  // No rejection handler: a resolved promise cannot reject.
  if (typeof callback === 'function') done.then((result) => invoke(callback, null, result))
  return done
}

// A callback that throws must surface like it would in a plain callback API:
// as an uncaught exception, not as a rejection swallowed by our promise chain.
function invoke<T>(callback: Callback<T>, err: any, value?: T): void {
  try {
    if (err) callback(err)
    else callback(null, value)
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown
    })
  }
}

/**
 * Adapt any function that may call back, return a promise, or both, into a
 * promise that settles once: the first answer wins and later ones are
 * ignored. A synchronous throw becomes a rejection.
 */
export function once<T>(run: (callback: Callback<T>) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false
    const finish: Callback<T> = (err, value) => {
      if (done) return
      done = true
      if (err) reject(err)
      else resolve(value as T)
    }
    let returned: unknown
    try {
      returned = run(finish)
    } catch (err) {
      finish(err)
      return
    }
    if (returned && typeof (returned as PromiseLike<T>).then === 'function') {
      ;(returned as PromiseLike<T>).then(
        (value) => finish(null, value),
        (err) => finish(err ?? new Error('store rejected without a reason'))
      )
    }
  })
}
