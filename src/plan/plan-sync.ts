import {FULL_CAPABILITIES, type RootCapabilities} from '../backend/capabilities.js'
import type {Manifest} from '../tree/entry.js'
import {diffManifests} from './diff-manifests.js'
import {comparisonFor} from './equality.js'
import {orderOperations} from './order-operations.js'
import {pairRenames} from './pair-renames.js'
import {fitToReplica} from './replica-limits.js'
import {PLAN_FORMAT, PLAN_VERSION, summarize, type CompareMode, type Plan, type PlanWarning} from './plan.js'

export interface PlanOptions {
  compare: CompareMode
  /** Stamped into the plan; passed in so planning stays a pure function. */
  createdAt: string
  /** What each root can keep (default: full POSIX filesystems on both sides). */
  capabilities?: RootCapabilities
  /** rsync's `--modify-window`: mtimes this many seconds apart are equal (default: the coarser precision of the roots). */
  modifyWindowSeconds?: number
}

/**
 * Plans the operations that turn the replica into a mirror of the source. Pure: no
 * filesystem, clock or randomness; same manifests and options, same plan.
 */
export function planSync(source: Manifest, replica: Manifest, options: PlanOptions): Plan {
  const capabilities = options.capabilities ?? {source: FULL_CAPABILITIES, replica: FULL_CAPABILITIES}
  const fitted = fitToReplica(source.entries, replica.entries, capabilities.replica)
  const comparison = comparisonFor(options.compare, capabilities, options.modifyWindowSeconds)
  const diff = diffManifests(fitted.source, fitted.replica, comparison, replica.excluded)
  // A rename saves a copy only where moving is cheap (not S3's copy + delete).
  const paired = options.compare === 'md5' && capabilities.replica.cheapMove ? pairRenames(diff.operations) : diff.operations
  const operations = orderOperations(paired)
  const warnings: PlanWarning[] = [
    ...source.warnings.map((w) => ({...w, message: `source: ${w.message}`})),
    ...replica.warnings.map((w) => ({...w, message: `replica: ${w.message}`})),
    ...fitted.warnings,
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
    entries: {source: source.entries.length + (source.matched ?? 0), replica: replica.entries.length + (replica.matched ?? 0)},
    ...(replica.exists ? {} : {createsReplica: true as const}),
    capabilities,
  }
}
