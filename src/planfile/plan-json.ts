import type {RootCapabilities} from '../backend/capabilities.js'
import type {Operation} from '../plan/operation.js'
import {PLAN_FORMAT, PLAN_VERSION, type CompareMode, type Plan, type PlanSummary, type PlanWarning} from '../plan/plan.js'

/**
 * A plan as a JSON document (format version 2): what `plan --json` and `show --json`
 * print and `plan --out` writes. `source` and `replica` are root specs in their canonical
 * text (a local root by its absolute real path, a remote one by its URL).
 */
export interface PlanJson {
  format: typeof PLAN_FORMAT
  version: typeof PLAN_VERSION
  source: string
  replica: string
  createdAt: string
  compare: CompareMode
  operations: Operation[]
  summary: PlanSummary
  warnings: PlanWarning[]
  /** How many entries each root held when planned: the empty-source guard checks them again when a saved plan is applied. */
  entries: {source: number; replica: number}
  /** The replica folder does not exist yet: apply creates it. */
  createsReplica?: true
  /** What each root could keep, as planned with (absent: both full POSIX filesystems). */
  capabilities?: RootCapabilities
}

/**
 * The one way a plan becomes JSON: the documented fields, in the documented order, and
 * nothing else the in-memory value may carry. Operations are written as they are (they
 * are the plan's data; `validatePlan` is the strict reader).
 */
export function toPlanJson(plan: Plan): PlanJson {
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    source: plan.source,
    replica: plan.replica,
    createdAt: plan.createdAt,
    compare: plan.compare,
    operations: plan.operations,
    summary: plan.summary,
    warnings: plan.warnings,
    entries: {source: plan.sourceEntries, replica: plan.replicaEntries},
    ...(plan.createsReplica ? {createsReplica: true as const} : {}),
    ...(plan.capabilities ? {capabilities: plan.capabilities} : {}),
  }
}
