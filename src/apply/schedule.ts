import type {Operation} from '../plan/operation.js'
import {isInside} from '../tree/paths.js'

/**
 * Runs operations in plan order with up to `limit` in flight, and returns those not started
 * because `signal` was aborted. An operation starts only
 * when no running one touches a related path (the same path, an ancestor or a
 * descendant), so the result is the same as running them one by one in order. Operations
 * start in plan order: a blocked one holds back those after it, which keeps this simple
 * and costs little since the planner already groups independent work.
 */
export async function runInPathOrder(
  operations: readonly Operation[],
  limit: number,
  run: (op: Operation) => Promise<void>,
  signal?: AbortSignal,
): Promise<Operation[]> {
  const running = new Map<Promise<void>, readonly string[]>()
  for (const [index, op] of operations.entries()) {
    if (signal?.aborted) {
      // Interrupted: operations already running finish (their temporaries are cleaned up
      // by them); the rest are handed back, not started.
      await Promise.all(running.keys())
      return operations.slice(index)
    }
    const paths = touchedPaths(op)
    while (running.size >= Math.max(1, limit) || conflicts(running, paths)) {
      await Promise.race(running.keys())
    }
    const task: Promise<void> = run(op).finally(() => running.delete(task))
    running.set(task, paths)
  }
  await Promise.all(running.keys())
  return []
}

function touchedPaths(op: Operation): readonly string[] {
  return op.op === 'rename' ? [op.from, op.path] : [op.path]
}

function conflicts(running: Map<Promise<void>, readonly string[]>, paths: readonly string[]): boolean {
  for (const other of running.values()) {
    for (const a of other) for (const b of paths) if (a === b || isInside(a, b) || isInside(b, a)) return true
  }
  return false
}
