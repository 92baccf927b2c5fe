import {Args} from '@oclif/core'

import {createStyle, readPlanFile, renderPlan, renderWarnings, toPlanJson, type PlanJson} from '../src/index.js'
import {colourWanted} from '../src/render/style.js'
import {TreesyncCommand} from './shared/base-command.js'

export default class ShowCommand extends TreesyncCommand {
  static override summary = 'Render a saved plan, as `plan` would have shown it.'
  static override examples = ['<%= config.bin %> show site.plan', '<%= config.bin %> show site.plan --json']

  static override args = {
    planfile: Args.string({description: 'a plan written by `plan --out`', required: true}),
  }

  async run(): Promise<PlanJson> {
    const {args} = await this.parse(ShowCommand)
    const plan = await readPlanFile(args.planfile)
    process.stderr.write(renderWarnings(plan.warnings, createStyle(colourWanted(process.stderr, process.env))))
    if (!this.jsonEnabled()) process.stdout.write(renderPlan(plan, createStyle(colourWanted(process.stdout, process.env))))
    return toPlanJson(plan)
  }
}
