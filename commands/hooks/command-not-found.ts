import type {Hook} from '@oclif/core'

/**
 * An unknown command is bad input like any other: one line and exit 1. (oclif's default
 * message spans several lines and joins the arguments into the command name.)
 */
const commandNotFound: Hook<'command_not_found'> = async function (options) {
  const name = options.id.split(':')[0]
  const known = this.config.commandIDs.join(', ')
  process.stderr.write(`Error: unknown command "${name}" (commands: ${known}; see treesync --help)\n`)
  process.exit(1)
}

export default commandNotFound
