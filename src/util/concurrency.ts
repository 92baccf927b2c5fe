import {availableParallelism} from 'node:os'

/**
 * Default number of filesystem operations in flight. IO-bound work (stat, copy) gains from
 * more requests than cores, up to libuv's thread pool (4 threads unless configured).
 */
export function defaultConcurrency(): number {
  return Math.min(16, Math.max(4, availableParallelism() * 4))
}

/**
 * Default number of worker threads making file copies: one per core, at least two (a
 * worker blocked in the kernel leaves its core to the other), at most four.
 */
export function defaultCopyWorkers(): number {
  return Math.min(4, Math.max(2, availableParallelism()))
}
