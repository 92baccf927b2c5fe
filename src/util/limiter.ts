/**
 * Runs asynchronous tasks with at most `limit` of them in flight; the others wait for a
 * slot. A remote backend's request is a network round trip, so many in flight hide the
 * latency; a limit keeps a large tree from opening thousands of requests at once.
 */
export class Limiter {
  private active = 0
  private readonly waiting: Array<() => void> = []

  /**
   * `order` says which waiting task takes a freed slot: `lifo` walks a tree depth first
   * (the newest directories first), which keeps the set of directories listed but not yet
   * settled small; `fifo` serves tasks in the order they came.
   */
  constructor(
    readonly limit: number,
    private readonly order: 'fifo' | 'lifo' = 'fifo',
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a limit of requests in flight must be a positive integer, not ${limit}`)
  }

  /** Tasks running now. */
  get inFlight(): number {
    return this.active
  }

  /** Runs `task` once a slot is free; settles as it does. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++
    // A finished task hands its slot straight to the next one: `active` is unchanged.
    else await new Promise<void>((start) => this.waiting.push(start))
    try {
      return await task()
    } finally {
      const next = this.order === 'lifo' ? this.waiting.pop() : this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}
