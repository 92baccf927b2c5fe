import {Args, Flags} from '@oclif/core'

import {
  findTemporariesIn,
  readPlanFile,
  renderPlan,
  TreesyncError,
  verifyPlan,
  type Plan,
} from '../src/index.js'
import {assertPlanRoots} from '../src/apply/verify-plan.js'
import {assertGuards} from '../src/plan/guards.js'
import {parentPath} from '../src/tree/paths.js'
import {TreesyncCommand} from './shared/base-command.js'
import {confirmApply} from './shared/confirm.js'
import {executePlan, type ApplyJson} from './shared/execute.js'
import {exitCodeFor, outliveClosedConsole, throwIfStopped, type Interrupts} from './shared/interrupts.js'
import {allowDeleteAllFlag, syncFlags} from './shared/flags.js'
import {refusePlanningFlags} from './shared/saved-plan-flags.js'
import {openSession, planSession, type Session} from './shared/session.js'

export default class ApplyCommand extends TreesyncCommand {
  static override summary = 'Make REPLICA an exact mirror of SOURCE, or apply a saved plan exactly.'
  static override description = [
    'With SOURCE and REPLICA: plans, shows the plan, and asks for confirmation on a terminal',
    '(only "yes" proceeds); without a terminal it refuses unless --auto-approve.',
    'With one PLANFILE (from `plan --out`): applies exactly that plan without asking, after',
    'checking that nothing it relies on has changed; a stale plan is refused whole. Flags that',
    'change what a plan does (--exclude, --exclude-from, --compare) are refused with a',
    'PLANFILE: pass them to plan instead.',
  ].join('\n')

  static override examples = [
    '<%= config.bin %> apply ./photos /mnt/backup/photos',
    '<%= config.bin %> apply ./site ./mirror --auto-approve --log-file sync.log',
    '<%= config.bin %> plan ./site ./mirror --out site.plan && <%= config.bin %> apply site.plan',
  ]

  static override args = {
    source: Args.string({description: 'directory to mirror from, or a saved PLANFILE', required: true}),
    replica: Args.string({description: 'directory to mirror into (omit when applying a PLANFILE)'}),
  }

  static override flags = {
    ...syncFlags,
    ...allowDeleteAllFlag,
    'auto-approve': Flags.boolean({description: 'apply without asking for confirmation'}),
  }

  async run(): Promise<ApplyJson> {
    const interrupts = this.stopOnSignals()
    outliveClosedConsole()
    const {args, flags, raw} = await this.parse(ApplyCommand)
    if (args.replica === undefined) refusePlanningFlags(raw.flatMap((token) => (token.type === 'flag' ? [token.flag] : [])))
    const saved = args.replica === undefined ? await readPlanFile(args.source) : undefined
    const session = await openSession(saved?.source ?? args.source, saved?.replica ?? args.replica!, flags, 'stderr')
    interrupts.report = (message) => session.logger.warn(message)
    try {
      await session.lockReplica()
      const {json, ok} = saved ? await this.applySaved(session, saved, interrupts) : await this.planAndApply(session, flags, interrupts)
      if (interrupts.stoppedBy) process.exitCode = exitCodeFor(interrupts.stoppedBy)
      else if (!ok) process.exitCode = 1
      return json
    } finally {
      await session.close()
    }
  }

  private async planAndApply(session: Session, flags: ApplyFlags, interrupts: Interrupts) {
    const {plan, replica} = await planSession(session, interrupts.signal)
    this.show(session, plan, !flags['auto-approve'] && plan.operations.length > 0)
    assertGuards(plan, session.settings.guards)
    if (plan.operations.length > 0 && !flags['auto-approve']) await confirmApply(interrupts)
    throwIfStopped(interrupts)
    return executePlan(session, plan, {temporaries: replica.temporaries, quiet: this.jsonEnabled(), interrupts})
  }

  /** A saved plan is applied as it is, or not at all: its roots and every precondition must hold. */
  private async applySaved(session: Session, plan: Plan, interrupts: Interrupts) {
    // First, though verifyPlan checks it too: a plan for directories that now resolve elsewhere is not shown.
    assertPlanRoots(plan, session.roots)
    this.show(session, plan)
    assertGuards(plan, session.settings.guards)
    const stale = await verifyPlan(plan, {roots: session.roots, remotes: session.remotes})
    if (stale) {
      session.logger.error(`plan is stale: ${stale.path}: ${stale.reason}`)
      throw new TreesyncError('PLAN_STALE', `plan is stale: ${stale.path}: ${stale.reason}; nothing was applied (run plan again)`, stale.path)
    }
    const dirs = plan.operations.flatMap((op) => [op.path, ...(op.op === 'rename' ? [op.from] : [])].map(parentPath))
    const temporaries = await findTemporariesIn(plan.replica, dirs, session.remotes)
    throwIfStopped(interrupts)
    return executePlan(session, plan, {temporaries, quiet: this.jsonEnabled(), interrupts})
  }

  /**
   * The plan on stdout; its warnings already went to stderr as log lines. With --json on a
   * terminal, where apply will ask, the plan goes to stderr: nobody confirms unseen changes.
   */
  private show(session: Session, plan: Plan, willAsk = false): void {
    if (!this.jsonEnabled()) process.stdout.write(renderPlan(plan, session.out))
    else if (willAsk && process.stdin.isTTY) process.stderr.write(renderPlan(plan, session.err))
  }
}

type ApplyFlags = {'auto-approve': boolean}
