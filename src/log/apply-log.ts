import type {ApplyEvent} from '../model/apply-result.js'
import type {Logger} from './logger.js'
import {appliedMessage, failedMessage, skippedMessage} from './messages.js'

/** An apply event handler writing one log line per operation outcome. */
export function logApplyEvents(logger: Logger): (event: ApplyEvent) => void {
  return (event) => {
    if (event.type === 'applied') logger.info(appliedMessage(event.op))
    else if (event.type === 'failed') logger.error(failedMessage(event.failure))
    else logger.warn(skippedMessage({op: event.op.op, path: event.op.path, reason: event.reason}))
  }
}
