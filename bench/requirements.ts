import {spawnSync} from 'node:child_process'
import {accessSync, constants} from 'node:fs'

import {BenchError, GNU_TIME} from './measure.js'

/**
 * Stops with a one-line hint when a tool the bench needs is missing. The bench installs
 * nothing itself: what runs on a machine is the person's choice.
 */
export function checkRequirements(bin: string): void {
  const rsync = spawnSync('rsync', ['--version'], {stdio: 'ignore'})
  if (rsync.error || rsync.status !== 0) throw new BenchError('rsync is not installed; install it with: apt-get install -y rsync')
  try {
    accessSync(GNU_TIME, constants.X_OK)
  } catch {
    throw new BenchError(`GNU time (${GNU_TIME}) is not installed; install it with: apt-get install -y time`)
  }
  try {
    accessSync(bin, constants.R_OK)
  } catch {
    throw new BenchError(`treesync's ${bin} is missing; build it with: npm ci && npm run build`)
  }
}
