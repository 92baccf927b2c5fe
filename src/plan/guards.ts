import {TreesyncError} from '../errors.js'
import type {Plan} from './plan.js'

/**
 * True when applying the plan would remove every entry of a non-empty replica: the sign
 * of an empty or unmounted source. What the plan creates does not matter (an unmounted
 * mount point often holds a stray file or two); a rename keeps its entry's data.
 */
export function removesEverything(plan: Pick<Plan, 'operations' | 'replicaEntries'>): boolean {
  if (plan.replicaEntries === 0) return false
  let removals = 0
  for (const op of plan.operations) {
    if (op.op === 'delete' || op.op === 'rmdir') removals++
    else if (op.op === 'rename') return false
  }
  return removals >= plan.replicaEntries
}

/** The warning shown (and the refusal given) for a plan that would empty the replica. */
export function emptySourceMessage(plan: Pick<Plan, 'source' | 'replicaEntries'>): string {
  return (
    `the plan deletes all ${plan.replicaEntries} entries of the replica: is the source ${plan.source} empty or unmounted? ` +
    `(pass --allow-delete-all if this is intended)`
  )
}

/** Limits on what a plan may remove before apply refuses it (watch skips the cycle). */
export interface DeleteGuards {
  /** Most `delete` + `rmdir` operations allowed; undefined for no limit. */
  maxDelete?: number
  allowDeleteAll: boolean
}

/** How many entries a plan removes (`delete` + `rmdir`). */
export function removalCount(plan: Pick<Plan, 'operations'>): number {
  return plan.operations.filter((op) => op.op === 'delete' || op.op === 'rmdir').length
}

/** Why the guards forbid applying this plan (empty when they allow it). */
export function guardViolations(plan: Pick<Plan, 'operations' | 'replicaEntries' | 'source'>, guards: DeleteGuards): string[] {
  const out: string[] = []
  const removals = removalCount(plan)
  if (guards.maxDelete !== undefined && removals > guards.maxDelete) {
    out.push(`the plan removes ${removals} entries, more than --max-delete ${guards.maxDelete}`)
  }
  if (!guards.allowDeleteAll && removesEverything(plan)) out.push(emptySourceMessage(plan))
  return out
}

/** Throws a DELETE_GUARD refusal when the guards forbid applying the plan. */
export function assertGuards(plan: Pick<Plan, 'operations' | 'replicaEntries' | 'source'>, guards: DeleteGuards): void {
  const [violation] = guardViolations(plan, guards)
  if (violation) throw new TreesyncError('DELETE_GUARD', `refusing to apply: ${violation}; nothing was applied`)
}
