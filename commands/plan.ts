import {Flags} from '@oclif/core'

import {planLine, renderPlan, renderWarnings, type Plan} from '../src/index.js'
import {TreesyncCommand} from './shared/base-command.js'
import {rootArgs, syncFlags} from './shared/flags.js'
import {openSession, planSession} from './shared/session.js'

export default class PlanCommand extends TreesyncCommand {
  static override summary = 'Preview what a sync would do. Changes nothing.'
  static override description =
    'Scans SOURCE and REPLICA and prints the operations that would make REPLICA an exact mirror of SOURCE.'

  static override examples = [
    '<%= config.bin %> plan ./photos /mnt/backup/photos',
    '<%= config.bin %> plan ./site ./mirror --json',
    '<%= config.bin %> plan ./src ./dst --detailed-exitcode   # exit 2 when there are changes',
  ]

  static override args = rootArgs
  static override flags = {
    ...syncFlags,
    'detailed-exitcode': Flags.boolean({description: 'exit 0 when nothing changes, 2 when the plan has changes, 1 on error'}),
  }

  async run(): Promise<Plan> {
    const {args, flags} = await this.parse(PlanCommand)
    // Plan shows its result on stdout; only warnings go to the console log (stderr).
    const session = await openSession(args.source, args.replica, flags, false)
    try {
      const {plan} = await planSession(session, flags)
      session.logger.info(`plan ${session.roots.source} -> ${session.roots.replica}: ${planLine(plan.summary)}`)
      if (!this.jsonEnabled()) {
        process.stderr.write(renderWarnings(plan.warnings, session.err))
        process.stdout.write(renderPlan(plan, session.out))
      }
      if (flags['detailed-exitcode'] && plan.operations.length > 0) process.exitCode = 2
      return plan
    } finally {
      session.close()
    }
  }
}
