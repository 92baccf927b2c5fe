import type {FailedOperation, SkippedOperation} from '../model/apply-result.js'
import type {Operation} from '../plan/operation.js'
import {formatBytes} from '../render/format-bytes.js'
import {quotePath} from '../render/quote-path.js'

/** The log message for an applied operation: op name, relative path, and a detail. */
export function appliedMessage(op: Operation): string {
  const path = quotePath(op.path)
  switch (op.op) {
    case 'rename':
      return `rename ${quotePath(op.from)} -> ${path}`
    case 'create':
    case 'update':
      return op.type === 'file'
        ? `${op.op} ${path} (${op.reason}, ${formatBytes(op.size)})`
        : `${op.op} ${path} -> ${quotePath(op.target)} (${op.reason})`
    default:
      return `${op.op} ${path} (${op.reason})`
  }
}

export function failedMessage(failure: FailedOperation): string {
  return `${failure.op} ${quotePath(failure.path)} failed: ${failure.error}`
}

export function skippedMessage(skip: SkippedOperation): string {
  return `${skip.op} ${quotePath(skip.path)} skipped: ${skip.reason}`
}
