import {Flags} from '@oclif/core'

import {
  diffUpdates,
  guardViolations,
  planLine,
  renderPlan,
  renderWarnings,
  toPlanJson,
  TreesyncError,
  writePlanFile,
  type PlanJson,
} from '../src/index.js'
import {DEFAULT_DIFF_MAX_BYTES} from '../src/diff/update-diffs.js'
import {isWithin, realpathOfMaybeMissing} from '../src/roots.js'
import {TreesyncCommand} from './shared/base-command.js'
import {allowDeleteAllFlag, rootArgs, syncFlags} from './shared/flags.js'
import {throwIfStopped} from './shared/interrupts.js'
import {openSession, planSession} from './shared/session.js'

export default class PlanCommand extends TreesyncCommand {
  static override summary = 'Preview what a sync would do. Changes nothing.'
  static override description =
    'Scans SOURCE and REPLICA and prints the operations that would make REPLICA an exact mirror of SOURCE.'

  static override examples = [
    '<%= config.bin %> plan ./photos /mnt/backup/photos',
    '<%= config.bin %> plan ./site ./mirror --json',
    '<%= config.bin %> plan ./src ./dst --detailed-exitcode   # exit 2 when there are changes',
    '<%= config.bin %> plan ./site ./mirror --out site.plan    # review, then: treesync apply site.plan',
    '<%= config.bin %> plan ./docs ./mirror --diff',
  ]

  static override args = rootArgs
  static override flags = {
    ...syncFlags,
    ...allowDeleteAllFlag,
    'detailed-exitcode': Flags.boolean({description: 'exit 0 when nothing changes, 2 when the plan has changes, 1 on error'}),
    out: Flags.string({description: 'also write the plan to FILE (JSON), for `apply FILE` or `show FILE`'}),
    diff: Flags.boolean({description: 'show a unified diff under each updated text file'}),
    'diff-max-bytes': Flags.integer({
      description: 'with --diff, files larger than this are not diffed',
      default: DEFAULT_DIFF_MAX_BYTES,
      min: 0,
    }),
  }

  async run(): Promise<PlanJson> {
    const interrupts = this.stopOnSignals()
    const {args, flags} = await this.parse(PlanCommand)
    // Plan shows its result on stdout; only warnings go to the console log (stderr).
    const session = await openSession(args.source, args.replica, flags, false)
    try {
      await refuseOutInsideSource(flags.out, session.roots.source)
      const {plan} = await planSession(session, interrupts.signal)
      throwIfStopped(interrupts)
      session.logger.info(`plan ${session.roots.source} -> ${session.roots.replica}: ${planLine(plan.summary)}`)
      // Guards are checked again by apply; here they are shown before anything is applied.
      for (const message of guardViolations(plan, session.settings.guards)) plan.warnings.push({path: '.', message: `apply would refuse: ${message}`})
      if (flags.out) await writePlanFile(flags.out, plan)
      // Warnings go to stderr in both forms: with --json, stdout holds the plan alone.
      process.stderr.write(renderWarnings(plan.warnings, session.err))
      if (!this.jsonEnabled()) {
        const diffs = flags.diff ? await diffUpdates(plan, flags['diff-max-bytes']) : []
        process.stdout.write(renderPlan(plan, session.out, diffs))
      }
      if (flags['detailed-exitcode'] && plan.operations.length > 0) process.exitCode = 2
      return toPlanJson(plan)
    } finally {
      await session.close()
    }
  }
}

/** Writing the plan into SOURCE would change the source, and so make the plan stale at once. */
async function refuseOutInsideSource(out: string | undefined, source: string): Promise<void> {
  if (out === undefined) return
  if (isWithin(await realpathOfMaybeMissing(out), source)) throw new TreesyncError('BAD_INPUT', `--out ${out} is inside SOURCE: write the plan elsewhere`, out)
}
