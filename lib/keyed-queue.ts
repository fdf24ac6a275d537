/**
 * Work queued by key: each piece of work for a key starts once the work
 * queued before it for that key has settled (failed or not). Keys without
 * work in flight hold nothing.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key)
    const next = previous ? previous.then(work, work) : work()
    this.tails.set(key, next)
    const forget = () => {
      if (this.tails.get(key) === next) this.tails.delete(key)
    }
    next.then(forget, forget)
    return next
  }
}
