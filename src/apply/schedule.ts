import type {Operation} from '../plan/operation.js'
import {ancestorsOf} from '../tree/paths.js'

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
  const busy = new BusyPaths()
  const running = new Set<Promise<void>>()
  // One promise that settles when any running operation ends: waiting on it costs the same
  // whatever the limit (a `Promise.race` over all running tasks would cost `limit` per wait).
  let wake: () => void = () => undefined
  let someoneEnded = new Promise<void>((resolve) => (wake = resolve))
  for (const [index, op] of operations.entries()) {
    const paths = touchedPaths(op)
    while (!signal?.aborted && (running.size >= Math.max(1, limit) || paths.some((p) => busy.conflicts(p)))) {
      await someoneEnded
    }
    // Checked after any wait too: a signal that came while waiting starts nothing more.
    if (signal?.aborted) {
      // Interrupted: operations already running finish (their temporaries are cleaned up
      // by them); the rest are handed back, not started.
      await Promise.all(running)
      return operations.slice(index)
    }
    for (const p of paths) busy.add(p)
    const task: Promise<void> = run(op).finally(() => {
      running.delete(task)
      for (const p of paths) busy.remove(p)
      wake()
      someoneEnded = new Promise<void>((resolve) => (wake = resolve))
    })
    running.add(task)
  }
  await Promise.all(running)
  return []
}

function touchedPaths(op: Operation): readonly string[] {
  return op.op === 'rename' ? [op.from, op.path] : [op.path]
}

/**
 * Paths of running operations, indexed so that a conflict check costs the depth of the
 * path, not the number of operations running.
 */
class BusyPaths {
  /** Running paths, with how many operations hold each. */
  private readonly paths = new Map<string, number>()
  /** For each directory, how many running paths lie strictly inside it. */
  private readonly inside = new Map<string, number>()

  conflicts(path: string): boolean {
    if (this.paths.has(path) || this.inside.has(path)) return true
    return ancestorsOf(path).some((dir) => this.paths.has(dir))
  }

  add(path: string): void {
    bump(this.paths, path, 1)
    for (const dir of ancestorsOf(path)) bump(this.inside, dir, 1)
  }

  remove(path: string): void {
    bump(this.paths, path, -1)
    for (const dir of ancestorsOf(path)) bump(this.inside, dir, -1)
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by
  if (n === 0) counts.delete(key)
  else counts.set(key, n)
}
