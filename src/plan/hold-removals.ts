import {ancestorsOf} from '../tree/paths.js'
import type {Operation} from './operation.js'
import {summarize, type Plan} from './plan.js'

/** A plan split in two: what can run now, and the removals kept for the user to confirm. */
export interface HeldPlan {
  plan: Plan
  /** The removals left out, and the operations that needed them (a path changing kind). */
  held: Operation[]
}

/**
 * The plan without its removals, for a watch cycle whose removals the guards stopped:
 * creates, updates and fixes still run, so a guarded replica keeps receiving new data
 * while nothing is deleted. Operations at or under a removed path wait with it (an entry
 * that changes kind needs the old one gone first). Pure.
 */
export function holdRemovals(plan: Plan): HeldPlan {
  const removed = new Set<string>()
  for (const op of plan.operations) if (op.op === 'delete' || op.op === 'rmdir') removed.add(op.path)
  const waits = (op: Operation): boolean =>
    removed.has(op.path) || ancestorsOf(op.path).some((dir) => removed.has(dir))
  const operations: Operation[] = []
  const held: Operation[] = []
  for (const op of plan.operations) (waits(op) ? held : operations).push(op)
  return {plan: {...plan, operations, summary: summarize(operations)}, held}
}
