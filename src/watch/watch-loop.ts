/** A way to be woken early: returns an unsubscribe function. */
export type ChangeSubscription = (wake: () => void) => () => void

export interface WatchLoopOptions {
  intervalMs: number
  signal: AbortSignal
  /** Runs one cycle; never throws (see runCycle). */
  cycle: (n: number) => Promise<unknown>
  /** Source changes (already debounced) start a cycle before the interval is up. */
  changes?: ChangeSubscription
  /** Called between cycles (e.g. to re-arm a watcher that failed). */
  betweenCycles?: () => void
  now?: () => number
}

/**
 * Runs cycles one after another, never overlapping: the first at once, then every
 * interval measured from each cycle's start. A cycle that overruns is followed at once by
 * the next. A change notification cuts the wait short; one that arrives during a cycle
 * starts the next cycle right after it. Returns the number of cycles run.
 */
export async function runWatchLoop(options: WatchLoopOptions): Promise<number> {
  const now = options.now ?? Date.now
  let pendingChange = false
  let wakeWaiter: (() => void) | undefined
  const unsubscribe = options.changes?.(() => {
    pendingChange = true
    wakeWaiter?.()
  })
  let cycles = 0
  try {
    while (!options.signal.aborted) {
      const started = now()
      pendingChange = false
      await options.cycle(++cycles)
      if (options.signal.aborted) break
      options.betweenCycles?.()
      const delay = started + options.intervalMs - now()
      if (delay > 0 && !pendingChange) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer)
            options.signal.removeEventListener('abort', done)
            wakeWaiter = undefined
            resolve()
          }
          const timer = setTimeout(done, delay)
          options.signal.addEventListener('abort', done)
          wakeWaiter = done
        })
      }
    }
  } finally {
    unsubscribe?.()
  }
  return cycles
}
