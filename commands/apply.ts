import {Flags} from '@oclif/core'

import {
  appliedMessage,
  applyPlan,
  failedMessage,
  planLine,
  renderApplyResult,
  renderPlan,
  renderWarnings,
  skippedMessage,
  summarize,
  sweepTemporaries,
  type ApplyEvent,
  type Logger,
  type Operation,
  type PlanSummary,
} from '../src/index.js'
import {TreesyncCommand} from './shared/base-command.js'
import {confirmApply} from './shared/confirm.js'
import {rootArgs, syncFlags} from './shared/flags.js'
import {openSession, planSession} from './shared/session.js'

/** `apply --json` output: what was done, what failed (with paths), and counts. */
export interface ApplyJson {
  applied: Array<{op: Operation['op']; path: string; from?: string}>
  failed: Array<{op: Operation['op']; path: string; error: string}>
  skipped: Array<{op: Operation['op']; path: string; reason: string}>
  summary: PlanSummary
  durationMs: number
}

export default class ApplyCommand extends TreesyncCommand {
  static override summary = 'Plan, show, confirm, then make REPLICA an exact mirror of SOURCE.'
  static override description =
    'Shows the plan and asks for confirmation on a terminal (only "yes" proceeds). Without a terminal it refuses unless --auto-approve.'

  static override examples = [
    '<%= config.bin %> apply ./photos /mnt/backup/photos',
    '<%= config.bin %> apply ./site ./mirror --auto-approve --log-file sync.log',
  ]

  static override args = rootArgs
  static override flags = {
    ...syncFlags,
    'auto-approve': Flags.boolean({description: 'apply without asking for confirmation'}),
  }

  async run(): Promise<ApplyJson> {
    const {args, flags} = await this.parse(ApplyCommand)
    const session = await openSession(args.source, args.replica, flags, true)
    try {
      const {plan, replica} = await planSession(session, flags)
      if (!this.jsonEnabled()) {
        process.stderr.write(renderWarnings(plan.warnings, session.err))
        process.stdout.write(renderPlan(plan, session.out))
      }
      if (plan.operations.length > 0 && !flags['auto-approve']) await confirmApply()
      // Temporaries are treesync's own leftovers, never user entries: removing them needs no plan.
      await sweepTemporaries(session.roots.replica, replica.temporaries)
      if (plan.operations.length === 0) return {applied: [], failed: [], skipped: [], summary: summarize([]), durationMs: 0}
      session.logger.info(`apply ${session.roots.source} -> ${session.roots.replica}: ${planLine(plan.summary)}`)
      const result = await applyPlan(plan, {concurrency: session.concurrency, onEvent: logEvent(session.logger)})
      const outcome = `${result.applied.length} applied, ${result.failed.length} failed, ${result.skipped.length} skipped`
      session.logger.log(result.failed.length > 0 ? 'ERROR' : 'INFO', `apply finished: ${outcome}`)
      if (!this.jsonEnabled()) process.stdout.write(renderApplyResult(result, session.out))
      if (result.failed.length > 0 || result.skipped.length > 0) process.exitCode = 1
      return {
        applied: result.applied.map((op) => ({op: op.op, path: op.path, ...(op.op === 'rename' ? {from: op.from} : {})})),
        failed: result.failed,
        skipped: result.skipped,
        summary: result.summary,
        durationMs: result.durationMs,
      }
    } finally {
      session.close()
    }
  }
}

function logEvent(logger: Logger): (event: ApplyEvent) => void {
  return (event) => {
    if (event.type === 'applied') logger.info(appliedMessage(event.op))
    else if (event.type === 'failed') logger.error(failedMessage({op: event.op.op, path: event.path, error: event.error}))
    else logger.warn(skippedMessage({op: event.op.op, path: event.op.path, reason: event.reason}))
  }
}
