import type {RootCapabilities} from '../backend/capabilities.js'
import type {Operation, OperationKind} from './operation.js'
import {copiesData, OPERATION_KINDS} from './operation.js'

export const PLAN_FORMAT = 'treesync-plan'
export const PLAN_VERSION = 2

/** How files are judged equal. */
export type CompareMode = 'md5' | 'size-mtime'

/** Operations per kind, and the file bytes that create/update copy. */
export type PlanSummary = Record<OperationKind, number> & {bytes: number}

/** A warning attached to a plan: something left alone, and why. `error` ones fail the run. */
export interface PlanWarning {
  path: string
  message: string
  level?: 'error'
}

/** True when the plan was made without being able to read some entries. */
export function hasReadErrors(plan: Pick<Plan, 'warnings'>): boolean {
  return plan.warnings.some((w) => w.level === 'error')
}

/** A plan: the versioned envelope of the contract; `toPlanJson` makes its JSON document. */
export interface Plan {
  format: typeof PLAN_FORMAT
  version: typeof PLAN_VERSION
  source: string
  replica: string
  createdAt: string
  compare: CompareMode
  operations: Operation[]
  summary: PlanSummary
  warnings: PlanWarning[]
  /** How many entries each root held when planned: the empty-source guard checks them, also when a saved plan is applied. */
  entries: {source: number; replica: number}
  /** Set when the replica folder does not exist yet: apply creates it. */
  createsReplica?: true
  /** What each root can keep, as planned with (absent in version 1 plan files: full POSIX). */
  capabilities?: RootCapabilities
}

/** Counts operations per kind and the bytes they copy. */
export function summarize(operations: readonly Operation[]): PlanSummary {
  const summary = Object.fromEntries(OPERATION_KINDS.map((k) => [k, 0])) as PlanSummary
  summary.bytes = 0
  for (const op of operations) {
    summary[op.op]++
    if (copiesData(op)) summary.bytes += op.size
  }
  return summary
}
