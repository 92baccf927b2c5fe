import type {Plan} from './plan.js'

/**
 * True when applying the plan would leave a non-empty replica with nothing of what it held:
 * the classic sign of an empty or unmounted source. A rename keeps its data, so it does
 * not count as a removal here.
 */
export function removesEverything(plan: Pick<Plan, 'operations' | 'replicaEntries'>): boolean {
  if (plan.replicaEntries === 0) return false
  let removals = 0
  let kept = false
  for (const op of plan.operations) {
    if (op.op === 'delete' || op.op === 'rmdir') removals++
    else if (op.op === 'rename') kept = true
  }
  return !kept && removals >= plan.replicaEntries
}

/** The warning shown (and the refusal given) for a plan that would empty the replica. */
export function emptySourceMessage(plan: Pick<Plan, 'source' | 'replicaEntries'>): string {
  return (
    `the plan deletes all ${plan.replicaEntries} entries of the replica: is the source ${plan.source} empty or unmounted? ` +
    `(pass --allow-delete-all if this is intended)`
  )
}
