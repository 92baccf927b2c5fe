import type {ApplyResult} from '../apply/apply-plan.js'
import {formatBytes} from './format-bytes.js'
import type {Style} from './style.js'

/** The closing line of an apply: what was done, and what was not. */
export function renderApplyResult(result: ApplyResult, style: Style): string {
  const done = result.applied.length
  const seconds = (result.durationMs / 1000).toFixed(1)
  const copied = formatBytes(result.summary.bytes)
  if (result.failed.length === 0 && result.skipped.length === 0) {
    return style.bold(`Apply complete! ${done} operations applied, ${copied} copied in ${seconds} s.`) + '\n'
  }
  return (
    style.remove(
      `Apply finished with errors: ${done} applied, ${result.failed.length} failed, ${result.skipped.length} skipped ` +
        `(${copied} copied in ${seconds} s).`,
    ) + '\n'
  )
}
