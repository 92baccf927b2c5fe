/**
 * The longest delay one Node timer can hold (2^31-1 ms, about 24.8 days); a longer one
 * fires after 1 ms with a TimeoutOverflowWarning, so longer waits are done in chunks.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** setTimeout/clearTimeout, injectable so tests can check the delays asked for. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const nodeTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

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
  timers?: Timers
}

/**
 * Runs cycles one after another, never overlapping: the first at once, then every
 * interval measured from each cycle's start. A cycle that overruns is followed at once by
 * the next. A change notification cuts the wait short; one that arrives during a cycle
 * starts the next cycle right after it. Returns the number of cycles run.
 */
export async function runWatchLoop(options: WatchLoopOptions): Promise<number> {
  const now = options.now ?? Date.now
  const timers = options.timers ?? nodeTimers
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
      const deadline = started + options.intervalMs
      if (deadline > now() && !pendingChange) {
        await new Promise<void>((resolve) => {
          let timer: unknown
          const done = (): void => {
            timers.clearTimeout(timer)
            options.signal.removeEventListener('abort', done)
            wakeWaiter = undefined
            resolve()
          }
          const arm = (): void => {
            const left = deadline - now()
            if (left <= 0) return done()
            timer = timers.setTimeout(arm, Math.min(left, MAX_TIMER_MS))
          }
          options.signal.addEventListener('abort', done)
          wakeWaiter = done
          arm()
        })
      }
    }
  } finally {
    unsubscribe?.()
  }
  return cycles
}
