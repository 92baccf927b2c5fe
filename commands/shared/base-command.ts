import {Command, Errors} from '@oclif/core'

import {isTreesyncError} from '../../src/index.js'
import {exitCodeFor, Interrupts} from './interrupts.js'

/**
 * The one place where errors become messages and exit codes: a user's mistake or a refusal
 * is one line on stderr (or `{"error": …}` under --json) and exit 1; nothing exits 2 but
 * `plan --detailed-exitcode`, which sets it itself.
 */
export abstract class TreesyncCommand extends Command {
  static override enableJsonFlag = true

  /** Set by commands that stop gracefully on SIGINT/SIGTERM/SIGHUP (see `stopOnSignals`). */
  protected interrupts: Interrupts | undefined

  /** From now on a stop signal aborts `interrupts.signal` instead of killing the process. */
  protected stopOnSignals(): Interrupts {
    this.interrupts ??= new Interrupts()
    return this.interrupts
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    this.interrupts?.dispose()
    return super.finally(error)
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    const stoppedBy = isTreesyncError(error) && error.code === 'INTERRUPTED' ? this.interrupts?.stoppedBy : undefined
    // Stopped before anything was changed (scanning, at the prompt): say so, exit as the signal asks.
    const message = stoppedBy ? `stopped by ${stoppedBy} before anything was changed` : oneLine(error)
    const code = isTreesyncError(error) ? error.code : error instanceof Errors.CLIError ? 'USAGE' : 'INTERNAL'
    if (code === 'INTERNAL' && process.env.TREESYNC_DEBUG) process.stderr.write(`${error.stack}\n`)
    if (this.jsonEnabled()) {
      const path = isTreesyncError(error) ? error.path : undefined
      this.logJson({error: {code, message, ...(path ? {path} : {})}})
    } else {
      process.stderr.write(`Error: ${message}\n`)
    }
    process.exitCode = stoppedBy ? exitCodeFor(stoppedBy) : 1
  }
}

/**
 * An error as one line. oclif's parser messages span several lines (a heading, one line
 * per missing argument with its description, a help hint); keep the heading and names.
 */
function oneLine(error: Error): string {
  const lines = String(error.message ?? error)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('See more help'))
  const [head = 'unknown error', ...rest] = lines
  const message = head.endsWith(':')
    ? `${head} ${rest.map((l) => l.split(/\s{2,}/)[0]).join(', ')} (see --help)`
    : lines.join('; ')
  return isTreesyncError(error) || error instanceof Errors.CLIError ? message : `internal error: ${message}`
}
