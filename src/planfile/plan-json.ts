import {PLAN_FORMAT, PLAN_VERSION, type Plan} from '../plan/plan.js'

/**
 * A plan as a JSON document (format version 2): what `plan --json` and `show --json`
 * print and `plan --out` writes. It has exactly the fields of the in-memory `Plan`, which
 * is documented as this document; `source` and `replica` are root specs in their
 * canonical text (a local root by its absolute real path, a remote one by its URL).
 */
export type PlanJson = Plan

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
    entries: {source: plan.entries.source, replica: plan.entries.replica},
    ...(plan.createsReplica ? {createsReplica: true as const} : {}),
    ...(plan.capabilities ? {capabilities: plan.capabilities} : {}),
  }
}
