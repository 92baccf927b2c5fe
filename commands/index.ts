import ApplyCommand from './apply.js'
import PlanCommand from './plan.js'

/** The command table oclif loads (the "explicit" strategy in package.json). */
export const COMMANDS = {
  plan: PlanCommand,
  apply: ApplyCommand,
}
