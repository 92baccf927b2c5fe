import {
  applyRecorded,
  hasReadErrors,
  planLine,
  renderApplyResult,
  type HashCache,
  type Operation,
  type Plan,
  type PlanSummary,
} from '../../src/index.js'
import type {Session} from './session.js'

/** `apply --json` output: what was done, what failed (with paths), and counts. */
export interface ApplyJson {
  applied: Array<{op: Operation['op']; path: string; from?: string}>
  failed: Array<{op: Operation['op']; path: string; error: string}>
  skipped: Array<{op: Operation['op']; path: string; reason: string}>
  summary: PlanSummary
  durationMs: number
}

/**
 * Sweeps leftover temporaries, applies a confirmed plan with a log line per operation, and
 * prints the closing line unless `quiet` (--json). Returns the JSON result; `ok` is false
 * when anything failed or was skipped, or when the plan could not read some entries.
 */
export async function executePlan(
  session: Session,
  plan: Plan,
  temporaries: readonly string[],
  quiet: boolean,
  replicaCache?: HashCache,
): Promise<{json: ApplyJson; ok: boolean}> {
  if (plan.operations.length > 0) session.logger.info(`apply ${plan.source} -> ${plan.replica}: ${planLine(plan.summary)}`)
  const result = await applyRecorded(plan, {
    logger: session.logger,
    temporaries,
    replicaCache,
    concurrency: session.concurrency,
    backupDir: session.backupDir,
  })
  if (plan.operations.length > 0) {
    const outcome = `${result.applied.length} applied, ${result.failed.length} failed, ${result.skipped.length} skipped`
    session.logger.log(result.failed.length > 0 ? 'ERROR' : 'INFO', `apply finished: ${outcome}`)
    if (!quiet) process.stdout.write(renderApplyResult(result, session.out))
  }
  const json: ApplyJson = {
    applied: result.applied.map((op) => ({op: op.op, path: op.path, ...(op.op === 'rename' ? {from: op.from} : {})})),
    failed: result.failed,
    skipped: result.skipped,
    summary: result.summary,
    durationMs: result.durationMs,
  }
  // Entries that could not be read were left alone: the replica is not a full mirror.
  const ok = result.failed.length === 0 && result.skipped.length === 0 && !hasReadErrors(plan)
  return {json, ok}
}

