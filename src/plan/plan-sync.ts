import type {Manifest} from '../tree/entry.js'
import {diffManifests} from './diff-manifests.js'
import {orderOperations} from './order-operations.js'
import {pairRenames} from './pair-renames.js'
import {PLAN_FORMAT, PLAN_VERSION, summarize, type CompareMode, type Plan, type PlanWarning} from './plan.js'

export interface PlanOptions {
  compare: CompareMode
  /** Stamped into the plan; passed in so planning stays a pure function. */
  createdAt: string
}

/**
 * Plans the operations that turn the replica into a mirror of the source. Pure: no
 * filesystem, clock or randomness; same manifests and options, same plan.
 */
export function planSync(source: Manifest, replica: Manifest, options: PlanOptions): Plan {
  const diff = diffManifests(source.entries, replica.entries, options.compare, replica.excluded)
  const paired = options.compare === 'md5' ? pairRenames(diff.operations) : diff.operations
  const operations = orderOperations(paired)
  const warnings: PlanWarning[] = [
    ...source.warnings.map((w) => ({...w, message: `source: ${w.message}`})),
    ...replica.warnings.map((w) => ({...w, message: `replica: ${w.message}`})),
    ...diff.warnings,
  ]
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    source: source.root,
    replica: replica.root,
    createdAt: options.createdAt,
    compare: options.compare,
    operations,
    summary: summarize(operations),
    warnings,
    replicaEntries: replica.entries.length + (replica.matched ?? 0),
    sourceEntries: source.entries.length + (source.matched ?? 0),
    ...(replica.exists ? {} : {createsReplica: true as const}),
  }
}
