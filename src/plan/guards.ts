import {TreesyncError} from '../errors.js'
import {countOf} from '../util/count-of.js'
import type {Plan} from './plan.js'

/** What the guards look at: the removals, and how many entries each side held. */
export type GuardedPlan = Pick<Plan, 'operations' | 'entries' | 'source' | 'replica'>

/** A replica this large that loses nearly everything to a nearly empty source is suspect. */
const LARGE_REPLICA_ENTRIES = 100
/** "Nearly everything": the share of a large replica's entries the plan removes. */
const MOST_REMOVED = 0.9
/** "Nearly empty": the source holds fewer entries than this share of the replica's. */
const FEW_IN_SOURCE = 0.1

/**
 * True when the plan looks like the work of an empty or unmounted source (or of the wrong
 * replica): it removes every entry of a non-empty replica while the source holds fewer
 * entries than the replica did, or it removes ≥ 90 % of a replica of 100+ entries while
 * the source holds under a tenth as many (an unmounted mount point that keeps a stray file
 * or an empty folder the replica also has). An ordinary first sync, a populated source
 * into a replica holding a few stale entries, passes. A rename keeps its entry's data.
 */
export function looksLikeEmptySource(plan: GuardedPlan): boolean {
  const replica = plan.entries.replica
  if (replica === 0) return false
  const removals = removalCount(plan)
  if (removals >= replica && plan.entries.source < replica) return true
  return replica >= LARGE_REPLICA_ENTRIES && removals >= MOST_REMOVED * replica && plan.entries.source < FEW_IN_SOURCE * replica
}

/** The warning shown (and the refusal given) for a plan that would empty the replica: what was seen, and both causes. */
export function emptySourceMessage(plan: GuardedPlan): string {
  const removals = removalCount(plan)
  const removed = removals >= plan.entries.replica ? `all ${countOf(plan.entries.replica, 'entry', 'entries')}` : `${removals} of the ${plan.entries.replica} entries`
  return (
    `the plan removes ${removed} of the replica while the source holds ${countOf(plan.entries.source, 'entry', 'entries')}: ` +
    `is the source ${plan.source} empty or unmounted, or is ${plan.replica} the wrong replica? ` +
    `(pass --allow-delete-all if this is intended)`
  )
}

/** Limits on what a plan may remove before apply refuses it (watch holds the removals back). */
export interface DeleteGuards {
  /** Most `delete` + `rmdir` operations allowed; undefined for no limit. */
  maxDelete?: number
  allowDeleteAll: boolean
}

/** The guards of a library call that sets none: the empty-source guard on, no limit. */
export const DEFAULT_GUARDS: DeleteGuards = Object.freeze({allowDeleteAll: false})

/** How many entries a plan removes (`delete` + `rmdir`). */
export function removalCount(plan: Pick<Plan, 'operations'>): number {
  let removals = 0
  for (const op of plan.operations) if (op.op === 'delete' || op.op === 'rmdir') removals++
  return removals
}

/** Why the guards forbid applying this plan's removals (empty when they allow them). */
export function guardViolations(plan: GuardedPlan, guards: DeleteGuards): string[] {
  const out: string[] = []
  const removals = removalCount(plan)
  if (guards.maxDelete !== undefined && removals > guards.maxDelete) {
    out.push(`the plan removes ${removals} entries, more than --max-delete ${guards.maxDelete}`)
  }
  if (!guards.allowDeleteAll && looksLikeEmptySource(plan)) out.push(emptySourceMessage(plan))
  return out
}

/** Throws a DELETE_GUARD refusal when the guards forbid applying the plan. */
export function assertGuards(plan: GuardedPlan, guards: DeleteGuards): void {
  const [violation] = guardViolations(plan, guards)
  if (violation) throw new TreesyncError('DELETE_GUARD', `refusing to apply: ${violation}; nothing was applied`)
}
