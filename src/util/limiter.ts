/**
 * Runs async tasks with at most `limit` in flight (a rolling window, not batches).
 * Tasks must not wait on other tasks of the same limiter, or they can deadlock.
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>

/** Creates a limiter allowing `limit` (≥ 1) tasks at once. */
export function createLimiter(limit: number): Limiter {
  const max = Math.max(1, Math.floor(limit))
  let active = 0
  // A FIFO queue with a moving head: Array#shift is O(n) on long queues (a scan can
  // queue every entry of a directory at once).
  let waiting: Array<() => void> = []
  let head = 0

  // A finishing task hands its slot straight to the next waiter, so a newcomer can never
  // slip in between and push the count over the limit.
  const release = (): void => {
    const next = waiting[head]
    if (next === undefined) {
      active--
      return
    }
    waiting[head++] = undefined as unknown as () => void
    if (head > 1024 && head * 2 > waiting.length) {
      waiting = waiting.slice(head)
      head = 0
    }
    next()
  }

  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < max) active++
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await task()
    } finally {
      release()
    }
  }
}
