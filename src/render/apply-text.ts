import type {ApplyResult} from '../model/apply-result.js'
import {countOf} from '../util/count-of.js'
import {formatBytes} from './format-bytes.js'
import type {Style} from './style.js'

/** What the closing line needs to know beyond the result itself. */
export interface ApplyEnding {
  /** The plan left entries it could not read alone: the replica is not a full mirror. */
  readErrors?: boolean
  /** The signal that stopped apply before every operation ran. */
  stoppedBy?: string
}

/**
 * The closing line of an apply: what was done, and what was not. "Apply complete!" only
 * when everything was done, so it never stands above a non-zero exit code.
 */
export function renderApplyResult(result: ApplyResult, style: Style, ending: ApplyEnding = {}): string {
  const done = result.applied.length
  const seconds = (result.durationMs / 1000).toFixed(1)
  const copied = formatBytes(result.summary.bytes)
  if (ending.stoppedBy) {
    const notDone = result.failed.length + result.skipped.length
    return style.remove(`Apply stopped by ${ending.stoppedBy}: ${countOf(done, 'operation')} done, ${notDone} not done (${copied} copied).`) + '\n'
  }
  if (result.failed.length === 0 && result.skipped.length === 0) {
    const line = `${countOf(done, 'operation')} applied, ${copied} copied in ${seconds} s.`
    if (ending.readErrors) return style.remove(`Apply finished with errors: ${line} Entries that could not be read were left alone.`) + '\n'
    return style.bold(`Apply complete! ${line}`) + '\n'
  }
  return (
    style.remove(
      `Apply finished with errors: ${done} applied, ${result.failed.length} failed, ${result.skipped.length} skipped ` +
        `(${copied} copied in ${seconds} s).`,
    ) + '\n'
  )
}
