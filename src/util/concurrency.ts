import {availableParallelism} from 'node:os'

/**
 * Default number of filesystem operations in flight. IO-bound work (stat, copy) gains from
 * more requests than cores, up to libuv's thread pool (4 threads unless configured).
 */
export function defaultConcurrency(): number {
  return Math.min(16, Math.max(4, availableParallelism() * 4))
}
