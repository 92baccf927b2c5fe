import {
  applyPlanLogged,
  hasReadErrors,
  planLine,
  renderApplyResult,
  type Operation,
  type Plan,
  type PlanSummary,
} from '../../src/index.js'
import type {Interrupts} from './interrupts.js'
import type {Session} from './session.js'

/** `apply --json` output: what was done, what failed (with paths), and counts. */
export interface ApplyJson {
  applied: Array<{op: Operation['op']; path: string; from?: string}>
  failed: Array<{op: Operation['op']; path: string; error: string}>
  skipped: Array<{op: Operation['op']; path: string; reason: string}>
  summary: PlanSummary
  durationMs: number
  /** The signal that stopped apply before it was done. */
  stoppedBy?: string
}

/** How to execute a confirmed plan. */
export interface ExecuteOptions {
  /** Leftover temporaries to sweep first. */
  temporaries: readonly string[]
  /** --json: no closing line on stdout. */
  quiet: boolean
  /** A stop signal lets the operations in progress finish and starts no more. */
  interrupts?: Interrupts
}

/**
 * Sweeps leftover temporaries, applies a confirmed plan with a log line per operation, and
 * prints the closing line unless quiet (--json). Returns the JSON result; `ok` is false
 * when anything failed or was skipped, or when the plan could not read some entries.
 */
export async function executePlan(session: Session, plan: Plan, options: ExecuteOptions): Promise<{json: ApplyJson; ok: boolean}> {
  const {interrupts} = options
  if (plan.operations.length > 0) session.logger.info(`apply ${plan.source} -> ${plan.replica}: ${planLine(plan.summary)}`)
  const result = await applyPlanLogged(plan, session.settings, {
    logger: session.logger,
    temporaries: options.temporaries,
    replicaCache: session.hashCaches?.replica,
    signal: interrupts?.signal,
    remotes: session.remotes,
  })
  const stoppedBy = interrupts?.stoppedBy
  const readErrors = hasReadErrors(plan)
  if (plan.operations.length > 0) {
    const outcome = `${result.applied.length} applied, ${result.failed.length} failed, ${result.skipped.length} skipped`
    if (stoppedBy) {
      const notDone = plan.operations.length - result.applied.length
      session.logger.warn(`apply stopped by ${stoppedBy}: ${result.applied.length} of ${plan.operations.length} operations done, ${notDone} not done; run apply again to finish`)
    } else if (result.unreachable) {
      const notStarted = result.skipped.filter((s) => s.reason.startsWith('not started')).length
      session.logger.error(`apply stopped: ${result.unreachable}; ${outcome} (${notStarted} not started); run apply again to finish`)
    } else {
      session.logger.log(result.failed.length > 0 ? 'ERROR' : 'INFO', `apply finished: ${outcome}`)
    }
    if (!options.quiet) process.stdout.write(renderApplyResult(result, session.out, {readErrors, stoppedBy}))
  }
  const json: ApplyJson = {
    applied: result.applied.map((op) => ({op: op.op, path: op.path, ...(op.op === 'rename' ? {from: op.from} : {})})),
    failed: result.failed,
    skipped: result.skipped,
    summary: result.summary,
    durationMs: result.durationMs,
    ...(stoppedBy ? {stoppedBy} : {}),
  }
  // Entries that could not be read were left alone: the replica is not a full mirror.
  const ok = result.failed.length === 0 && result.skipped.length === 0 && !readErrors
  return {json, ok}
}
