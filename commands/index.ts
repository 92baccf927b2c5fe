import ApplyCommand from './apply.js'
import PlanCommand from './plan.js'
import ShowCommand from './show.js'
import WatchCommand from './watch.js'

/** The command table oclif loads (the "explicit" strategy in package.json). */
export const COMMANDS = {
  plan: PlanCommand,
  apply: ApplyCommand,
  show: ShowCommand,
  watch: WatchCommand,
}
