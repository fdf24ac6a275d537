/** A call waiting for its answer. */
export class Pending {
  prev: Pending | undefined
  next: Pending | undefined
  linked = true
  constructor(
    readonly deadline: number,
    readonly onExpire: () => void
  ) {}
}

/**
 * Calls awaiting an answer, oldest first, all with the same timeout. They
 * join in deadline order, so adding and removing are O(1), and one unref'd
 * timer, armed for the front's deadline, expires them from the front:
 * cheaper than a timer (or a Set entry) per call. Used by the store bridge
 * (`storeTimeout`) and by RedisStore (its `timeout`).
 */
export class Deadlines {
  private head: Pending | undefined
  private tail: Pending | undefined
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(readonly timeout: number) {}

  /** Watch a call; `onExpire` runs once if it is not removed within the timeout. */
  add(onExpire: () => void): Pending {
    const pending = new Pending(performance.now() + this.timeout, onExpire)
    if (this.tail) {
      this.tail.next = pending
      pending.prev = this.tail
    } else this.head = pending
    this.tail = pending
    if (!this.timer) this.watch()
    return pending
  }

  /** The call answered: stop watching it. */
  remove(pending: Pending): void {
    if (!pending.linked) return
    pending.linked = false
    if (pending.prev) pending.prev.next = pending.next
    else this.head = pending.next
    if (pending.next) pending.next.prev = pending.prev
    else this.tail = pending.prev
    pending.prev = pending.next = undefined
  }

  /**
   * Arm the timer for the front's deadline. A call answered before it is
   * not waited for: the timer fires for it anyway, finds it gone, and is armed
   * again for the new front, whose deadline is later (never a busy loop).
   */
  private watch(): void {
    this.timer = setTimeout(() => this.expire(), Math.max(0, this.head!.deadline - performance.now()))
    this.timer.unref?.()
  }

  private expire(): void {
    this.timer = undefined
    const now = performance.now()
    while (this.head && this.head.deadline <= now) {
      const expired = this.head
      this.remove(expired)
      expired.onExpire()
    }
    if (this.head) this.watch()
  }
}
